"""Near-copy text search benchmark: Assent's MinHash LSH (moderation/neardup/text.py) over
1,000,000 stored signatures, against a NumPy brute-force scan of every signature measured in
the same run, on one core; plus datasketch's MinHashLSH at a smaller size (why it is not used)
and the passage index.

    .venv/bin/python bench/text_minhash.py [--texts 1000000] [--stories 1000]

Stored: the signatures of `--stories` generated stories (tests/uploads/texts.py, 200-3000
words), 4 heavy rewrites of each (50-80% of words replaced: real signatures that share a little
with their story, so the LSH has true low-similarity candidates to verify away), and, to reach
`--texts`, MinHash signatures of random 100-word texts over the stories' vocabulary, computed
vectorised (real signatures of real shingle sets, only short ones: generating and hashing 1M
full stories would take an hour). Queries: a 10%-edited copy of each story (and a 20% one,
reported). Needs no database; a report, not a test."""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one core; set before NumPy loads

import argparse  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()  # the package's production side reads the database; this bench does not

from moderation.neardup.text import PassageIndex, TextIndex  # noqa: E402
from tests.uploads.texts import edit, story  # noqa: E402
from uploads.text import fingerprint as fp  # noqa: E402

DISTRACTOR_WORDS = 100
REWRITES = (0.5, 0.6, 0.7, 0.8)


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def line(name: str, times: list[float], base_p95: float | None = None, base: str = "") -> str:
    p50, p95 = np.percentile(times, 50), np.percentile(times, 95)
    ratio = f"  (p95 {base_p95 / p95:,.0f}x faster than {base})" if base_p95 else ""
    return f"  {name:<30} p50 {p50:8.3f} ms   p95 {p95:8.3f} ms   n={len(times)}{ratio}"


def distractor_signatures(count: int, vocabulary: list[str], rng) -> np.ndarray:
    """MinHash signatures of `count` random 100-word texts, 256 at a time."""
    table = fp.word_hashes(vocabulary)
    out = np.empty((count, fp.NUM_PERM), dtype=np.uint32)
    for start in range(0, count, 256):
        n = min(256, count - start)
        words = table[rng.integers(0, len(table), (n, DISTRACTOR_WORDS))]
        out[start : start + n] = fp.minhash(fp.shingle_hashes(words))
    return out


def timed(fn, items) -> tuple[list[float], list]:
    times, results = [], []
    for item in items:
        started = time.perf_counter()
        results.append(fn(item))
        times.append((time.perf_counter() - started) * 1000)
    return times, results


def bench_datasketch(sigs: np.ndarray, queries: np.ndarray) -> None:
    from datasketch import LeanMinHash, MinHashLSH

    lsh = MinHashLSH(threshold=fp.MATCH_SIMILARITY, num_perm=fp.NUM_PERM, params=(64, 2))
    before = rss_mb()
    started = time.perf_counter()
    with lsh.insertion_session() as session:
        for i, sig in enumerate(sigs.astype(np.uint64)):
            session.insert(
                i, LeanMinHash(seed=1, hashvalues=sig, scheme="legacy"), check_duplication=False
            )
    build = time.perf_counter() - started
    grown = rss_mb() - before
    times, _ = timed(
        lambda q: lsh.query(LeanMinHash(seed=1, hashvalues=q, scheme="legacy")),
        queries.astype(np.uint64),
    )
    scale = 1_000_000 / len(sigs)
    print(
        f"  datasketch MinHashLSH (64x2), {len(sigs):,} signatures: insert {build:.1f} s,"
        f" +{grown:,.0f} MB (so about {build * scale:.0f} s and {grown * scale / 1024:.1f} GB"
        f" at 1M); query p50 {np.percentile(times, 50):.3f} ms (candidates only, unverified)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=1_000_000, help="stored signatures")
    parser.add_argument("--stories", type=int, default=1000, help="real stories queried")
    parser.add_argument("--scan-queries", type=int, default=100, help="brute-force queries")
    parser.add_argument(
        "--datasketch", type=int, default=50_000, help="signatures in the datasketch run (0: skip)"
    )
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    rng = np.random.default_rng(20261)
    stories_n = min(args.stories, args.texts // (1 + len(REWRITES)))
    load = os.getloadavg()[0]
    print(
        f"== {args.texts:,} stored signatures: {stories_n} stories, "
        f"{stories_n * len(REWRITES):,} heavy rewrites, the rest random {DISTRACTOR_WORDS}-word"
        f" texts; {fp.NUM_PERM} permutations, {fp.SHINGLE_WORDS}-word shingles, threshold"
        f" {fp.MATCH_SIMILARITY} =="
    )

    lengths = rng.integers(200, 3001, stories_n)
    texts = [story(int(n), seed=10_000 + i) for i, n in enumerate(lengths)]
    started = time.perf_counter()
    story_sigs = np.stack([fp.signature(t) for t in texts])
    per_kword = (time.perf_counter() - started) * 1000 / (lengths.sum() / 1000)
    book = story(100_000, seed=7)
    book_ms = min(timed(fp.signature, [book] * 3)[0])
    print(
        f"  signature: {per_kword:.2f} ms per 1,000 words over the stories;"
        f" 100,000-word book {book_ms:.0f} ms"
    )

    started = time.perf_counter()
    rewrites = np.stack(
        [fp.signature(edit(t, share, seed=i)) for i, t in enumerate(texts) for share in REWRITES]
    )
    vocabulary = sorted({w for t in texts[:50] for w in fp.words(fp.normalize(t))})
    rest = args.texts - len(story_sigs) - len(rewrites)
    distractors = distractor_signatures(rest, vocabulary, rng)
    print(
        f"  distractors made in {time.perf_counter() - started:.1f} s"
        f" ({len(vocabulary)}-word vocabulary)"
    )
    sigs = np.concatenate([story_sigs, rewrites, distractors])
    del distractors
    queries = np.stack([fp.signature(edit(t, 0.1, seed=50_000 + i)) for i, t in enumerate(texts)])
    queries20 = np.stack([fp.signature(edit(t, 0.2, seed=60_000 + i)) for i, t in enumerate(texts)])

    before = rss_mb()
    started = time.perf_counter()
    index = TextIndex()
    index.add_many(np.arange(len(sigs)), sigs)
    build_s = time.perf_counter() - started
    print(
        f"  Assent LSH built in {build_s:.1f} s: {index.nbytes / 2**20:,.0f} MiB"
        f" (signatures {index.sigs.nbytes / 2**20:,.0f} MiB, band table"
        f" {index.table.nbytes / 2**20:,.0f} MiB); RSS +{rss_mb() - before:,.0f} MB,"
        f" process peak {peak_mb():,.0f} MB"
    )

    lsh_times, found = timed(lambda q: index.search(q, limit=None), queries)
    candidates = [len(index.candidates(q)) for q in queries[:200]]
    slots = int(np.ceil(fp.MATCH_SIMILARITY * fp.NUM_PERM - 1e-9))

    def brute(q):
        equal = np.count_nonzero(sigs == q, axis=1)
        return set(np.flatnonzero(equal >= slots).tolist())

    scan_n = min(args.scan_queries, len(queries))
    scan_times, scanned = timed(brute, queries[:scan_n])
    scan_p95 = float(np.percentile(scan_times, 95))
    print(line("NumPy brute force (all sigs)", scan_times))
    print(line("Assent LSH + verification", lsh_times, scan_p95, "brute force"))
    recalled = sum(any(m.key == i for m in hits) for i, hits in enumerate(found))
    agree = sum({m.key for m in found[i]} == scanned[i] for i in range(scan_n))
    false_hits = sum(sum(m.key != i for m in hits) for i, hits in enumerate(found))
    print(
        f"  recall (10% edits): {recalled}/{len(queries)} = {recalled / len(queries):.2%};"
        f" same answer as brute force {agree}/{scan_n}; other texts returned {false_hits};"
        f" candidates per query p50 {np.median(candidates):.0f}, max {max(candidates)}"
    )
    found20 = [index.search(q, limit=None) for q in queries20]
    recalled20 = sum(any(m.key == i for m in hits) for i, hits in enumerate(found20))
    true20 = sum(
        fp.similarity(q, story_sigs[i]) >= fp.MATCH_SIMILARITY for i, q in enumerate(queries20)
    )
    print(
        f"  20% edits: found {recalled20}/{len(queries20)} ({recalled20 / len(queries20):.1%});"
        f" {true20} of them score at least {fp.MATCH_SIMILARITY} against their story"
    )

    if args.datasketch:
        bench_datasketch(sigs[: args.datasketch], queries[:200])

    # Passages: the stories and their rewrites in the passage index, 100-word passages with 4
    # words in 100 changed, and 50-word exact ones, against a containment scan of every sketch.
    sketches = [fp.passage_hashes(t) for t in texts]
    sketches += [fp.passage_hashes(edit(t, 0.5, seed=i)) for i, t in enumerate(texts)]
    passages = PassageIndex()
    started = time.perf_counter()
    for key, sketch in enumerate(sketches):
        passages.add(key, sketch)
    passages.merge()
    p_build = time.perf_counter() - started
    asks = []
    for i, t in enumerate(texts):
        words = t.split()
        start = int(rng.integers(0, len(words) - 100))
        asks.append((i, fp.passage_hashes(edit(" ".join(words[start : start + 100]), 0.04, i))))
        asks.append((i, fp.passage_hashes(" ".join(words[start : start + 50]))))
    p_times, p_found = timed(lambda a: passages.search(a[1]), asks)

    def containment_scan(ask):
        return [
            k
            for k, s in enumerate(sketches)
            if (c := fp.containment(ask[1], s))[0] >= fp.PASSAGE_CONTAINMENT
            and c[1] >= fp.PASSAGE_MIN_SHARED
        ]

    s_times, _ = timed(containment_scan, asks[:50])
    p_recall = [
        sum(bool(h) and h[0].key == i for (i, _), h in zip(asks[j::2], p_found[j::2], strict=True))
        for j in (0, 1)
    ]
    # Each story's 50% rewrite still holds some of its passages: counted apart from the others.
    p_rewrite = sum(
        any(m.key == stories_n + i for m in h) for (i, _), h in zip(asks, p_found, strict=True)
    )
    p_false = sum(
        sum(m.key not in (i, stories_n + i) for m in h)
        for (i, _), h in zip(asks, p_found, strict=True)
    )
    print(
        f"  passages: {len(sketches):,} sketches ({passages.nbytes / 2**20:.1f} MiB), built in"
        f" {p_build:.2f} s; 100-word passages (4% edited) found {p_recall[0]}/{stories_n},"
        f" 50-word passages {p_recall[1]}/{stories_n}; the story's 50% rewrite returned too"
        f" {p_rewrite} times, any other work {p_false}"
    )
    print(line("passage index", p_times, float(np.percentile(s_times, 95)), "the scan"))
    print(line("containment scan (baseline)", s_times))
    print(f"1-min load average: {load:.2f} before, {os.getloadavg()[0]:.2f} after (2 CPUs)")


if __name__ == "__main__":
    main()
