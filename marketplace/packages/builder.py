"""Building a package, in steps that survive a crash: shards are written one at a time, each
recorded (file row and its samples) in one transaction after its file is stored, so a build
that dies midway resumes after the last recorded shard, with no sample written twice or lost.
A shard file stored but not recorded (the crash fell between the two) is overwritten under
the same key on resume. The index, Croissant, manifest and license summary are written last,
from the database rows."""

from __future__ import annotations

import hashlib
import logging
import os
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import (
    CharField,
    Count,
    Exists,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from accounts.services import notify
from licensing import documents as license_documents
from licensing.grants import months_after
from licensing.models import GrantStatus, LicenseGrantItem
from licensing.services import creator_display_name
from licensing.terms import USE_LABELS, LicenseTerms

from ..models import (
    OrderItem,
    Package,
    PackageFile,
    PackageFileKind,
    PackageItem,
    PackageStatus,
)
from . import documents
from .marking import license_marked
from .shards import ShardWriter

logger = logging.getLogger(__name__)

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
PREPARE_THREADS = 4
PREPARE_AHEAD = 16  # marked copies held in memory at most, ahead of the tar writer


@dataclass(frozen=True)
class Names:
    """File names inside a package, from the license's short id."""

    license_ref: str

    def shard(self, index: int) -> str:
        return f"assent-{self.license_ref}-{index:06d}.tar"

    def shard_pattern(self, count: int) -> str:
        return f"assent-{self.license_ref}-{{000000..{max(count - 1, 0):06d}}}.tar"


def license_ref(package: Package) -> str:
    return package.order.license_grant.uuid.hex[:10].upper()


def license_url(package: Package) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/licenses/{package.order.license_grant.uuid}/"


def _grant_item_for(order_item_id) -> QuerySet[LicenseGrantItem]:
    """The license item of an order item (the ledger's and the grant's "order_item:<id>"),
    as a correlated subquery, so no list of the order's items is ever held in memory."""
    ref = Concat(Value("order_item:"), Cast(order_item_id, output_field=CharField()))
    return LicenseGrantItem.objects.filter(item_ref=ref)


def deliverable_items(package: Package):
    """The order's items whose license is still running, in a stable order, each with its
    license's expiry (`license_expires_at`)."""
    grant_item = _grant_item_for(OuterRef("id"))
    return (
        OrderItem.objects.filter(order_id=package.order_id, refunded_at__isnull=True)
        .filter(Exists(grant_item.filter(status=GrantStatus.ACTIVE)))
        .annotate(license_expires_at=Subquery(grant_item.values("expires_at")[:1]))
        .select_related("work", "creator__creator_profile")
        .order_by("id")
    )


def _save(key: str, content) -> str:
    """Store under exactly this key, replacing a leftover from a build that crashed."""
    if default_storage.exists(key):
        default_storage.delete(key)
    saved = default_storage.save(key, content)
    if saved != key:  # a storage that renames instead of replacing would break resumption
        raise RuntimeError(f"storage saved {key} as {saved}")
    return saved


def package_build_step(*, package_id: int, max_shards: int | None = None) -> Package:
    """Write up to `max_shards` more shards (all, if None); then, when every item is in a
    shard, the documents. Returns the package; call again while it is still building."""
    package = Package.objects.select_related("order__license_grant").get(id=package_id)
    if package.status in (PackageStatus.READY, PackageStatus.FAILED):
        return package
    if package.status == PackageStatus.QUEUED:
        total = deliverable_items(package).count()
        Package.objects.filter(id=package.id, status=PackageStatus.QUEUED).update(
            status=PackageStatus.BUILDING, started_at=timezone.now(), total_items=total
        )
        package.refresh_from_db()
    written = 0
    while max_shards is None or written < max_shards:
        if not _write_next_shard(package):
            break
        written += 1
    package.refresh_from_db()
    if not _pending_items(package).exists():
        _write_documents(package)
        package.refresh_from_db()
    return package


def _pending_items(package: Package):
    done = PackageItem.objects.filter(package=package).values("order_item_id")
    return deliverable_items(package).exclude(id__in=done)


def _record(package, item: OrderItem, key: str, names: Names, shard_index: int):
    work = item.work
    terms = LicenseTerms.from_dict(item.terms)
    creator = creator_display_name(item.creator)
    return {
        "key": key,
        "work_id": work.id,
        "title": item.work_title,
        "media_type": work.media_type,
        "width": work.width,
        "height": work.height,
        "original_sha256": work.sha256,
        "creator": creator,
        "rights_holder": work.rights_holder,
        "license_id": license_ref(package),
        "license_url": license_url(package),
        "uses": ",".join(sorted(str(u) for u in terms.uses)),
        "commercial": terms.commercial,
        "term_months": terms.term_months,
        "on_expiry": str(terms.on_expiry),
        "attribution_required": terms.attribution_required,
        "attribution": f"“{item.work_title}” by {creator}, licensed through Assent",
        "expires_at": item.license_expires_at.isoformat(),
        "shard": names.shard(shard_index),
    }


def _marked_copies(package: Package, items):
    """(item, record, marked bytes, sha256) in order. Reading and marking run on a few threads
    (file reads and hashing release the GIL) a bounded number of items ahead, so memory holds
    only that window, never the shard or the dataset."""
    names = Names(license_ref(package))

    def prepare(item: OrderItem):
        record = _record(package, item, item.work.uuid.hex, names, 0)
        with default_storage.open(item.work.original.name, "rb") as fh:
            original = fh.read()
        marked = license_marked(original, _xmp(item, record))
        return item, record, marked, hashlib.sha256(marked).hexdigest()

    with ThreadPoolExecutor(max_workers=PREPARE_THREADS) as pool:
        window: deque = deque()
        for item in items:
            window.append(pool.submit(prepare, item))
            if len(window) >= PREPARE_AHEAD:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()


class _StoredShard(File):
    """A finished shard for storage.save(): local storage moves the file into place (see
    FileSystemStorage._save) instead of copying it; S3 uploads it."""

    def temporary_file_path(self) -> str:
        return self.file.name


def _write_next_shard(package: Package) -> bool:
    names = Names(license_ref(package))
    shard_index = PackageFile.objects.filter(package=package, kind=PackageFileKind.SHARD).count()
    name = names.shard(shard_index)
    pending = _pending_items(package)[: settings.PACKAGE_SHARD_MAX_ITEMS].iterator(chunk_size=200)
    writer = ShardWriter(directory=_scratch_dir())
    samples = []
    try:
        copies = _marked_copies(package, pending)
        for item, record, marked, digest in copies:
            record.update(delivered_sha256=digest, shard=name)
            extension = EXTENSIONS.get(item.work.media_type, "bin")
            sample = writer.add_sample(
                key=record["key"], extension=extension, data=marked, sha256=digest, record=record
            )
            samples.append((item, sample))
            if writer.bytes_written >= package.shard_target_bytes:
                break
        copies.close()
        if not samples:
            return False
        fileobj, size, digest = writer.finish()
        key = _save(package.storage_prefix + name, _StoredShard(fileobj, name=name))
    finally:
        writer.close()
    with transaction.atomic():
        locked = Package.objects.select_for_update().get(id=package.id)
        if PackageFile.objects.filter(package=locked, name=name).exists():
            return True  # another worker recorded this shard first: same items, same bytes
        shard = PackageFile.objects.create(
            package=locked,
            kind=PackageFileKind.SHARD,
            name=name,
            storage_key=key,
            size=size,
            sha256=digest,
            shard_index=shard_index,
            item_count=len(samples),
        )
        PackageItem.objects.bulk_create(
            PackageItem(
                package=locked,
                order_item=item,
                shard=shard,
                key=sample.key,
                member=sample.member,
                original_sha256=item.work.sha256,
                delivered_sha256=sample.sha256,
                delivered_size=sample.size,
            )
            for item, sample in samples
        )
        locked.done_items = PackageItem.objects.filter(package=locked).count()
        locked.save(update_fields=["done_items"])
    return True


def _scratch_dir() -> str | None:
    """A temporary folder beside local storage (so the finished shard can be moved, not
    copied); the system's temporary folder for remote storage."""
    location = getattr(default_storage, "location", None)
    if not location:
        return None
    path = os.path.join(location, "tmp")
    os.makedirs(path, exist_ok=True)
    return path


def _xmp(item: OrderItem, record: dict) -> str:
    return license_documents.xmp_packet(
        license_id=record["license_id"],
        terms=LicenseTerms.from_dict(item.terms),
        expires_at=item.license_expires_at,
        license_url=record["license_url"],
        creator=record["creator"],
        rights_holder=record["rights_holder"],
    )


def _index_rows(package: Package):
    names = Names(license_ref(package))
    samples = (
        PackageItem.objects.filter(package=package)
        .annotate(
            license_expires_at=Subquery(
                _grant_item_for(OuterRef("order_item_id")).values("expires_at")[:1]
            )
        )
        .select_related("order_item__work", "order_item__creator__creator_profile", "shard")
        .order_by("shard__shard_index", "id")
    )
    for sample in samples.iterator(chunk_size=2000):
        item = sample.order_item
        item.license_expires_at = sample.license_expires_at
        row = _record(package, item, sample.key, names, 0)
        row.update(
            shard=sample.shard.name,
            member=sample.member,
            delivered_sha256=sample.delivered_sha256,
        )
        yield row


def _store_document(package, kind: str, name: str, data) -> PackageFile:
    content = ContentFile(data, name=name) if isinstance(data, bytes) else File(data, name=name)
    digest = hashlib.sha256()
    handle = content.file if hasattr(content, "file") else content
    handle.seek(0)
    for block in iter(lambda: handle.read(1 << 20), b""):
        digest.update(block)
    size = handle.tell()
    handle.seek(0)
    key = _save(package.storage_prefix + name, content)
    file, _ = PackageFile.objects.update_or_create(
        package=package,
        name=name,
        defaults={"kind": kind, "storage_key": key, "size": size, "sha256": digest.hexdigest()},
    )
    return file


def _license_summary(package: Package) -> str:
    grant = package.order.license_grant
    groups = (
        PackageItem.objects.filter(package=package)
        .values("order_item__terms_hash")
        .annotate(count=Count("id"))
        .order_by("-count", "order_item__terms_hash")
    )
    lines = [
        f"# Assent license {license_ref(package)}",
        "",
        f"Licensed to **{package.order.organization.name}** (order {package.order.number}), "
        f"from {grant.starts_at:%d %B %Y}. The full license and its current status: "
        f"{license_url(package)}",
        "",
        "Every image in this package carries this license in its embedded XMP metadata, and "
        "every record in `index.parquet` and in the shards' `.json` files names its terms, "
        "creator, rights holder and expiry. Use each item only as its terms allow, and only "
        "until its expiry.",
        "",
    ]
    for group in groups:
        # One query per distinct set of terms (a handful), never one per item.
        sample_terms = package.order.items.filter(
            terms_hash=group["order_item__terms_hash"]
        ).values_list("terms", flat=True)[:1]
        terms = LicenseTerms.from_dict(sample_terms[0])
        count = group["count"]
        uses = "; ".join(USE_LABELS[u] for u in sorted(terms.uses))
        lines += [
            f"## {count} item{'s' if count != 1 else ''}",
            "",
            f"- Permitted: {uses}.",
            f"- Commercial use: {'yes' if terms.commercial else 'no'}.",
            f"- Term: {terms.term_label()}, to "
            f"{months_after(grant.starts_at, terms.term_months):%d %B %Y}.",
            "- At expiry: "
            + (
                "every model trained on these items must be destroyed, and you must attest it."
                if terms.requires_destruction
                else "training on these items must stop; trained models may be kept."
            ),
            f"- Attribution: {'required' if terms.attribution_required else 'not required'}.",
            "",
        ]
    return "\n".join(lines)


def _write_documents(package: Package) -> None:
    shards = list(
        PackageFile.objects.filter(package=package, kind=PackageFileKind.SHARD).order_by(
            "shard_index"
        )
    )
    with documents.write_index(_index_rows(package)) as index_file:
        index = _store_document(package, PackageFileKind.INDEX, "index.parquet", index_file)
    item_count = PackageItem.objects.filter(package=package).count()
    order = package.order
    meta = documents.croissant(
        name=f"{order.dataset.name} (Assent license {license_ref(package)})",
        description=(
            f"{item_count} licensed images in WebDataset shards "
            f"{Names(license_ref(package)).shard_pattern(len(shards))}, with a Parquet index "
            "of every item's terms and provenance."
        ),
        license_url=license_url(package),
        site_url=settings.SITE_URL,
        team=order.organization.name,
        created=package.created_at.date().isoformat(),
        version=package.version,
        shards=[{"name": s.name, "sha256": s.sha256, "size": s.size} for s in shards],
        index={"name": index.name, "sha256": index.sha256, "size": index.size},
        item_count=item_count,
    )
    _store_document(
        package, PackageFileKind.CROISSANT, "croissant.json", documents.to_json_bytes(meta)
    )
    _store_document(
        package,
        PackageFileKind.LICENSE,
        "LICENSE.md",
        _license_summary(package).encode(),
    )
    listed = PackageFile.objects.filter(package=package).exclude(kind=PackageFileKind.MANIFEST)
    manifest = documents.manifest(
        package_id=str(package.uuid),
        license_id=license_ref(package),
        item_count=item_count,
        files=[{"name": f.name, "sha256": f.sha256, "size": f.size} for f in listed],
    )
    _store_document(
        package, PackageFileKind.MANIFEST, "manifest.json", documents.to_json_bytes(manifest)
    )
    Package.objects.filter(id=package.id).update(
        status=PackageStatus.READY,
        finished_at=timezone.now(),
        done_items=item_count,
        total_items=item_count,
        error="",
    )
    notify(
        user=order.placed_by,
        subject=f"Your package for {order.dataset.name} is ready",
        body=(
            f"{item_count} licensed works in {len(shards)} WebDataset shard(s), with a Parquet "
            "index, Croissant metadata, a manifest and the license summary. Download links are "
            "on the license page; every image carries the license in its metadata."
        ),
        url=f"/licenses/{order.license_grant.uuid}/",
        dedupe_key=f"package-ready:{package.id}",
    )


def package_size(package: Package) -> int:
    return PackageFile.objects.filter(package=package).aggregate(total=Sum("size"))["total"] or 0
