"""Near-duplicate search benchmark: exact radius-31 search over 256-bit PDQ hashes with
Assent's multi-index hashing (moderation/neardup/mih.py), against a NumPy brute-force scan
and FAISS's exact IndexBinaryFlat range search measured in the same run, on one core.

    .venv/bin/python bench/neardup.py [--sizes 1000000 10000000] [--queries 1000]

Random stored hashes; half the queries are a stored hash with 0-31 random bits flipped (a
planted match), half random. Recall is checked against FAISS flat (an exact scan), itself
cross-checked against the NumPy scan on the queries that scan runs. Needs no database; it is
a report, not a test (about 4 minutes and 3 GB at 10M on a 2-core machine)."""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one core, as the issue asks; set before NumPy and FAISS load

import argparse  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()  # the package's public side reads the database; this bench does not

from moderation.neardup.mih import MultiIndexHash, scan  # noqa: E402

RADIUS = 31


def planted_queries(rows: np.ndarray, count: int, rng) -> np.ndarray:
    queries = rng.integers(0, 256, (count, 32), dtype=np.uint8)
    for q in range(0, count, 2):
        planted = rows[rng.integers(len(rows))].copy()
        for bit in rng.choice(256, rng.integers(0, RADIUS + 1), replace=False):
            planted[bit // 8] ^= 1 << (bit % 8)
        queries[q] = planted
    return queries


def per_query(search, queries: np.ndarray) -> tuple[list[float], list[set]]:
    times, results = [], []
    for q in range(len(queries)):
        started = time.perf_counter()
        results.append(search(queries[q : q + 1]))
        times.append((time.perf_counter() - started) * 1000)
    return times, results


def line(name: str, times: list[float], flat_p95: float | None = None) -> str:
    p50, p95 = np.percentile(times, 50), np.percentile(times, 95)
    ratio = f"  (p95 {p95 / flat_p95:.2f}x FAISS flat)" if flat_p95 else ""
    return f"  {name:<28} p50 {p50:8.3f} ms   p95 {p95:8.3f} ms   n={len(times)}{ratio}"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench(size: int, query_count: int, scan_count: int, rng) -> None:
    import faiss

    faiss.omp_set_num_threads(1)
    print(f"\n== {size:,} stored hashes, {query_count} queries (half planted) ==")
    rows = rng.integers(0, 256, (size, 32), dtype=np.uint8)
    queries = planted_queries(rows, query_count, rng)

    flat = faiss.IndexBinaryFlat(256)
    flat.add(rows)

    def flat_search(query):
        limits, _, ids = flat.range_search(query, RADIUS + 1)  # FAISS keeps distance < radius
        return set(ids[limits[0] : limits[1]].tolist())

    flat_times, truth = per_query(flat_search, queries)

    started = time.perf_counter()
    index = MultiIndexHash(rows, radius=RADIUS)
    build_s = time.perf_counter() - started
    mih_times, found = per_query(
        lambda query: set(index.search(query, RADIUS)[0].tolist()), queries
    )
    scan_times, scanned = per_query(
        lambda query: set(scan(rows, query, RADIUS)[0].tolist()), queries[:scan_count]
    )
    assert scanned == truth[:scan_count], "FAISS flat and the NumPy scan disagree"
    expected = sum(len(t) for t in truth)
    recalled = sum(len(t & f) for t, f in zip(truth, found, strict=True))
    extra = sum(len(f - t) for t, f in zip(truth, found, strict=True))
    dihedral = []
    for start in range(
        0, query_count - 7, 8
    ):  # an upload asks with its 8 dihedral variants at once
        t0 = time.perf_counter()
        index.search(queries[start : start + 8], RADIUS)
        dihedral.append((time.perf_counter() - t0) * 1000)

    flat_p95 = float(np.percentile(flat_times, 95))
    print(
        f"  multi-index layout: {len(index.widths)} chunks of {sorted(set(index.widths))} bits,"
        f" {len(index._probe_mask)} probes per query; built in {build_s:.1f} s"
    )
    print(
        f"  memory: multi-index {index.nbytes / 2**20:,.0f} MiB (hashes {rows.nbytes / 2**20:,.0f}"
        f" MiB), process peak RSS {rss_mb():,.0f} MiB"
    )
    print(line("NumPy brute-force scan", scan_times, flat_p95))
    print(line("FAISS IndexBinaryFlat range", flat_times))
    print(line("Assent multi-index (NumPy)", mih_times, flat_p95))
    print(line("  same, 8 dihedral at once", dihedral))
    print(
        f"  recall {recalled}/{expected} = {recalled / max(expected, 1):.4%}, false hits {extra};"
        f" planted matches found {sum(1 for q in range(0, query_count, 2) if found[q])}"
        f"/{query_count // 2}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument(
        "--scan-queries",
        type=int,
        default=None,
        help="queries the slow NumPy scan runs (default: all at 1M, 50 above)",
    )
    args = parser.parse_args()
    rng = np.random.default_rng(20260)
    for size in args.sizes:
        scans = args.scan_queries or (args.queries if size <= 1_000_000 else 50)
        bench(size, args.queries, min(scans, args.queries), rng)


if __name__ == "__main__":
    main()
