"""How a package is built: shards of one package in parallel worker processes give the same
bytes as one process, a build whose workers die midway resumes to those same bytes, JPEGs
get the license spliced in (read back by exiv2 and Pillow) and lose any GPS, and the ODRL
policy travels with the package."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile

import numpy as np
import pyexiv2
import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.test import TestCase
from PIL import ExifTags, Image

from licensing import documents as license_documents
from licensing.documents import DMI_SEE_CONSTRAINT
from marketplace.models import Package, PackageFile, PackageItem, PackageStatus
from marketplace.packages import builder
from marketplace.packages.forked import WorkerFailed, run_forked
from marketplace.packages.marking import jpeg_spliced, license_marked, license_marked_pieces
from marketplace.services.checkout import order_freeze
from marketplace.services.fulfilment import order_paid
from tests.factories import BuyerFactory, CreatorFactory
from tests.uploads.images import jpeg_bytes, photo, png_bytes

from .factories import listed_work, make_dataset

pytestmark = pytest.mark.django_db

PACKET = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
    'xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/" '
    'xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/">'
    "<plus:DataMining>DMI-PROHIBITED-SEECONSTRAINT</plus:DataMining>"
    "<xmpRights:WebStatement>https://assent.example/licenses/é/</xmpRights:WebStatement>"
    '</rdf:Description></rdf:RDF></x:xmpmeta>\n<?xpacket end="w"?>'
)


def _exif(*, gps: bool) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Artist] = "Jane Doe"
    if gps:
        exif.get_ifd(ExifTags.IFD.GPSInfo).update(
            {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}
        )
    return exif


def _exiv2(data: bytes) -> tuple[dict, dict]:
    image = pyexiv2.ImageData(data)
    try:
        return image.read_xmp(), image.read_exif()
    finally:
        image.close()


def _pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))


@pytest.mark.parametrize(
    "original",
    [
        pytest.param(lambda: jpeg_bytes(photo(120, 80, seed=4)), id="plain"),
        pytest.param(lambda: jpeg_bytes(photo(120, 80, seed=5), exif=_exif(gps=False)), id="exif"),
        pytest.param(
            lambda: license_marked(jpeg_bytes(photo(120, 80, seed=6)), PACKET.replace("é", "old")),
            id="earlier-xmp",
        ),
    ],
)
def test_a_jpeg_gets_the_license_spliced_in_readable_by_exiv2_and_pillow(original):
    data = original()
    pieces = jpeg_spliced(data, PACKET.encode())
    assert pieces is not None  # the fast path, no exiv2 rewrite
    delivered = b"".join(pieces)

    xmp, exif = _exiv2(delivered)
    assert xmp["Xmp.plus.DataMining"] == "DMI-PROHIBITED-SEECONSTRAINT"
    assert xmp["Xmp.xmpRights.WebStatement"] == "https://assent.example/licenses/é/"
    assert not any(key.startswith("Exif.GPSInfo") for key in exif)
    with Image.open(io.BytesIO(delivered)) as image:
        packet = image.info["xmp"]
        assert b"DMI-PROHIBITED-SEECONSTRAINT" in packet and b"/old/" not in packet
        image.load()
    assert np.array_equal(_pixels(delivered), _pixels(data))
    assert _exiv2(data)[1].get("Exif.Image.Artist") == exif.get("Exif.Image.Artist")


def test_a_jpeg_with_gps_goes_through_exiv2_and_loses_its_location():
    data = jpeg_bytes(photo(120, 80, seed=7), exif=_exif(gps=True))
    assert any(key.startswith("Exif.GPSInfo") for key in _exiv2(data)[1])
    assert jpeg_spliced(data, PACKET.encode()) is None  # never spliced: GPS must go

    delivered = b"".join(license_marked_pieces(data, "image/jpeg", PACKET))
    xmp, exif = _exiv2(delivered)
    assert xmp["Xmp.plus.DataMining"] == "DMI-PROHIBITED-SEECONSTRAINT"
    assert not any(key.startswith("Exif.GPSInfo") for key in exif)
    assert exif["Exif.Image.Artist"] == "Jane Doe"
    with Image.open(io.BytesIO(delivered)) as image:
        assert ExifTags.IFD.GPSInfo not in image.getexif()
        assert b"DMI-PROHIBITED-SEECONSTRAINT" in image.info["xmp"]
    assert np.array_equal(_pixels(delivered), _pixels(data))


# --- Whole packages ----------------------------------------------------------------------


@pytest.fixture
def order(settings, monkeypatch):
    """A paid order of six works (one with GPS, one PNG), one sample per shard, its package
    queued but not built (each test builds it by hand)."""
    settings.PACKAGE_SHARD_TARGET_BYTES = 1
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr("marketplace.services.delivery.package_build_enqueue", lambda _id: None)
    ada, bo = CreatorFactory(), CreatorFactory()
    works = [listed_work(ada, data=jpeg_bytes(photo(90, 60, seed=20 + n))) for n in range(3)]
    works.append(listed_work(bo, data=jpeg_bytes(photo(80, 60, seed=30), exif=_exif(gps=True))))
    works.append(listed_work(bo, data=jpeg_bytes(photo(80, 60, seed=31), exif=_exif(gps=False))))
    works.append(listed_work(bo, data=png_bytes(photo(70, 50, seed=32)), media_type="image/png"))
    buyer = BuyerFactory()
    frozen = order_freeze(dataset=make_dataset(buyer, works), user=buyer)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return order_paid(order_id=frozen.id)


def _contents(package: Package) -> dict[str, bytes]:
    out = {}
    for f in PackageFile.objects.filter(package=package):
        with default_storage.open(f.storage_key, "rb") as fh:
            out[f.name] = fh.read()
    return out


def _reset(package: Package) -> None:
    """Back to queued with nothing written (as before its first build)."""
    for f in PackageFile.objects.filter(package=package):
        default_storage.delete(f.storage_key)
    PackageItem.objects.filter(package=package).delete()
    PackageFile.objects.filter(package=package).delete()
    Package.objects.filter(id=package.id).update(status=PackageStatus.QUEUED, done_items=0)


def test_parallel_workers_write_byte_identical_packages(order):
    package = order.packages.get()
    built = builder.package_build_step(package_id=package.id, workers=1)
    assert built.status == PackageStatus.READY
    reference = _contents(package)
    assert len([n for n in reference if n.endswith(".tar")]) == 6

    for workers in (2, 3):
        _reset(package)
        built = builder.package_build_step(package_id=package.id, workers=workers)
        assert built.status == PackageStatus.READY
        assert _contents(package) == reference, f"{workers} workers"

    # Every delivered image carries the license; the GPS photo no longer says where it was.
    items = PackageItem.objects.filter(package=package).select_related("shard", "order_item")
    assert items.count() == 6
    index = {i.member: i for i in items}

    for name, data in reference.items():
        if not name.endswith(".tar"):
            continue
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            for member in tar.getmembers():
                if member.name.endswith(".json"):
                    continue
                delivered = tar.extractfile(member).read()
                assert hashlib.sha256(delivered).hexdigest() == index[member.name].delivered_sha256
                xmp, exif = _exiv2(delivered)
                assert xmp["Xmp.plus.DataMining"] == DMI_SEE_CONSTRAINT
                assert not any(key.startswith("Exif.GPSInfo") for key in exif)


def test_a_build_whose_workers_die_midway_resumes_to_the_same_bytes(order, monkeypatch):
    package = order.packages.get()
    builder.package_build_step(package_id=package.id, workers=1)
    reference = _contents(package)
    _reset(package)

    real_build = builder.shard_build

    def dies_after_storing(job, **kwargs):
        result = real_build(job, **kwargs)  # the shard file is stored...
        if job.index in (1, 4):
            raise SystemExit("worker killed before its shard was recorded")
        return result

    monkeypatch.setattr(builder, "shard_build", dies_after_storing)
    with pytest.raises(WorkerFailed, match="worker killed"):
        builder.package_build_step(package_id=package.id, workers=2)
    package.refresh_from_db()
    assert package.status == PackageStatus.BUILDING
    recorded = set(
        PackageFile.objects.filter(package=package).values_list("shard_index", flat=True)
    )
    assert 1 not in recorded and len(recorded) < 6
    assert package.done_items == PackageItem.objects.filter(package=package).count() < 6

    monkeypatch.setattr(builder, "shard_build", real_build)
    package = builder.package_build_step(package_id=package.id, workers=2)
    assert package.status == PackageStatus.READY
    items = PackageItem.objects.filter(package=package)
    assert items.count() == 6
    assert items.values("order_item_id").distinct().count() == 6
    assert sorted(
        PackageFile.objects.filter(package=package, kind="shard").values_list(
            "shard_index", flat=True
        )
    ) == list(range(6))
    # Same bytes as an uninterrupted build; nothing stored beside what is recorded.
    assert _contents(package) == reference
    listed = default_storage.listdir(package.storage_prefix.rstrip("/"))[1]
    assert sorted(listed) == sorted(reference)


def test_a_shard_that_fails_midway_leaves_no_temporary_file(order, monkeypatch):
    package = order.packages.get()
    scratch = builder._scratch_dir(default_storage)
    before = set(os.listdir(scratch))
    real_marked = builder.license_marked_pieces
    calls = []

    def fails_on_the_second_image(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("marking failed")
        return real_marked(*args, **kwargs)

    monkeypatch.setattr(builder, "license_marked_pieces", fails_on_the_second_image)
    with pytest.raises(RuntimeError, match="marking failed"):
        builder.package_build_step(package_id=package.id, workers=1)
    assert set(os.listdir(scratch)) == before
    package.refresh_from_db()
    assert package.status == PackageStatus.BUILDING


def test_a_worker_killed_mid_shard_leaves_a_temporary_file_the_hourly_sweep_removes(order):
    """SIGKILL gives no chance to clean up: the half-written shard stays in the scratch folder
    until the sweep finds it older than any build step can run. Files not ours stay."""
    import signal
    import time

    from marketplace.tasks import package_scratch_sweep_task

    package = order.packages.get()
    package.status = PackageStatus.BUILDING
    package.save(update_fields=["status"])
    job = next(builder._plan_shards(package, 1))
    real_copies = builder._marked_copies

    def killed_after_the_first_sample(*args, **kwargs):
        copies = real_copies(*args, **kwargs)
        yield next(copies)
        os.kill(os.getpid(), signal.SIGKILL)  # the worker dies with its shard half written

    scratch = builder._scratch_dir(default_storage)
    before = set(os.listdir(scratch))
    builder._marked_copies = killed_after_the_first_sample
    try:
        with pytest.raises(WorkerFailed, match="without a result"):
            list(run_forked(builder.shard_build, [job], workers=2))
    finally:
        builder._marked_copies = real_copies
    left = set(os.listdir(scratch)) - before
    assert len(left) == 1 and next(iter(left)).startswith("assent-shard-")
    orphan = os.path.join(scratch, next(iter(left)))
    assert os.path.getsize(orphan) > 0
    stranger = os.path.join(scratch, "someone-elses.tar")
    with open(stranger, "wb") as fh:
        fh.write(b"not ours")
    try:
        assert package_scratch_sweep_task() == 0  # fresh: it could belong to a running build
        old = time.time() - 2 * 3600
        for path in (orphan, stranger):
            os.utime(path, (old, old))
        assert package_scratch_sweep_task() == 1
        assert not os.path.exists(orphan) and os.path.exists(stranger)
    finally:
        os.unlink(stranger)


def test_the_package_scratch_sweep_runs_hourly():
    from config.celery import app

    entry = app.conf.beat_schedule["marketplace-sweep-package-scratch"]
    assert entry["task"] == "marketplace.tasks.package_scratch_sweep_task"


def test_the_package_carries_the_odrl_policy_listed_in_the_manifest(order):
    package = builder.package_build_step(package_id=order.packages.get().id, workers=2)
    files = _contents(package)
    assert "odrl.json" in files
    policy = json.loads(files["odrl.json"])
    assert policy["@type"] == "Agreement"
    assert policy["uid"].endswith(f"/licenses/{order.license_grant.uuid}/")
    duties = [d["action"] for p in policy["permission"] for d in p.get("duty", [])]
    assert "delete" in duties  # the default terms say destroy-models at expiry
    manifest = json.loads(files["manifest.json"])
    entry = next(e for e in manifest["files"] if e["name"] == "odrl.json")
    assert entry["sha256"] == hashlib.sha256(files["odrl.json"]).hexdigest()
    assert entry["size"] == len(files["odrl.json"])
    # Exactly the license's policy, one permission per item (as the public page serves it).
    grant = order.license_grant
    expected = license_documents.odrl_policy(grant, base_url=django_settings.SITE_URL)
    assert policy == json.loads(json.dumps(expected))
    assert len(policy["permission"]) == grant.items.count()


def _square(n: int) -> int:
    if n < 0:
        raise ValueError(f"negative job {n}")
    return n * n


@pytest.mark.parametrize("ahead", [0, 1, 3])
def test_forked_workers_return_every_job_once_with_jobs_queued_ahead(ahead):
    waited = []
    results = list(
        run_forked(
            _square, range(11), workers=2, ahead=ahead, while_waiting=lambda: waited.append(1)
        )
    )
    assert sorted(results) == [(n, n * n) for n in range(11)]
    assert waited == [1]


def test_a_failed_job_among_jobs_queued_ahead_fails_the_run():
    with pytest.raises(WorkerFailed, match="negative job -1"):
        list(run_forked(_square, [1, 2, 3, -1, 4, 5, 6], workers=2, ahead=2))
