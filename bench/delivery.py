"""Delivery benchmark: build the package of a paid order of N images end to end (marked copies
into WebDataset shards, the Parquet index, Croissant, manifest) and, in the same run, `tar` the
same originals into one archive: throughput in images/s and MB/s, and the ratio. Then peak
memory (max RSS) of a build of 1,000 and of 5,000 images, each in its own process, to show the
build streams (memory must not grow with the dataset).

    .venv/bin/python bench/delivery.py [--images 5000] [--small 1000]

The build uses PACKAGE_BUILD_WORKERS worker processes (default: one per CPU), as a worker
does. CPU time per image is printed beside the wall time: on a machine busy with other work,
wall time follows CPU time, and the build does more per image than tar (two SHA-256 passes: the
delivered file's for the index, the shard's for the manifest).

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

    from accounts.services.teams import organization_create
    from accounts.services.users import user_create
    from licensing.consent import ConsentContext
    from licensing.models import Offer
    from licensing.terms import PRESETS
    from marketplace.services.checkout import order_freeze
    from marketplace.services.datasets import dataset_create, intended_use_parse
    from marketplace.services.fulfilment import order_paid
    from uploads import storage
    from uploads.models import Work

    call_command("migrate", verbosity=0)
    creator = user_create(
        email="bench-creator@example.com",
        password="x" * 12,
        role="creator",
        display_name="Bench Creator",
    )
    lead = user_create(
        email="bench-lead@example.com",
        password="x" * 12,
        role="buyer",
        organization_name="Bench Lab",
    )
    pictures = [_picture(i) for i in range(20)]  # 20 distinct photos, copied with new bytes
    works = []
    for n in range(count):
        data = pictures[n % 20] + n.to_bytes(4, "big")  # trailing bytes: a distinct file
        key = storage.store(f"originals/bench/{n}.jpg", data)
        works.append(
            Work(
                owner=creator,
                declared_by=creator,
                title=f"Bench {n}",
                rights_holder="Bench Creator",
                ai_involvement="none",
                original=key,
                media_type="image/jpeg",
                byte_size=len(data),
                width=1024,
                height=768,
                sha256=hashlib.sha256(data).hexdigest(),
                status="listed",
            )
        )
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
    dataset, _ = dataset_create(
        organization=team, user=lead, name="Bench", intended=use, work_ids=[w.id for w in works]
    )
    order = order_freeze(dataset=dataset, user=lead)
    with TestCase.captureOnCommitCallbacks(execute=False):  # the build is run below, by hand
        order_paid(order_id=order.id)
    return order.packages.get().id


def _cpu_seconds() -> float:
    """CPU time (user + system) of this process and of its children waited for (the build's
    worker processes, tar)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def build(package_id: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of the whole build, worker processes included."""
    from marketplace.packages.builder import package_build_step

    cpu = _cpu_seconds()
    started = time.perf_counter()
    package = package_build_step(package_id=package_id)
    assert package.status == "ready", package.error
    return time.perf_counter() - started, _cpu_seconds() - cpu


def plain_tar(workdir: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of `tar -cf` of the same originals."""
    cpu = _cpu_seconds()
    started = time.perf_counter()
    subprocess.run(
        ["tar", "-cf", str(workdir / "plain.tar"), "-C", str(workdir / "media"), "originals/bench"],
        check=True,
    )
    seconds = time.perf_counter() - started, _cpu_seconds() - cpu
    (workdir / "plain.tar").unlink()
    return seconds


def checksum_floor(workdir: Path) -> float:
    """CPU seconds of SHA-256 over every original twice, in this process: the checksums a
    package must carry (each delivered file's, for the index; each shard's, for the manifest)
    and tar does not compute. No build can take less CPU than this."""
    import hashlib
    import mmap

    cpu = _cpu_seconds()
    for path in (workdir / "media" / "originals" / "bench").iterdir():
        with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, prot=mmap.PROT_READ) as data:
            hashlib.sha256(data).digest()
            hashlib.sha256(data).digest()
    return _cpu_seconds() - cpu


def reset(package_id: int) -> None:
    """The package back to queued with nothing written, to build it again."""
    from django.core.files.storage import default_storage

    from marketplace.models import Package, PackageFile, PackageItem

    for f in PackageFile.objects.filter(package_id=package_id):
        default_storage.delete(f.storage_key)
    PackageItem.objects.filter(package_id=package_id).delete()
    PackageFile.objects.filter(package_id=package_id).delete()
    Package.objects.filter(id=package_id).update(status="queued", done_items=0)


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


def child(count: int, rounds: int) -> None:
    """Measured builds in this process; prints JSON figures. The first build's peak memory;
    then `rounds` of (tar, build) back to back, so both meet the same load on the machine:
    speeds are the medians, and each round gives a ratio."""
    with tempfile.TemporaryDirectory(prefix="assent-bench-") as tmp:
        workdir = Path(tmp)
        _setup(workdir)
        package_id = seed(count)
        gc.collect()
        from marketplace.packages.builder import build_workers

        rss_before = _reset_peak_rss()
        seconds, cpu = build(package_id)
        rss_after = _peak_rss()
        # The largest peak of a process waited for (the build's worker processes; tar runs
        # after): each builds one shard, so it holds one shard's rows and one file at a time.
        worker_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        builds, tars = [(seconds, cpu)], [plain_tar(workdir)]
        for _ in range(rounds - 1):
            reset(package_id)
            tars.append(plain_tar(workdir))
            builds.append(build(package_id))
        rounds_ = [
            {"build": b[0], "build_cpu": b[1], "tar": t[0]}
            for t, b in zip(tars, builds, strict=True)
        ]
        ratios = sorted(t[0] / b[0] for t, b in zip(tars, builds, strict=True))
        seconds, cpu = sorted(builds)[len(builds) // 2]
        tar_seconds, tar_cpu = sorted(tars)[len(tars) // 2]
        size = sum(p.stat().st_size for p in (workdir / "media" / "originals" / "bench").iterdir())
        floor = checksum_floor(workdir)
        print(
            json.dumps(
                {
                    "images": count,
                    "seconds": seconds,
                    "cpu": cpu,
                    "tar_seconds": tar_seconds,
                    "tar_cpu": tar_cpu,
                    "bytes": size,
                    "checksum_cpu": floor,
                    "ratios": ratios,
                    "rounds": rounds_,
                    "workers": build_workers(),
                    "rss_before_kb": rss_before,
                    "worker_peak_kb": worker_kb,
                    "rss_after_kb": rss_after,
                }
            )
        )


def run(count: int, rounds: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(count), "--rounds", str(rounds)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3, help="tar/build rounds, large run")
    parser.add_argument("--child", type=int)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rounds)
        return
    load_before = os.getloadavg()[0]
    small, large = run(args.small, 1), run(args.images, args.rounds)
    load_after = os.getloadavg()[0]
    mb = large["bytes"] / 1e6
    n = large["images"]
    print(
        f"package of {n:,} images ({mb:,.0f} MB of originals), median of {len(large['ratios'])} rounds, "
        f"{large['workers']} worker process(es) on {os.cpu_count()} CPUs:"
    )
    for label, wall, cpu in (
        ("Assent build", large["seconds"], large["cpu"]),
        ("plain tar", large["tar_seconds"], large["tar_cpu"]),
    ):
        print(
            f"  {label:<14} {wall:7.1f} s  {n / wall:7.0f} images/s  {mb / wall:6.1f} MB/s"
            f"  CPU {cpu * 1000 / n:.2f} ms/image"
        )
    ratios = large["ratios"]
    print(
        f"  ratio          {ratios[len(ratios) // 2]:.2f} of tar's throughput, median of"
        f" {len(ratios)} rounds ({', '.join(f'{r:.2f}' for r in ratios)}; goal: at least 0.5)"
    )
    for i, r in enumerate(large["rounds"], 1):
        print(
            f"    round {i}: build {n / r['build']:5.0f} images/s using {r['build_cpu'] / r['build']:.1f}"
            f" CPUs, tar {n / r['tar']:5.0f} images/s: ratio {r['tar'] / r['build']:.2f}"
        )
    floor, cpus = large["checksum_cpu"], os.cpu_count() or 1
    print(
        f"  checksums alone (two SHA-256 passes, which tar skips): CPU {floor * 1000 / n:.2f} ms/image;"
        f" on {cpus} CPUs no build can pass {large['tar_seconds'] * cpus / floor:.2f} of this tar"
    )
    print(
        f"  1-min load average {load_before:.2f} before, {load_after:.2f} after "
        f"({os.cpu_count()} CPUs): other work on the machine slows both"
    )
    for run_ in (small, large):
        grown = (run_["rss_after_kb"] - run_["rss_before_kb"]) / 1024
        print(
            f"peak memory, {run_['images']:>5,} images: {run_['rss_after_kb'] / 1024:6.0f} MB peak RSS"
            f" during the build ({run_['rss_before_kb'] / 1024:.0f} MB before it, +{grown:.0f} MB);"
            f" largest worker process {run_['worker_peak_kb'] / 1024:.0f} MB"
        )
    print(
        f"memory ratio {args.images:,} vs {args.small:,} images: "
        f"{large['rss_after_kb'] / small['rss_after_kb']:.2f}"
    )


if __name__ == "__main__":
    main()
