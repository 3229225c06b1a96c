"""Building a package, in steps that survive a crash.

Which items go in which shard is planned up front from the stored sizes of the originals
(pending items in id order, a new shard at the size target), so every shard is an independent
job: PACKAGE_BUILD_WORKERS worker processes (default: one per CPU) each write and store whole
shards, reading no database; this process plans, and records each shard (file row and its
samples, in one transaction) as soon as it is stored, in whatever order they finish. Images
and recordings go in WebDataset tar shards (each a copy of the original with the license in
its metadata or tags); texts go in Parquet files under `text/` (one row per work, with its
license), planned the same way in an index sequence of their own. A build that dies midway
resumes with the items not recorded: the same plan gives them the same shard indexes and the
same bytes, and a shard stored but not recorded is overwritten under its key (any file no row
records is removed at the end). The result does not depend on the number of workers. The
index, Croissant, ODRL policy, manifest and license summary come from the database rows."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import mmap
import os
import tempfile
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.db import connection, transaction
from django.db.models import CharField, Count, Exists, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from accounts.services.notifications import notify
from licensing import documents as license_documents
from licensing.models import GrantStatus, LicenseGrantItem
from licensing.services.grants import months_after
from licensing.terms import USE_LABELS, LicenseTerms
from marketplace.models import (
    OrderItem,
    Package,
    PackageFile,
    PackageFileKind,
    PackageItem,
    PackageStatus,
)
from marketplace.packages import documents, term_columns, texts
from marketplace.packages.audio_tags import license_tagged
from marketplace.packages.forked import run_forked
from marketplace.packages.marking import license_marked_pieces
from marketplace.packages.shards import SCRATCH_PREFIX, FileRange, ShardWriter
from uploads.models import WorkKind
from uploads.text.extract import extract_text

logger = logging.getLogger(__name__)

EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "audio/wav": "wav",
    "audio/flac": "flac",
    "audio/mpeg": "mp3",
    "audio/ogg": "ogg",
}
# A recording keeps its original's extension (an Opus stream is audio/ogg, named `.opus`).
AUDIO_EXTENSIONS = ("wav", "flac", "mp3", "ogg", "opus")
# What marking and tar add to an original, for planning shards from stored sizes: the XMP
# segment (~3 KB), two tar headers with padding, the JSON record.
SAMPLE_OVERHEAD_BYTES = 8 * 1024
INSERT_BATCH = 100  # rows per INSERT (8 parameters each)
PLAN_PAGE = 500  # pending rows read per query when planning shards
# Shards queued at each worker beyond the one it is on: enough to keep it busy while this
# process writes the ODRL policy (a few shards' time) and records shards.
JOBS_AHEAD = 2
ODRL_NAME = "odrl.json"


@dataclass(frozen=True)
class Names:
    """File names inside a package, from the license's short id."""

    license_ref: str

    def shard(self, index: int) -> str:
        return f"assent-{self.license_ref}-{index:06d}.tar"

    def shard_pattern(self, count: int) -> str:
        return f"assent-{self.license_ref}-{{000000..{max(count - 1, 0):06d}}}.tar"

    def text(self, index: int) -> str:
        return texts.text_file_name(index)


def license_ref(package: Package) -> str:
    return package.order.license_grant.uuid.hex[:10].upper()


def license_url(package: Package) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/licenses/{package.order.license_grant.uuid}/"


def odrl_url(package: Package) -> str:
    """The license's public ODRL policy (the package's own `odrl.json` is the same policy)."""
    grant_uuid = package.order.license_grant.uuid
    return f"{settings.SITE_URL.rstrip('/')}/public/licenses/{grant_uuid}/odrl.json"


def _site_url(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}"


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
        .order_by("id")
    )


# What a record needs of an order item, read as plain values (no model instances per item).
ITEM_FIELDS = (
    "id",
    "work_id",
    "work__uuid",
    "work__kind",
    "work__media_type",
    "work__width",
    "work__height",
    "work__duration_ms",
    "work__sample_rate",
    "work__channels",
    "work__word_count",
    "work__language",
    "offer__uuid",
    "work__sha256",
    "work__rights_holder",
    "work__original",
    "work_title",
    "terms",
    "terms_hash",
    "creator__email",
    "creator__creator_profile__display_name",
    "license_expires_at",
)


def _save(key: str, content, storage=None) -> str:
    """Store under exactly this key, replacing a leftover from a build that crashed."""
    storage = storage or default_storage
    if storage.exists(key):
        storage.delete(key)
    saved = storage.save(key, content)
    if saved != key:  # a storage that renames instead of replacing would break resumption
        raise RuntimeError(f"storage saved {key} as {saved}")
    return saved


def build_workers() -> int:
    """Shards of one package built at once, each in a worker process of its own (1: in the
    task's own process). Default: one per CPU."""
    configured = settings.PACKAGE_BUILD_WORKERS
    return max(1, int(configured or os.cpu_count() or 1))


def package_build_step(
    *, package_id: int, max_shards: int | None = None, workers: int | None = None
) -> Package:
    """Write up to `max_shards` more shards (all, if None), `workers` at a time; then, when
    every item is in a shard, the documents. Returns the package; call again while it is
    still building. The shards written do not depend on `workers`: which items go in which
    shard is planned from the stored sizes of the originals before any is written."""
    package = Package.objects.select_related("order__license_grant").get(id=package_id)
    if package.status in (PackageStatus.READY, PackageStatus.FAILED):
        return package
    if package.status == PackageStatus.QUEUED:
        total = deliverable_items(package).count()
        Package.objects.filter(id=package.id, status=PackageStatus.QUEUED).update(
            status=PackageStatus.BUILDING, started_at=timezone.now(), total_items=total
        )
        package.refresh_from_db()
    # Shards are planned as workers free up and recorded as each is stored, in any order.
    shards = _build_shards(
        _plan_shards(package, max_shards),
        workers or build_workers(),
        while_waiting=lambda: _write_odrl(package),
    )
    for job, result in shards:
        _record_shard(package, job, result)
    package.refresh_from_db()
    if not _pending_items(package).exists():
        _write_documents(package)
        package.refresh_from_db()
    return package


def _pending_items(package: Package):
    done = PackageItem.objects.filter(package=package).values("order_item_id")
    return deliverable_items(package).exclude(id__in=done)


class _Records:
    """Builds the record of an item (the shard's `.json` and the index row: the same fields
    from the same function) from a row of ITEM_FIELDS values, `prefix` naming where they sit
    (an order item's own values, or a package item's `order_item__…`). What is shared by many
    items (parsed terms, the XMP packet) is computed once."""

    def __init__(
        self, *, license_id: str, license_url: str, odrl_url: str = "", prefix: str = ""
    ) -> None:
        self.license_id = license_id
        self.license_url = license_url
        self.odrl_url = odrl_url
        self.p = prefix
        self._terms: dict[str, LicenseTerms] = {}
        self._xmp: dict[tuple, str] = {}

    @classmethod
    def of(cls, package: Package, prefix: str = "") -> _Records:
        return cls(
            license_id=license_ref(package),
            license_url=license_url(package),
            odrl_url=odrl_url(package),
            prefix=prefix,
        )

    def terms(self, row: dict) -> LicenseTerms:
        digest = row[self.p + "terms_hash"] or json.dumps(row[self.p + "terms"], sort_keys=True)
        if digest not in self._terms:
            self._terms[digest] = LicenseTerms.from_dict(row[self.p + "terms"])
        return self._terms[digest]

    def record(self, row: dict, key: str, shard: str) -> dict:
        p = self.p
        terms = self.terms(row)
        # As licensing.services.offers.creator_display_name, from values rather than a user object.
        creator = row[p + "creator__creator_profile__display_name"] or row[p + "creator__email"]
        record = {
            "key": key,
            "work_id": row[p + "work_id"],
            "title": row[p + "work_title"],
            "media_type": row[p + "work__media_type"],
            "original_sha256": row[p + "work__sha256"],
            "creator": creator,
            "rights_holder": row[p + "work__rights_holder"],
            "license_id": self.license_id,
            "license_url": self.license_url,
            "uses": ",".join(sorted(str(u) for u in terms.uses)),
            "commercial": terms.commercial,
            "term_months": terms.term_months,
            "on_expiry": str(terms.on_expiry),
            "attribution_required": terms.attribution_required,
            "attribution": f"“{row[p + 'work_title']}” by {creator}, licensed through Assent",
            "expires_at": row["license_expires_at"].isoformat(),
            "shard": shard,
        }
        # What each medium is measured in. An image's record is as it always was (no kind:
        # the index says it); a recording's and a text's name their kind.
        kind = row[p + "work__kind"]
        if kind == WorkKind.AUDIO:
            record.update(
                kind=kind,
                duration_ms=row[p + "work__duration_ms"],
                sample_rate=row[p + "work__sample_rate"],
                channels=row[p + "work__channels"],
            )
        elif kind == WorkKind.TEXT:
            record.update(
                kind=kind,
                word_count=row[p + "work__word_count"],
                language=row[p + "work__language"] or None,
            )
        else:
            record.update(width=row[p + "work__width"], height=row[p + "work__height"])
        return record

    def rsl_url(self, row: dict) -> str:
        return _site_url(f"/offers/{row[self.p + 'offer__uuid']}/rsl.xml")

    def audio_license(self, row: dict, record: dict) -> dict:
        """What a recording's tags carry: the references the XMP packet gives an image, plus
        the work's offer in RSL and the license's ODRL policy."""
        return {
            "license_id": self.license_id,
            "license_url": self.license_url,
            "rsl_url": self.rsl_url(row),
            "odrl_url": self.odrl_url,
            "terms": license_documents.license_constraint(
                license_id=self.license_id,
                terms=self.terms(row),
                expires_at=row["license_expires_at"],
                license_url=self.license_url,
            ),
            "data_mining": license_documents.DMI_SEE_CONSTRAINT,
            "copyright": license_documents.rights_statement(
                rights_holder=record["rights_holder"], license_url=self.license_url
            ),
        }

    def text_row(self, row: dict, record: dict, text: str, digest: str) -> dict:
        """The row of texts.TEXT_SCHEMA for a text work."""
        return {
            "key": record["key"],
            "work_id": record["work_id"],
            "kind": WorkKind.TEXT.value,
            "title": record["title"],
            "text": text,
            "language": record["language"],
            "word_count": record["word_count"],
            "license": {
                "id": self.license_id,
                "url": self.license_url,
                "terms": texts.terms_json(row[self.p + "terms"]),
                **term_columns.term_values(record),
                "rsl_url": self.rsl_url(row),
                "odrl_url": self.odrl_url,
            },
            "provenance": {
                "creator": record["creator"],
                "rights_holder": record["rights_holder"],
                "work_url": _site_url(f"/catalog/works/{record['work_id']}/"),
                "media_type": record["media_type"],
                "original_sha256": record["original_sha256"],
                "text_sha256": digest,
            },
        }

    def xmp(self, row: dict, record: dict) -> str:
        """The packet for an item (license id, terms, expiry, license page, creator, rights
        holder); items sharing all of them share one packet, built once (bounded cache)."""
        terms = self.terms(row)
        expires_at = row["license_expires_at"]
        cache_key = (terms, expires_at, record["creator"], record["rights_holder"])
        packet = self._xmp.get(cache_key)
        if packet is None:
            if len(self._xmp) >= 4096:
                self._xmp.clear()
            packet = self._xmp[cache_key] = license_documents.xmp_packet(
                license_id=self.license_id,
                terms=terms,
                expires_at=expires_at,
                license_url=self.license_url,
                creator=record["creator"],
                rights_holder=record["rights_holder"],
            )
        return packet


@dataclass
class ShardJob:
    """One shard to write: its index and name, and the rows (ITEM_FIELDS) of its items, in
    order. Everything a worker process needs; it never reads the database. `kind`: a tar
    shard (PackageFileKind.SHARD) or a text Parquet file (PackageFileKind.TEXT)."""

    index: int
    name: str
    key: str  # storage key
    rows: list[dict]
    license_id: str
    license_url: str
    odrl_url: str = ""
    kind: str = PackageFileKind.SHARD


@dataclass(frozen=True)
class ShardResult:
    key: str
    size: int
    sha256: str
    # (order item id, key, member, original sha256, delivered sha256, delivered size)
    samples: list[tuple]


def _free_indexes(package: Package, kind: str = PackageFileKind.SHARD):
    """Shard indexes not yet recorded, lowest first: a shard lost to a crash while later ones
    were recorded gets its own index back on resume (the same items, so the same file). Tar
    shards and text files are numbered apart."""
    used = set(
        PackageFile.objects.filter(package=package, kind=kind).values_list("shard_index", flat=True)
    )
    index = 0
    while True:
        if index not in used:
            yield index
        index += 1


class _Filling:
    """The shard being filled, of one kind (tar shards of images and recordings, or text
    files), with that kind's own index sequence."""

    def __init__(self, package: Package, kind: str) -> None:
        self.kind = kind
        self.indexes = _free_indexes(package, kind)
        self.rows: list[dict] = []
        self.size = 0

    def add(self, row: dict) -> None:
        self.rows.append(row)
        self.size += row["work__byte_size"] + SAMPLE_OVERHEAD_BYTES

    def full(self, target: int) -> bool:
        return self.size >= target or len(self.rows) >= settings.PACKAGE_SHARD_MAX_ITEMS

    def take(self) -> tuple[int, list[dict]]:
        rows, self.rows, self.size = self.rows, [], 0
        return next(self.indexes), rows


def _plan_shards(package: Package, count: int | None):
    """The next `count` shards (all, if None), lazily, as ShardJobs: pending items in order, a
    new shard once the stored sizes of its originals (plus what marking and tar add) reach the
    target; texts fill text files the same way, apart from the tar shards. Depends only on the
    pending items, so a resumed build plans the same shards for the same items. Rows are read
    in pages by id, each page read whole (no cursor stays open while shards are recorded), and
    only the shards being built are held in memory."""
    names = Names(license_ref(package))
    url, odrl = license_url(package), odrl_url(package)
    pending = _pending_items(package).values(*ITEM_FIELDS, "work__byte_size")
    tar = _Filling(package, PackageFileKind.SHARD)
    text = _Filling(package, PackageFileKind.TEXT)
    planned, after = 0, 0

    def job(filling: _Filling) -> ShardJob:
        index, rows = filling.take()
        name = names.text(index) if filling.kind == PackageFileKind.TEXT else names.shard(index)
        key = package.storage_prefix + name
        return ShardJob(index, name, key, rows, names.license_ref, url, odrl, kind=filling.kind)

    while count is None or planned < count:
        page = list(pending.filter(id__gt=after)[:PLAN_PAGE])
        if not page:
            break
        for row in page:
            after = row["id"]
            filling = text if row["work__kind"] == WorkKind.TEXT else tar
            filling.add(row)
            if filling.full(package.shard_target_bytes):
                yield job(filling)
                planned += 1
                if count is not None and planned >= count:
                    return
    for filling in (tar, text):
        if filling.rows and (count is None or planned < count):
            yield job(filling)
            planned += 1


def _build_shards(jobs, workers: int, *, while_waiting=None):
    """(job, ShardResult) as each shard is stored: in this process (one worker), or in forked
    worker processes, `workers` at a time. `while_waiting`: run once by this process while the
    first shards are being built (before them, with one worker)."""
    if workers <= 1:
        for n, job in enumerate(jobs):
            if n == 0 and while_waiting:
                while_waiting()
            yield job, shard_build(job, storage=default_storage)
        return
    yield from run_forked(
        shard_build,
        jobs,
        workers=workers,
        while_waiting=while_waiting,
        ahead=JOBS_AHEAD,
    )


def _marked_copies(records: _Records, rows, storage):
    """(row, record, marked pieces, sha256) in order, one item at a time, so memory holds one
    original (mapped from local storage, else read), never the shard or the dataset."""
    for row in rows:
        with _mapped(storage, row["work__original"]) as (fd, original):
            if original is None:
                with storage.open(row["work__original"], "rb") as fh:
                    original = fh.read()
            record = records.record(row, row["work__uuid"].hex, "")
            if row["work__kind"] == WorkKind.AUDIO:
                license = records.audio_license(row, record)
                pieces = [license_tagged(original, row["work__media_type"], license)]
            else:
                xmp = records.xmp(row, record)
                pieces = license_marked_pieces(original, row["work__media_type"], xmp)
            last = pieces[-1]
            if fd is not None and isinstance(last, memoryview) and last.obj is original:
                # The spliced file ends with the original's own bytes: copied by the kernel.
                pieces[-1] = FileRange(fd, len(original) - len(last), last)
            yield row, record, pieces, _sha256(pieces)
            del pieces, last


def _sha256(pieces: list) -> str:
    digest = hashlib.sha256()
    for piece in pieces:
        digest.update(getattr(piece, "view", piece))
    return digest.hexdigest()


@contextlib.contextmanager
def _mapped(storage, name: str):
    """(fd, the file's bytes mapped read-only) of a stored original on a local filesystem;
    (None, None) when the storage has no local path (then it is read through storage)."""
    try:
        path = storage.path(name)
    except NotImplementedError:
        yield None, None
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        if not size:
            yield None, None
            return
        mapped = mmap.mmap(fd, size, prot=mmap.PROT_READ)
        try:
            yield fd, mapped
        finally:
            with contextlib.suppress(BufferError):  # a view still held: unmapped when freed
                mapped.close()
    finally:
        os.close(fd)


class _StoredShard(File):
    """A finished shard for storage.save(): local storage moves the file into place (see
    FileSystemStorage._save) instead of copying it; S3 uploads it."""

    def temporary_file_path(self) -> str:
        return self.file.name


def _extension(row: dict) -> str:
    """The member's extension: the image's format; a recording's original extension."""
    if row["work__kind"] == WorkKind.AUDIO:
        extension = row["work__original"].rsplit(".", 1)[-1].lower()
        if extension in AUDIO_EXTENSIONS:
            return extension
    return EXTENSIONS.get(row["work__media_type"], "bin")


def shard_build(job: ShardJob, *, storage=None) -> ShardResult:
    """Write one shard (or text file) and store it under its key; no database access (a
    worker process may run it). `storage`: the task's own, in its process; a forked worker
    makes its own (an S3 client's connections are not safe to share across a fork)."""
    storage = storage or storages.create_storage(storages.backends["default"])
    records = _Records(
        license_id=job.license_id, license_url=job.license_url, odrl_url=job.odrl_url
    )
    if job.kind == PackageFileKind.TEXT:
        return _text_file_build(job, records, storage)
    writer = ShardWriter(directory=_scratch_dir(storage))
    samples = []
    try:
        copies = _marked_copies(records, job.rows, storage)
        for row, record, pieces, digest in copies:
            record.update(delivered_sha256=digest, shard=job.name)
            extension = _extension(row)
            sample = writer.add_sample(
                key=record["key"], extension=extension, data=pieces, sha256=digest, record=record
            )
            samples.append(
                (row["id"], sample.key, sample.member, row["work__sha256"], digest, sample.size)
            )
            del pieces  # written: drop the views of the original before the next is mapped
        fileobj, size, digest = writer.finish()
        key = _save(job.key, _StoredShard(fileobj, name=job.name), storage)
    finally:
        writer.close()
    return ShardResult(key=key, size=size, sha256=digest, samples=samples)


def _text_file_build(job: ShardJob, records: _Records, storage) -> ShardResult:
    """A text Parquet file: each work's text read from its original (one at a time), one row
    per work with its license and provenance."""
    writer = texts.TextWriter(directory=_scratch_dir(storage))
    samples = []
    try:
        for row in job.rows:
            with storage.open(row["work__original"], "rb") as fh:
                original = fh.read()
            # Read as intake read it (an EPUB's chapters in spine order), so the text delivered
            # is the text that was checked and fingerprinted.
            text = extract_text(original, row["work__media_type"]).text
            del original
            digest, size = texts.text_sha256(text)
            record = records.record(row, row["work__uuid"].hex, job.name)
            writer.add(records.text_row(row, record, text, digest))
            key = record["key"]  # a text's row is found by its key (its member in the index)
            samples.append((row["id"], key, key, row["work__sha256"], digest, size))
            del text
        fileobj, size, digest = writer.finish()
        stored = _save(job.key, _StoredShard(fileobj, name=job.name), storage)
    finally:
        writer.close()
    return ShardResult(key=stored, size=size, sha256=digest, samples=samples)


def _record_shard(package: Package, job: ShardJob, result: ShardResult) -> None:
    """The shard and its samples, in one transaction (after its file is stored)."""
    with transaction.atomic():
        locked = Package.objects.select_for_update().get(id=package.id)
        if PackageFile.objects.filter(package=locked, name=job.name).exists():
            return  # another worker recorded this shard first: same items, same bytes
        shard = PackageFile.objects.create(
            package=locked,
            kind=job.kind,
            name=job.name,
            storage_key=result.key,
            size=result.size,
            sha256=result.sha256,
            shard_index=job.index,
            item_count=len(result.samples),
        )
        _insert_items(locked.id, shard.id, result.samples)
        locked.done_items = PackageItem.objects.filter(package=locked).count()
        locked.save(update_fields=["done_items"])


ITEM_COLUMNS = (
    "order_item_id",
    "key",
    "member",
    "original_sha256",
    "delivered_sha256",
    "delivered_size",
)


def _insert_items(package_id: int, shard_id: int, samples: list[tuple]) -> None:
    """PackageItem rows for a shard's samples, as multi-row INSERTs: the same rows
    bulk_create writes, without preparing each value through its model field (for thousands
    of items per shard that preparation cost more than the marking)."""
    table = connection.ops.quote_name(PackageItem._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(PackageItem._meta.get_field(name.removesuffix("_id")).column)
        for name in ("package_id", "shard_id", *ITEM_COLUMNS)
    )
    width = 2 + len(ITEM_COLUMNS)
    with connection.cursor() as cursor:
        for start in range(0, len(samples), INSERT_BATCH):
            batch = samples[start : start + INSERT_BATCH]
            values = ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * len(batch))
            params = [value for sample in batch for value in (package_id, shard_id, *sample)]
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {values}", params)  # noqa: S608


def _scratch_dir(storage=None) -> str | None:
    """A temporary folder beside local storage (so the finished shard can be moved, not
    copied); the system's temporary folder for remote storage."""
    location = getattr(storage or default_storage, "location", None)
    if not location:
        return None
    path = os.path.join(location, "tmp")
    os.makedirs(path, exist_ok=True)
    return path


def scratch_sweep(*, older_than_seconds: int = 3600, storage=None) -> int:
    """Remove temporary shards left by build steps that were killed mid-shard (the shard itself
    is planned and written again on resume). Only files named as ours, in the folder builds
    write them to, and untouched for longer than any build step may run (a step is killed
    after 14 minutes; its worker processes die with it). Returns how many were removed."""
    folder = _scratch_dir(storage) or tempfile.gettempdir()
    cutoff = time.time() - older_than_seconds
    removed = 0
    with os.scandir(folder) as entries:
        for entry in entries:
            if not (entry.name.startswith(SCRATCH_PREFIX) and entry.is_file(follow_symlinks=False)):
                continue
            with contextlib.suppress(FileNotFoundError):
                if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                    os.unlink(entry.path)
                    removed += 1
    return removed


def _index_rows(package: Package):
    records = _Records.of(package, prefix="order_item__")
    samples = (
        PackageItem.objects.filter(package=package)
        .annotate(
            license_expires_at=Subquery(
                _grant_item_for(OuterRef("order_item_id")).values("expires_at")[:1]
            )
        )
        .order_by("shard__kind", "shard__shard_index", "id")  # tar shards, then text files
        .values(
            "key",
            "member",
            "delivered_sha256",
            "shard__name",
            "license_expires_at",
            *(f"order_item__{f}" for f in ITEM_FIELDS if f != "license_expires_at"),
        )
    )
    for sample in samples.iterator(chunk_size=2000):
        row = records.record(sample, sample["key"], sample["shard__name"])
        row.update(
            kind=sample["order_item__work__kind"],
            member=sample["member"],
            delivered_sha256=sample["delivered_sha256"],
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


def _kind_counts(package: Package) -> dict[str, int]:
    """How many delivered items of each kind (image, audio, text)."""
    rows = (
        PackageItem.objects.filter(package=package)
        .values("order_item__work__kind")
        .annotate(count=Count("id"))
        .order_by()
    )
    return {row["order_item__work__kind"]: row["count"] for row in rows}


def _where_the_license_is(kinds: dict[str, int]) -> str:
    """The license summary's sentence on where each delivered file carries the license."""
    if set(kinds) <= {WorkKind.IMAGE}:
        return (
            "Every image in this package carries this license in its embedded XMP metadata, and "
            "every record in `index.parquet` and in the shards' `.json` files names its terms, "
            "creator, rights holder and expiry."
        )
    places = []
    if kinds.get(WorkKind.IMAGE):
        places.append("every image in its embedded XMP metadata")
    if kinds.get(WorkKind.AUDIO):
        places.append(
            "every recording in its tags (ID3 for MP3 and WAV, Vorbis comments for FLAC and "
            "Ogg: LICENSE, ASSENT_LICENSE_ID, RSL_LICENSE, ODRL_POLICY, AI_TRAINING_TERMS)"
        )
    if kinds.get(WorkKind.TEXT):
        places.append("every text in the `license` column of its row in `text/*.parquet`")
    listing = places[0] if len(places) == 1 else ", ".join(places[:-1]) + " and " + places[-1]
    shards = " and in the shards' `.json` files" if set(kinds) - {WorkKind.TEXT} else ""
    return (
        f"This package carries this license with every work: {listing}. Every record in "
        f"`index.parquet`{shards} names its terms, creator, rights holder and expiry."
    )


def _license_carried(kinds: dict[str, int]) -> str:
    """Where the license is, in the ready notification's words."""
    if set(kinds) <= {WorkKind.IMAGE}:
        return "every image carries the license in its metadata"
    named = ((WorkKind.IMAGE, "image"), (WorkKind.AUDIO, "recording"))
    files = [name for kind, name in named if kinds.get(kind)]
    parts = []
    if files:
        parts.append(f"every {' and every '.join(files)} carries the license in its metadata")
    if kinds.get(WorkKind.TEXT):
        parts.append("every text's row in the text Parquet files names it")
    return "; ".join(parts)


def _license_summary(package: Package, kinds: dict[str, int] | None = None) -> str:
    grant = package.order.license_grant
    kinds = _kind_counts(package) if kinds is None else kinds
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
        f"{_where_the_license_is(kinds)} Use each item only as its terms allow, and only "
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


def _write_odrl(package: Package) -> None:
    """`odrl.json`, the license as an ODRL policy (with the duty to delete trained models where
    the terms say so), once per package: it depends on the license, not on the shards, so the
    build writes it while its first shards are being built, in time the task's process would
    otherwise spend waiting. Streamed, one permission per item, into a temporary file: the
    same bytes as the whole policy dumped compact (so the C encoder writes it; indenting is
    ~10x slower), without holding it in memory."""
    if PackageFile.objects.filter(package=package, name=ODRL_NAME).exists():
        return
    grant = package.order.license_grant
    head = documents.to_json_bytes(
        {**license_documents.odrl_agreement(grant, base_url=settings.SITE_URL), "permission": []},
        indent=None,
    )
    assert head.endswith(b"[]}")  # the permissions are the policy's last member
    with tempfile.TemporaryFile(dir=_scratch_dir(default_storage)) as out:
        out.write(head[:-2])
        permissions = license_documents.odrl_permissions(grant, base_url=settings.SITE_URL)
        for n, permission in enumerate(permissions):
            out.write(b"," if n else b"")
            out.write(documents.to_json_bytes(permission, indent=None))
        out.write(b"]}")
        _store_document(package, PackageFileKind.ODRL, ODRL_NAME, out)


def _remove_unrecorded(package: Package) -> None:
    """Delete files in the package's folder that no row records: a shard stored by a worker
    killed before it was recorded, whose items a resumed build then planned differently (an
    item refunded in between). Usually there are none."""
    folder = package.storage_prefix.rstrip("/")
    try:
        _, stored = default_storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError):
        return
    try:
        _, in_text = default_storage.listdir(f"{folder}/{texts.TEXT_FOLDER}")
    except FileNotFoundError:  # no text in this package
        in_text = []
    recorded = set(PackageFile.objects.filter(package=package).values_list("name", flat=True))
    for name in [*stored, *(f"{texts.TEXT_FOLDER}/{n}" for n in in_text)]:
        if name not in recorded:
            default_storage.delete(f"{folder}/{name}")


def _files(package: Package, kind: str) -> list[PackageFile]:
    return list(PackageFile.objects.filter(package=package, kind=kind).order_by("shard_index"))


def _write_documents(package: Package) -> None:
    shards = _files(package, PackageFileKind.SHARD)
    text_files = _files(package, PackageFileKind.TEXT)
    with documents.write_index(_index_rows(package)) as index_file:
        index = _store_document(package, PackageFileKind.INDEX, "index.parquet", index_file)
    item_count = PackageItem.objects.filter(package=package).count()
    kinds = _kind_counts(package)
    order = package.order
    meta = documents.croissant(
        name=f"{order.dataset.name} (Assent license {license_ref(package)})",
        description=documents.contents_description(
            kinds,
            shard_pattern=Names(license_ref(package)).shard_pattern(len(shards)),
            text_pattern=f"{texts.TEXT_FOLDER}/train-*.parquet",
        ),
        license_url=license_url(package),
        site_url=settings.SITE_URL,
        team=order.organization.name,
        created=package.created_at.date().isoformat(),
        version=package.version,
        shards=[{"name": s.name, "sha256": s.sha256, "size": s.size} for s in shards],
        index={"name": index.name, "sha256": index.sha256, "size": index.size},
        item_count=item_count,
        kinds=kinds,
        text_files=[{"name": f.name, "sha256": f.sha256, "size": f.size} for f in text_files],
    )
    _store_document(
        package, PackageFileKind.CROISSANT, "croissant.json", documents.to_json_bytes(meta)
    )
    _store_document(
        package,
        PackageFileKind.LICENSE,
        "LICENSE.md",
        _license_summary(package, kinds).encode(),
    )
    _write_odrl(package)
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
    _remove_unrecorded(package)
    Package.objects.filter(id=package.id).update(
        status=PackageStatus.READY,
        finished_at=timezone.now(),
        done_items=item_count,
        total_items=item_count,
        error="",
    )
    works = f"{item_count} licensed work{'' if item_count == 1 else 's'}"
    containers = []
    if shards or not text_files:
        containers.append(f"{len(shards)} WebDataset shard{'' if len(shards) == 1 else 's'}")
    if text_files:
        files = f"{len(text_files)} text Parquet file{'' if len(text_files) == 1 else 's'}"
        containers.append(files)
    notify(
        user=order.placed_by,
        subject=f"Your package for {order.dataset.name} is ready",
        body=(
            f"{works} in {' and '.join(containers)}, with a Parquet "
            "index, Croissant metadata, a manifest and the license summary. Download links are "
            f"on the license page; {_license_carried(kinds)}."
        ),
        url=f"/licenses/{order.license_grant.uuid}/",
        dedupe_key=f"package-ready:{package.id}",
    )


def package_size(package: Package) -> int:
    return PackageFile.objects.filter(package=package).aggregate(total=Sum("size"))["total"] or 0
