"""Audio copy search benchmark: Assent's Chromaprint index (moderation/neardup/audio.py) over a
million tracks, against a brute-force `compare()` of the query with every track, extrapolated
from a sample measured in the same run, on one core.

    .venv/bin/python bench/audio_fingerprint.py [--tracks 1000000] [--songs 300]

The corpus is real fingerprints (fpcalc) of generated songs (tests/uploads/sounds.py `song`,
60-120 s) plus distractors that fill it to --tracks. Distractors are, by default, "remixes":
runs of 8-32 s cut from the fingerprints of another set of generated songs (never the queried
ones), every bit flipped with probability 3%, so they share the value statistics, the beat
and the local structure of real fingerprints without being copies of anything queried;
`--distractors random` uses uniform random uint32 instead. Each queried song is copied the way
a thief would: re-encoded (MP3 or Vorbis), its start trimmed by 0-10 s, or cut to a 20-30 s clip
from anywhere, always with a gain of 0.5-1.5; songs that are not in the index are copied the
same way to count false matches. Needs no database; a report, not a test."""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one core; set before NumPy loads

import argparse  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()  # the index module's production half reads the database; this bench does not

from moderation.neardup import audio as audio_index  # noqa: E402
from moderation.neardup.audio import AudioIndex  # noqa: E402
from tests.uploads.sounds import decode, encode_long, song  # noqa: E402
from uploads.audio.fingerprint import (  # noqa: E402
    FRAME_SECONDS,
    MATCH_SCORE,
    compare,
    fingerprint_pcm,
)

SAMPLE_RATE = 22_050  # Chromaprint works at 11,025 Hz; 22.05 kHz halves the cost of making songs
CACHE = Path(tempfile.gettempdir()) / "assent-bench-audiofp-v1"
POOL_SEED, NEGATIVE_SEED = 500_000, 900_000
KINDS = ("re-encoded", "trimmed 0-10 s", "clip 20-30 s")
NOISE_BIT = 0.03


def seconds_of(seed: int) -> float:
    return float(np.random.default_rng(seed).uniform(60, 120))


def copy_of(samples: np.ndarray, seed: int, kind: str) -> tuple[np.ndarray, str]:
    """What a thief uploads: `kind` of copy, random gain and format; returns its samples."""
    rng = np.random.default_rng(seed + 7)
    total = len(samples) / SAMPLE_RATE
    start, keep = 0.0, None
    if kind == "trimmed 0-10 s":
        start = rng.uniform(0, 10)
    elif kind == "clip 20-30 s":
        keep = rng.uniform(20, 30)
        start = rng.uniform(0, total - keep)
    fmt = str(rng.choice(["mp3", "ogg"]))
    gain = rng.uniform(0.5, 1.5)
    lo = int(start * SAMPLE_RATE)
    hi = None if keep is None else lo + int(keep * SAMPLE_RATE)
    data = encode_long(np.clip(samples[lo:hi] * gain, -1, 1), SAMPLE_RATE, fmt)
    copy, rate = decode(data)
    assert rate == SAMPLE_RATE
    return copy, f"{fmt} gain {gain:.2f} from {start:.1f} s" + (
        "" if keep is None else f" for {keep:.1f} s"
    )


class Costs:
    def __init__(self):
        self.seconds = {"generate": 0.0, "fpcalc": 0.0, "copy (encode+decode)": 0.0}
        self.made = 0

    def timed(self, what, fn, *args):
        started = time.perf_counter()
        out = fn(*args)
        self.seconds[what] += time.perf_counter() - started
        return out


def song_and_query(
    seed: int, kind: str | None, costs: Costs
) -> tuple[np.ndarray, np.ndarray | None]:
    """The fingerprint of song `seed` and, if `kind`, of a copy of it (both cached)."""
    path_fp, path_q = CACHE / f"song-{seed}.npy", CACHE / f"query-{seed}.npy"
    if path_fp.exists() and (kind is None or path_q.exists()):
        return np.load(path_fp), (np.load(path_q) if kind else None)
    costs.made += 1
    samples = costs.timed("generate", song, seconds_of(seed), seed, SAMPLE_RATE)
    fp = costs.timed("fpcalc", fingerprint_pcm, samples, SAMPLE_RATE)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path_fp, fp)
    query = None
    if kind:
        copy, _how = costs.timed("copy (encode+decode)", copy_of, samples, seed, kind)
        query = costs.timed("fpcalc", fingerprint_pcm, copy, SAMPLE_RATE)
        np.save(path_q, query)
    return fp, query


def corpus(
    songs: list[np.ndarray], count: int, pool: list[np.ndarray], mode: str, rng
) -> tuple[np.ndarray, np.ndarray]:
    """The songs' fingerprints then `count` distractors (60-120 s each) back to back, written
    in place (one copy of the corpus in memory), and every track's length."""
    lengths = rng.integers(int(60 / FRAME_SECONDS), int(120 / FRAME_SECONDS), count)
    lengths = np.concatenate([[len(fp) for fp in songs], lengths]).astype(np.int64)
    everything = np.empty(int(lengths.sum()), dtype=np.uint32)
    first = sum(len(fp) for fp in songs)
    everything[:first] = np.concatenate(songs) if songs else []
    flat = everything[first:]
    if mode == "random":
        for lo in range(0, len(flat), 1 << 26):
            flat[lo : lo + (1 << 26)] = rng.integers(
                0, 1 << 32, min(1 << 26, len(flat) - lo), dtype=np.uint32
            )
        return everything, lengths
    source = np.concatenate(pool)
    # Sparse flip masks: each bit set with probability NOISE_BIT.
    bits = rng.random((1 << 16, 32)) < NOISE_BIT
    masks = (bits * (np.uint64(1) << np.arange(32, dtype=np.uint64))).sum(axis=1).astype(np.uint32)
    shortest, longest = int(8 / FRAME_SECONDS), int(32 / FRAME_SECONDS)
    for lo in range(0, len(flat), 1 << 25):
        size = min(1 << 25, len(flat) - lo)
        runs = rng.integers(shortest, longest, size // shortest + 2)
        runs = runs[: np.searchsorted(np.cumsum(runs), size) + 1]
        starts = rng.integers(0, len(source) - longest, len(runs))
        at = np.repeat(starts - (np.cumsum(runs) - runs), runs)[:size] + np.arange(size)
        flat[lo : lo + size] = source[at] ^ masks[rng.integers(0, 1 << 16, size)]
    return everything, lengths


def rss_mb(peak: bool = False) -> float:
    if peak:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def wrong_best(index: AudioIndex, query: np.ndarray, truth: int | None) -> float:
    """The best score of any other verified candidate: how close a wrong track came."""
    best = 0.0
    for track, offset in index.candidates(query):
        key, stored = index._track(track)
        if key != truth:
            window = range(offset - audio_index.VERIFY_SLACK, offset + 2 + audio_index.VERIFY_SLACK)
            best = max(best, audio_index._score_near(stored, query, window)[0])
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=1_000_000, help="tracks in the index")
    parser.add_argument("--songs", type=int, default=300, help="real songs indexed and queried")
    parser.add_argument("--negatives", type=int, default=60, help="copies of songs not indexed")
    parser.add_argument("--pool", type=int, default=200, help="songs the remix distractors cut")
    parser.add_argument("--distractors", choices=["remix", "random"], default="remix")
    parser.add_argument("--added", type=int, default=1000, help="tracks added one at a time")
    parser.add_argument("--baseline-tracks", type=int, default=2000)
    parser.add_argument("--baseline-queries", type=int, default=6)
    args = parser.parse_args()
    rng = np.random.default_rng(20260)
    costs = Costs()
    started = time.perf_counter()

    songs, queries = [], []
    for i in range(args.songs):
        fp, query = song_and_query(i, KINDS[i % 3], costs)
        songs.append(fp)
        queries.append(query)
    negatives = [
        song_and_query(NEGATIVE_SEED + i, KINDS[i % 3], costs)[1] for i in range(args.negatives)
    ]
    pool = (
        []
        if args.distractors == "random"
        else [song_and_query(POOL_SEED + i, None, costs)[0] for i in range(args.pool)]
    )
    made = time.perf_counter() - started
    print(f"Audio copy search benchmark: {args.tracks:,} tracks, {args.songs} real songs")
    print(
        f"Python {sys.version.split()[0]}, numpy {np.__version__}; fpcalc 1.5.1, songs at {SAMPLE_RATE} Hz"
    )
    if costs.made:
        per = {k: v / costs.made for k, v in costs.seconds.items()}
        print(
            f"made {costs.made} songs (+ copies) in {made:.0f} s: per song "
            + ", ".join(f"{k} {v:.2f} s" for k, v in per.items())
            + f"; cached in {CACHE}"
        )
    else:
        print(f"songs and copies read from the cache in {made:.1f} s ({CACHE})")

    fill = max(0, args.tracks - args.songs)
    t0 = time.perf_counter()
    all_flat, all_lengths = corpus(songs, fill, pool, args.distractors, rng)
    # The real songs get random keys among the distractors'.
    keys = rng.permutation(args.tracks)[: args.songs + fill]
    song_keys = keys[: args.songs]
    made_d = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    index = AudioIndex()
    index.add_many(keys, all_flat, all_lengths)
    build, build_cpu = time.perf_counter() - t0, time.process_time() - c0
    del all_flat
    postings = len(index.postings.tracks)
    print(
        f"distractors ({args.distractors}): {fill:,} made in {made_d:.1f} s;"
        f" {int(all_lengths.sum()):,} frames ({all_lengths.mean() * FRAME_SECONDS:.0f} s a track on average)"
    )
    print(
        f"index built in {build:.1f} s ({build_cpu:.1f} s CPU): {postings:,} postings ({postings / all_lengths.sum():.1%} of frames,"
        f" under {int(audio_index._SAMPLED.sum()):,} key values of {audio_index.KEY_BITS} bits)"
    )
    print(
        f"memory: index {index.nbytes / 2**20:,.0f} MiB (fingerprints {index.fps.nbytes / 2**20:,.0f} MiB,"
        f" postings {index.postings.nbytes / 2**20:,.0f} MiB); process RSS {rss_mb():,.0f} MiB, peak {rss_mb(True):,.0f} MiB"
    )

    # Warm up, then time every query once.
    for query in queries[:5]:
        index.search(query)
    times, cpu, results = [], [], []
    load_before = os.getloadavg()[0]
    for query in [*queries, *negatives]:
        t0, c0 = time.perf_counter(), time.process_time()
        results.append(index.search(query))
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    p50, p95 = np.percentile(times, 50), np.percentile(times, 95)
    print(
        f"\nAssent index, {len(times)} queries: wall p50 {p50:.2f} ms, p95 {p95:.2f} ms,"
        f" max {max(times):.1f} ms; CPU p50 {np.percentile(cpu, 50):.2f} ms,"
        f" p95 {np.percentile(cpu, 95):.2f} ms (1-min load average {load_before:.2f} before,"
        f" {os.getloadavg()[0]:.2f} after, {os.cpu_count()} CPUs)"
    )
    print("recall (the copied song among the answers; top = it is the first answer):")
    for kind in KINDS:
        rows = [i for i in range(args.songs) if KINDS[i % 3] == kind]
        found = [i for i in rows if any(m.key == song_keys[i] for m in results[i])]
        top = [i for i in rows if results[i] and results[i][0].key == song_keys[i]]
        scores = [next(m.score for m in results[i] if m.key == song_keys[i]) for i in found]
        low = f", lowest score {min(scores):.3f}" if scores else ""
        print(
            f"  {kind:<16} {len(found)}/{len(rows)} = {len(found) / max(len(rows), 1):.2%}, top {len(top)}{low}"
        )
    total_found = sum(
        1 for i in range(args.songs) if any(m.key == song_keys[i] for m in results[i])
    )
    wrong = sum(1 for i in range(args.songs) for m in results[i] if m.key != song_keys[i])
    wrong_neg = sum(len(r) for r in results[args.songs :])
    print(f"  all              {total_found}/{args.songs} = {total_found / max(args.songs, 1):.2%}")
    print(
        f"false matches: {wrong} among the {args.songs} copies, {wrong_neg} for the {args.negatives} songs not indexed"
    )
    near = [wrong_best(index, q, int(song_keys[i])) for i, q in enumerate(queries[:60])]
    near += [wrong_best(index, q, None) for q in negatives]
    print(
        f"best wrong candidate scored {max(near):.3f} (median {np.median(near):.3f}); MATCH_SCORE is {MATCH_SCORE}"
    )

    # New works arrive one at a time: each goes to the tail and is searchable at once.
    extra, extra_lengths = corpus([], args.added, pool, args.distractors, rng)
    extra_starts = np.concatenate([[0], np.cumsum(extra_lengths)])
    added = []
    for i in range(args.added):
        t0 = time.perf_counter()
        index.add(10**9 + i, extra[extra_starts[i] : extra_starts[i + 1]])
        index.search(queries[i % len(queries)])
        added.append((time.perf_counter() - t0) * 1000)
    last = extra[extra_starts[-2] : extra_starts[-1]]
    assert [m.key for m in index.search(last[100:300])][:1] == [10**9 + args.added - 1]
    t0 = time.perf_counter()
    index.merge()
    merged = time.perf_counter() - t0
    print(
        f"\n{args.added} tracks added one at a time, each then a search: p50"
        f" {np.percentile(added, 50):.2f} ms, p95 {np.percentile(added, 95):.2f} ms (the tail);"
        f" folding them into the main table took {merged:.1f} s; peak RSS {rss_mb(True):,.0f} MiB"
    )

    # Brute force: compare() (every alignment) against a sample of tracks, extrapolated.
    sample = rng.choice(len(index.keys), min(args.baseline_tracks, len(index.keys)), replace=False)
    per_track = []
    for query in queries[: args.baseline_queries]:
        t0 = time.perf_counter()
        for track in sample:
            compare(index._track(int(track))[1], query)
        per_track.append((time.perf_counter() - t0) * 1000 / len(sample))
    brute = float(np.mean(per_track)) * args.tracks
    print(
        f"\nbrute force compare() with every track: {np.mean(per_track) * 1000:.0f} us a track"
        f" ({args.baseline_queries} queries x {len(sample)} tracks) -> {brute / 1000:,.1f} s a query"
        f" at {args.tracks:,} tracks"
    )
    print(f"ratio brute force / index: {brute / p50:,.0f}x at p50, {brute / p95:,.0f}x at p95")
    print(f"goal p95 < 50 ms: {'PASS' if p95 < 50 else 'FAIL'} ({p95:.1f} ms)")
    recall = total_found / max(args.songs, 1)
    print(f"goal recall >= 0.98: {'PASS' if recall >= 0.98 else 'FAIL'} ({recall:.4f})")
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
