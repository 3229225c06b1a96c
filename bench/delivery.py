"""Delivery benchmark: build the package of a paid order of N images end to end (marked copies
into WebDataset shards, the Parquet index, Croissant, manifest) and, in the same run, `tar` the
same originals into one archive: throughput in images/s and MB/s, and the ratio. Then peak
memory (max RSS) of a build of 1,000 and of 5,000 images, each in its own process, to show the
build streams (memory must not grow with the dataset).

    .venv/bin/python bench/delivery.py [--images 5000] [--small 1000]

Uses a scratch SQLite database and media folder under a temporary directory; a report, not a
test."""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _setup(workdir: Path) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings

    settings.DATASET_MAX_ITEMS = 10**6
    settings.DEBUG = False  # as in production: DEBUG keeps every SQL query in memory
    # A worker imports these once, at its first build; the bench leaves that out of the timing.
    import pandas  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    settings.PACKAGE_SHARD_TARGET_BYTES = 64 * 1024 * 1024


def _picture(seed: int) -> bytes:
    """A 1024×768 JPEG with photo-like detail (about 300 KB; smooth test gradients would be a
    tenth of that and flatter the per-file overhead)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 180, 1024)[None, :, None]
    pixels = (rng.random((768, 1024, 3)) * 60 + ramp).astype("uint8")
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=88)
    return out.getvalue()


def seed(count: int) -> int:
    """One team's paid order of `count` listed works (rows written in bulk; the build is what
    is measured). Returns the package id."""
    import hashlib

    from django.core.management import call_command
    from django.test import TestCase

    from accounts.services import organization_create, user_create
    from licensing.consent import ConsentContext
    from licensing.models import Offer
    from licensing.terms import PRESETS
    from marketplace.services.checkout import order_freeze
    from marketplace.services.datasets import dataset_create, intended_use_parse
    from marketplace.services.fulfilment import order_paid
    from uploads import storage
    from uploads.models import Work

    call_command("migrate", verbosity=0)
    creator = user_create(email="bench-creator@example.com", password="x" * 12, role="creator",
                          display_name="Bench Creator")  # fmt: skip
    lead = user_create(email="bench-lead@example.com", password="x" * 12, role="buyer",
                       organization_name="Bench Lab")  # fmt: skip
    pictures = [_picture(i) for i in range(20)]  # 20 distinct photos, copied with new bytes
    works = []
    for n in range(count):
        data = pictures[n % 20] + n.to_bytes(4, "big")  # trailing bytes: a distinct file
        key = storage.store(f"originals/bench/{n}.jpg", data)
        works.append(Work(owner=creator, declared_by=creator, title=f"Bench {n}",
                          rights_holder="Bench Creator", ai_involvement="none", original=key,
                          media_type="image/jpeg", byte_size=len(data), width=1024, height=768,
                          sha256=hashlib.sha256(data).hexdigest(), status="listed"))  # fmt: skip
    works = Work.objects.bulk_create(works, batch_size=2000)
    terms = PRESETS["generative-commercial-3y"].terms
    Offer.objects.bulk_create(
        [
            Offer(
                work=w,
                uses=sorted(terms.uses),
                uses_mask=31,
                commercial=True,
                term_months=36,
                on_expiry="destroy-models",
                attribution_required=True,
                terms_hash=terms.hash,
                price_amount=500,
                currency="USD",
            )
            for w in works
        ],
        batch_size=2000,
    )
    del ConsentContext  # consent records are not what is measured
    team = (
        lead.memberships.get().organization
        if lead.memberships.exists()
        else organization_create(owner=lead, name="Bench Lab")
    )
    use = intended_use_parse(uses=["ai-train-generative"], commercial=True, months_needed=12)
    dataset, _ = dataset_create(organization=team, user=lead, name="Bench", intended=use,
                                work_ids=[w.id for w in works])  # fmt: skip
    order = order_freeze(dataset=dataset, user=lead)
    with TestCase.captureOnCommitCallbacks(execute=False):  # the build is run below, by hand
        order_paid(order_id=order.id)
    return order.packages.get().id


def build(package_id: int) -> float:
    from marketplace.packages.builder import package_build_step

    started = time.perf_counter()
    package = package_build_step(package_id=package_id)
    assert package.status == "ready", package.error
    return time.perf_counter() - started


def plain_tar(workdir: Path, repeat: int = 3) -> float:
    """The median of a few runs: tar's speed swings with the page cache and the disk."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(["tar", "-cf", str(workdir / "plain.tar"), "-C", str(workdir / "media"),
                        "originals/bench"], check=True)  # fmt: skip
        times.append(time.perf_counter() - started)
        (workdir / "plain.tar").unlink()
    return sorted(times)[len(times) // 2]


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _reset_peak_rss() -> int:
    """Start measuring the peak from now (Linux: writing 5 to clear_refs resets VmHWM), so the
    seeding before the build does not count; returns the resident size now, in KB."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_kb("VmRSS")


def _peak_rss() -> int:
    return _status_kb("VmHWM")


def child(count: int) -> None:
    """One measured build in this process; prints JSON figures."""
    with tempfile.TemporaryDirectory(prefix="assent-bench-") as tmp:
        workdir = Path(tmp)
        _setup(workdir)
        package_id = seed(count)
        gc.collect()
        rss_before = _reset_peak_rss()
        seconds = build(package_id)
        rss_after = _peak_rss()
        tar_seconds = plain_tar(workdir)
        size = sum(p.stat().st_size for p in (workdir / "media" / "originals" / "bench").iterdir())
        print(json.dumps({"images": count, "seconds": seconds, "tar_seconds": tar_seconds,
                          "bytes": size, "rss_before_kb": rss_before,
                          "rss_after_kb": rss_after}))  # fmt: skip


def run(count: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", str(count)], check=True,
                         capture_output=True, text=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--child", type=int)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    small, large = run(args.small), run(args.images)
    mb = large["bytes"] / 1e6
    print(f"package of {large['images']:,} images ({mb:,.0f} MB of originals):")
    print(f"  Assent build     {large['seconds']:7.1f} s  {large['images'] / large['seconds']:7.0f} images/s"
          f"  {mb / large['seconds']:6.1f} MB/s")  # fmt: skip
    print(f"  plain tar        {large['tar_seconds']:7.1f} s  {large['images'] / large['tar_seconds']:7.0f} images/s"
          f"  {mb / large['tar_seconds']:6.1f} MB/s")  # fmt: skip
    print(f"  ratio            {large['tar_seconds'] / large['seconds']:.2f} of tar's throughput")
    for run_ in (small, large):
        grown = (run_["rss_after_kb"] - run_["rss_before_kb"]) / 1024
        print(f"peak memory, {run_['images']:>5,} images: {run_['rss_after_kb'] / 1024:6.0f} MB peak RSS"
              f" during the build ({run_['rss_before_kb'] / 1024:.0f} MB before it, +{grown:.0f} MB)")  # fmt: skip
    print(
        f"memory ratio {args.images:,} vs {args.small:,} images: "
        f"{large['rss_after_kb'] / small['rss_after_kb']:.2f}"
    )


if __name__ == "__main__":
    main()
