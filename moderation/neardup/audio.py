"""Finding a stored audio work from a copy: re-encoded, trimmed, gain-changed or cut to a clip.

`AudioIndex` holds every stored Chromaprint fingerprint in memory and answers in two steps:

1. Candidates. The top KEY_BITS bits of a frame's value survive a re-encode in a sixth to two
   fifths of the frames (the fewest when the copy starts half a frame off the original's
   grid), so they key an inverted index, as AcoustID's does. To keep it small only frames whose key
   hashes into one bucket in SAMPLE_RATE are indexed; the query is sampled the same way, so a
   key the two share is sampled on both sides. A posting is (track, frame); a query key that
   hits it votes for (track, stored frame - query frame): a copy piles its votes on one offset
   while chance collisions scatter. A query reads its rarest keys first and stops at
   POSTINGS_BUDGET postings, so common values (music reuses some far more than others) cannot
   make it slow.
2. Verification. The best-voted (track, offset) pairs are measured bit by bit around the voted
   offset, and only those scoring at least MATCH_SCORE are answered.

Tracks added one at a time go to a tail with its own sorted keys, merged in at the next search
(milliseconds), and are folded into the main table past TAIL_MAX tracks (a full rebuild, about
45 s at a million tracks). bench/audio_fingerprint.py measures build time, memory, latency and
recall at a million tracks; bench/README.md has the figures."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# The image index's id tracker: ids above the highest seen, and gaps below it that a later
# commit may still fill (see its docstring).
from moderation.neardup.index import HASHLESS_STATUSES, _Tracker
from uploads.audio.fingerprint import MATCH_SCORE, MIN_OVERLAP_FRAMES, compare, from_bytes
from uploads.models import Work, WorkKind

__all__ = ["AudioIndex", "AudioMatch", "audio_index_reset", "audio_matches"]

KEY_BITS = 20  # top bits of a frame value used as the index key
SAMPLE_RATE = 4  # one key value in this many (by hash) is indexed
MAX_FRAMES = 4096  # frames of a fingerprint indexed and searched (8.5 min; works keep 8:20)
POSTINGS_BUDGET = 50_000  # postings a query reads, rarest keys first (MIN_KEYS at least)
MIN_KEYS = 16
CANDIDATES = 24  # best (track, offset) pairs verified per query
VERIFY_SLACK = 2  # frames either side of the voted offsets that verification tries
TAIL_MAX = 20_000  # tracks in the tail before it is folded into the main table
_BUILD_CHUNK = 1 << 24  # frames turned into postings at a time (bounds the build's memory)
_OFFSET_BIAS = 1 << 16  # a vote packs track << 17 | (stored - query frame + bias)


@dataclass(frozen=True)
class AudioMatch:
    key: int
    score: float  # as `uploads.audio.fingerprint.compare` scores
    offset: int  # frames: query frame i lines up with stored frame i + offset


# Which key values are indexed (one in SAMPLE_RATE, by a multiplicative hash), and each
# indexed value's rank among them, for the radix sort of the build.
_SAMPLED = ((np.arange(1 << KEY_BITS, dtype=np.uint64) * 2654435761) & 0xFFFFFFFF) >> (
    32 - int(np.log2(SAMPLE_RATE))
) == 0
_RANK = (np.cumsum(_SAMPLED) - 1).astype(np.uint32)


def _key_frames(keys: np.ndarray, track_start: np.ndarray) -> np.ndarray:
    """Which frames are indexed: the first of each run of equal keys (a held chord repeats one
    value for many frames) whose key is sampled. `track_start` marks each track's first frame,
    where a run breaks whatever the key."""
    run_start = track_start.copy()
    run_start[1:] |= keys[1:] != keys[:-1]
    return np.flatnonzero(run_start & _SAMPLED[keys])


def _query_keys(fp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keys = fp >> (32 - KEY_BITS)
    first = np.zeros(len(fp), dtype=bool)
    first[:1] = True
    chosen = _key_frames(keys, first)
    return keys[chosen].astype(np.int64), chosen


def _columns(fps: np.ndarray, starts: np.ndarray, first_track: int) -> list[np.ndarray]:
    """The postings of tracks stored back to back (track t is fps[starts[t]:starts[t+1]],
    numbered from `first_track`) as [keys, tracks, frames], in track order."""
    parts = []
    step = max(1, _BUILD_CHUNK // 1024)  # tracks per chunk
    for lo in range(0, len(starts) - 1, step):
        hi = min(lo + step, len(starts) - 1)
        base = starts[lo]
        chunk_keys = fps[base : starts[hi]] >> (32 - KEY_BITS)
        track_start = np.zeros(len(chunk_keys), dtype=bool)
        track_start[starts[lo:hi] - base] = True
        chosen = _key_frames(chunk_keys, track_start)
        track = np.searchsorted(starts[lo : hi + 1] - base, chosen, side="right") - 1
        parts.append(
            [
                chunk_keys[chosen].astype(np.uint32),
                (track + lo + first_track).astype(np.int32),
                (chosen - (starts[lo + track] - base)).astype(np.uint16),
            ]
        )
    if not parts:
        return [np.zeros(0, np.uint32), np.zeros(0, np.int32), np.zeros(0, np.uint16)]
    # One column at a time, so the pieces and the whole are not all held at once.
    columns = []
    for column in range(3):
        columns.append(np.concatenate([part[column] for part in parts]))
        for part in parts:
            part[column] = None
    return columns


class _Postings:
    """Postings, (track, frame) sorted by key; subclasses say where a key's postings are."""

    tracks: np.ndarray
    frames: np.ndarray
    stop_at = 4096

    def ranges(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    @property
    def nbytes(self) -> int:
        return self.tracks.nbytes + self.frames.nbytes

    def votes(self, keys: np.ndarray, frames: np.ndarray) -> np.ndarray:
        """One code per posting hit, track << 17 | (stored - query frame + bias), reading the
        query's rarest keys first and stopping at about POSTINGS_BUDGET postings: a rare key
        says as much as a common one and costs a fraction, so a query costs about the same
        however popular its values are."""
        begin, sizes = self.ranges(keys)
        order = np.argsort(sizes, kind="stable")
        within = int(np.searchsorted(np.cumsum(sizes[order]), POSTINGS_BUDGET, side="right"))
        keep = order[: max(MIN_KEYS, within)]
        keep = keep[sizes[keep] <= self.stop_at]
        begin, sizes, frames = begin[keep], sizes[keep], frames[keep]
        total = int(sizes.sum())
        if not total:
            return np.zeros(0, np.int64)
        # Every posting of every kept key, gathered without a Python loop.
        firsts = np.cumsum(sizes) - sizes
        at = np.arange(total) + np.repeat(begin - firsts, sizes)
        offsets = self.frames[at].astype(np.int64) - np.repeat(frames, sizes)
        return (self.tracks[at].astype(np.int64) << 17) | (offsets + _OFFSET_BIAS)


class _TablePostings(_Postings):
    """The main table: a dense array of where each key's postings start (2**KEY_BITS + 1
    entries, 8 MiB), built once."""

    def __init__(self, columns: list[np.ndarray]):
        """From [keys, tracks, frames], one entry per posting in any order. The list is
        emptied as it is read, so the build never holds two copies of a column."""
        keys = columns[0]
        tracks, frames = columns.pop(1), columns.pop(1)
        self.tracks = np.empty(len(keys), dtype=np.int32)
        self.frames = np.empty(len(keys), dtype=np.uint16)
        # Sorted by the key's rank among the sampled keys: by its high bits one bucket at a
        # time, then within a bucket by a stable sort of the low 16 bits, which numpy does in
        # linear time (a radix sort): 2.5 times faster than argsort on a million tracks, and
        # about 1.5 GB of temporary index arrays at that size instead of 4.
        rank = _RANK[keys]
        high = (rank >> 16).astype(np.uint16)
        low = (rank & 0xFFFF).astype(np.uint16)
        del rank
        done = 0
        for bucket in range(int(high.max(initial=0)) + 1):
            members = np.flatnonzero(high == bucket)
            members = members[np.argsort(low[members], kind="stable")]
            self.tracks[done : done + len(members)] = tracks[members]
            self.frames[done : done + len(members)] = frames[members]
            done += len(members)
        del high, low, members, tracks, frames
        counts = np.bincount(keys, minlength=1 << KEY_BITS)
        columns.clear()
        self.starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        # A key far more common than the average indexed one (silence, a test tone) says
        # little: a query reads the fewest postings first (see `votes`) and never this one.
        self.stop_at = max(4096, 64 * len(keys) // int(_SAMPLED.sum()))

    @property
    def nbytes(self) -> int:
        return super().nbytes + self.starts.nbytes

    def ranges(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        begin = self.starts[keys]
        return begin, self.starts[keys + 1] - begin


class _TailPostings(_Postings):
    """The tail: its own sorted keys, found by binary search, so tracks join it by a merge
    (a copy of the tail, milliseconds) rather than a rebuild."""

    def __init__(self) -> None:
        self.keys = np.zeros(0, dtype=np.uint32)
        self.tracks = np.zeros(0, dtype=np.int32)
        self.frames = np.zeros(0, dtype=np.uint16)

    @property
    def nbytes(self) -> int:
        return super().nbytes + self.keys.nbytes

    def extend(self, columns: list[np.ndarray]) -> None:
        keys, tracks, frames = columns
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        at = np.searchsorted(self.keys, keys, side="right")
        self.keys = np.insert(self.keys, at, keys)
        self.tracks = np.insert(self.tracks, at, tracks[order])
        self.frames = np.insert(self.frames, at, frames[order])

    def ranges(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        begin = np.searchsorted(self.keys, keys, side="left")
        return begin, np.searchsorted(self.keys, keys, side="right") - begin


def _score_near(stored: np.ndarray, query: np.ndarray, offsets: range) -> tuple[float, int]:
    """`compare`'s score at the given offsets only: the best and its offset."""
    n, m = len(stored), len(query)
    need = max(1, min(MIN_OVERLAP_FRAMES, n, m))
    best, best_offset = 0.0, 0
    for offset in offsets:
        lo, hi = max(0, -offset), min(m, n - offset)
        if hi - lo < need:
            continue
        errors = int(np.bitwise_count(stored[lo + offset : hi + offset] ^ query[lo:hi]).sum())
        score = 1.0 - errors / (32.0 * (hi - lo))
        if score > best:
            best, best_offset = score, offset
    return best, best_offset


class AudioIndex:
    """Fingerprints under integer keys (work ids in production). A key added twice keeps both
    fingerprints and is answered once, with its better score."""

    def __init__(self) -> None:
        self.keys = np.zeros(0, dtype=np.int64)  # the caller's key per main-table track
        self.fps = np.zeros(0, dtype=np.uint32)  # every main-table fingerprint, back to back
        self.starts = np.zeros(1, dtype=np.int64)  # track t is fps[starts[t]:starts[t + 1]]
        self.postings = _TablePostings(_columns(self.fps, self.starts, 0))
        # Tracks added one at a time: tail track i is track len(self.keys) + i.
        self.tail_keys: list[int] = []
        self.tail_fps: list[np.ndarray] = []
        self.tail_postings = _TailPostings()
        self._tail_indexed = 0  # tail tracks already in tail_postings
        self.lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.keys) + len(self.tail_keys)

    @property
    def nbytes(self) -> int:
        tail = sum(fp.nbytes for fp in self.tail_fps) + self.tail_postings.nbytes
        return self.keys.nbytes + self.fps.nbytes + self.starts.nbytes + self.postings.nbytes + tail

    def add(self, key: int, fp: np.ndarray) -> None:
        """Add one track to the tail (indexed at the next search)."""
        fp = np.asarray(fp, dtype=np.uint32)[:MAX_FRAMES]
        if not len(fp):
            return
        self.tail_keys.append(int(key))
        self.tail_fps.append(fp)
        if len(self.tail_keys) > TAIL_MAX:
            self.merge()

    def add_many(
        self,
        keys: Sequence[int] | np.ndarray,
        fps: Sequence[np.ndarray] | np.ndarray,
        lengths: np.ndarray | None = None,
    ) -> None:
        """Add many tracks and rebuild the main table once (with the tail in it). `fps` is
        either one fingerprint per key or, with `lengths`, all of them back to back in one
        uint32 array (not copied when it is the first thing added)."""
        keys = np.asarray(keys, dtype=np.int64)
        if lengths is None:
            fps = [np.asarray(fp, dtype=np.uint32)[:MAX_FRAMES] for fp in fps]
            lengths = np.array([len(fp) for fp in fps], dtype=np.int64)
            flat = np.concatenate(fps) if fps else np.zeros(0, np.uint32)
        else:
            lengths = np.asarray(lengths, dtype=np.int64)
            flat = np.asarray(fps, dtype=np.uint32)
            if lengths.max(initial=0) > MAX_FRAMES:
                starts = np.concatenate([[0], np.cumsum(lengths)])
                frame = np.arange(len(flat)) - np.repeat(starts[:-1], lengths)
                flat = flat[frame < MAX_FRAMES]
                lengths = np.minimum(lengths, MAX_FRAMES)
        if len(keys) != len(lengths) or int(lengths.sum()) != len(flat):
            raise ValueError("keys, fingerprints and lengths disagree")
        self._rebuild(keys, flat, lengths)

    def merge(self) -> None:
        """Fold the tail into the main table."""
        if self.tail_keys:
            self._rebuild(np.zeros(0, np.int64), np.zeros(0, np.uint32), np.zeros(0, np.int64))

    def _rebuild(self, keys: np.ndarray, flat: np.ndarray, lengths: np.ndarray) -> None:
        """The main table again, from its tracks, the tail's, then these."""
        parts = [(keys, flat, lengths)]
        if self.tail_keys:
            tail_lengths = np.array([len(fp) for fp in self.tail_fps], dtype=np.int64)
            parts.insert(0, (np.array(self.tail_keys), np.concatenate(self.tail_fps), tail_lengths))
        if len(self.keys):
            parts.insert(0, (self.keys, self.fps, np.diff(self.starts)))
        self.postings = self.tail_postings = None  # let the old tables go first
        if len(parts) == 1:
            self.keys, self.fps, all_lengths = parts[0]
        else:
            self.keys, self.fps, all_lengths = (np.concatenate(p) for p in zip(*parts, strict=True))
        del parts
        self.starts = np.concatenate([[0], np.cumsum(all_lengths)]).astype(np.int64)
        self.postings = _TablePostings(_columns(self.fps, self.starts, 0))
        self.tail_keys, self.tail_fps, self._tail_indexed = [], [], 0
        self.tail_postings = _TailPostings()

    def _catch_up_tail(self) -> None:
        new = self.tail_fps[self._tail_indexed :]
        if new:
            lengths = np.array([len(fp) for fp in new], dtype=np.int64)
            starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
            first = len(self.keys) + self._tail_indexed
            self.tail_postings.extend(_columns(np.concatenate(new), starts, first))
            self._tail_indexed = len(self.tail_fps)

    def _track(self, track: int) -> tuple[int, np.ndarray]:
        if track < len(self.keys):
            return int(self.keys[track]), self.fps[self.starts[track] : self.starts[track + 1]]
        return self.tail_keys[track - len(self.keys)], self.tail_fps[track - len(self.keys)]

    def candidates(self, fp: np.ndarray, *, most: int = CANDIDATES) -> list[tuple[int, int]]:
        """The best-voted (track, offset) pairs, most votes first, one per track, at most
        `most` of them."""
        keys, frames = _query_keys(np.asarray(fp, dtype=np.uint32)[:MAX_FRAMES])
        self._catch_up_tail()
        votes = [self.postings.votes(keys, frames)]
        if self.tail_keys:
            votes.append(self.tail_postings.votes(keys, frames))
        codes = np.concatenate(votes)
        if not len(codes):
            return []
        codes, counts = np.unique(codes, return_counts=True)
        # A copy off the original's grid by half a frame splits its votes between two
        # neighbouring offsets: count each offset with the next one (its neighbour in the
        # sorted codes, if there).
        pairs = counts.copy()
        pairs[:-1] += np.where(codes[1:] == codes[:-1] + 1, counts[1:], 0)
        top = min(len(codes), most * 4)
        best = np.argpartition(-pairs, top - 1)[:top]
        best = best[np.argsort(-pairs[best], kind="stable")]
        picked: dict[int, int] = {}
        for code in codes[best].tolist():
            track = code >> 17
            if track not in picked:
                picked[track] = (code & ((1 << 17) - 1)) - _OFFSET_BIAS
                if len(picked) == most:
                    break
        return list(picked.items())

    def search(self, fp: np.ndarray, *, limit: int = 10) -> list[AudioMatch]:
        """Stored fingerprints that `fp` is a copy of (or a clip of), best first, each scoring
        at least MATCH_SCORE; `limit` of them, from at least CANDIDATES candidates."""
        fp = np.asarray(fp, dtype=np.uint32)[:MAX_FRAMES]
        found: dict[int, AudioMatch] = {}
        for track, offset in self.candidates(fp, most=max(limit, CANDIDATES)):
            key, stored = self._track(track)
            window = range(offset - VERIFY_SLACK, offset + 2 + VERIFY_SLACK)
            score, at = _score_near(stored, fp, window)
            if score >= MATCH_SCORE and (key not in found or score > found[key].score):
                found[key] = AudioMatch(key=key, score=score, offset=at)
        return sorted(found.values(), key=lambda m: (-m.score, m.key))[:limit]


# --- production: every audio work in the database -----------------------------------------

_index: AudioIndex | None = None
_tracker = _Tracker()
_index_lock = threading.Lock()
_BATCH = 10_000


def _current_index() -> tuple[AudioIndex, _Tracker]:
    global _index, _tracker
    with _index_lock:
        if _index is None:
            _index, _tracker = AudioIndex(), _Tracker()
        return _index, _tracker


def audio_index_reset() -> None:
    """Forget this process's index; the next search reads every fingerprint again (tests do
    this between databases; so must a deploy that rewrites fingerprints in bulk)."""
    global _index
    with _index_lock:
        _index = None


def _catch_up(index: AudioIndex, tracker: _Tracker) -> None:
    """Index the audio works committed since the last call: ids above the highest seen, the
    gaps below it (ids whose insert had not committed yet), and works read without a
    fingerprint that processing may still give one.

    Limits: a fingerprint that changes after it was indexed keeps its old value in the index
    (`audio_matches` re-checks every match against the database, so a stale one is never
    answered, but the new value is not searched until `audio_index_reset`); a work that leaves
    processing without a fingerprint (fpcalc missing) is not read again unless processing
    takes it up again."""
    audio = Work.objects.filter(kind=WorkKind.AUDIO)
    # The sweep by id reads works of every kind (images and texts bring an empty fingerprint):
    # the tracker must see every id the table hands out, or each picture between two
    # recordings would stay a "gap" re-read by every search for up to NEARDUP_GAP_SECONDS.
    works = Work.objects.all()
    fields = ("id", "audio_fingerprint", "status", "kind")
    found: list[tuple[int, np.ndarray]] = []
    waiting: set[int] = set()

    def read(rows) -> None:
        for work_id, fp, status, kind in rows:
            if fp:
                found.append((work_id, from_bytes(fp)))
            elif status in HASHLESS_STATUSES and kind == WorkKind.AUDIO:
                waiting.add(work_id)

    # Seen without a fingerprint last time, while processing may still give one: again.
    previous = sorted(tracker.hashless)
    for start in range(0, len(previous), 1000):
        read(audio.filter(id__in=previous[start : start + 1000]).values_list(*fields))
    gap_ids, after = list(tracker.gaps), tracker.max_id
    while True:
        batch = list(works.filter(id__gt=after).order_by("id").values_list(*fields)[:_BATCH])
        if gap_ids:
            batch += list(works.filter(id__in=gap_ids).values_list(*fields))
            gap_ids = []
        if not batch:
            break
        tracker.note_ids([row[0] for row in batch])
        read(batch)
        after = tracker.max_id
    tracker.hashless = waiting
    # A first load (or a large catch-up) builds the main table once; a few go to the tail.
    if len(found) > TAIL_MAX // 2:
        index.add_many([i for i, _ in found], [fp for _, fp in found])
    else:
        for work_id, fp in found:
            index.add(work_id, fp)


def audio_matches(
    fp: np.ndarray, *, exclude_work_id: int | None = None, limit: int = CANDIDATES
) -> list[AudioMatch]:
    """The audio works (any status) that `fp` is a copy or a clip of, best first (key = the
    work's id), `limit` at most: the caller filters them (own works, works it may not show),
    so one that must not miss a match among many copies asks for more. Reads every work
    committed before the call; each match is re-checked against the fingerprint the database
    holds now."""
    fp = np.asarray(fp, dtype=np.uint32)
    if not len(fp):
        return []
    index, tracker = _current_index()
    with index.lock:
        _catch_up(index, tracker)
        found = index.search(fp, limit=limit)
    found = [m for m in found if m.key != exclude_work_id]
    # The same one query whatever matched (0 is no id), as the image index does: public
    # verification must not take longer when a clip matches a work it may not reveal.
    now = dict(
        Work.objects.filter(id__in=[*(m.key for m in found), 0])
        .exclude(audio_fingerprint=b"")
        .values_list("id", "audio_fingerprint")
    )
    matches = []
    for match in found:
        stored = now.get(match.key)
        if stored is None:
            continue
        stored = from_bytes(stored)[:MAX_FRAMES]
        near = range(match.offset - VERIFY_SLACK, match.offset + VERIFY_SLACK + 1)
        score, offset = _score_near(stored, fp[:MAX_FRAMES], near)
        if score < MATCH_SCORE:  # changed since it was indexed: measure it whole
            again = compare(stored, fp[:MAX_FRAMES])
            score, offset = again.score, again.offset
        if score >= MATCH_SCORE:
            matches.append(AudioMatch(key=match.key, score=score, offset=offset))
    return sorted(matches, key=lambda m: (-m.score, m.key))
