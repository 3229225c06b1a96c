"""Near-copy search over text works: MinHash LSH over whole-text signatures (a lightly edited
copy of a story) and an inverted index over passage sketches (a pasted passage of a long
work), both verified before they answer. Fingerprints: uploads/text/fingerprint.py.

`TextIndex` and `PassageIndex` are pure arrays (no Django), so bench/text_minhash.py measures
exactly what production runs. The production side keeps one of each per process, built lazily
from every Work with a `text_minhash` (any status) and caught up before each search:

- rows are read by id: each call reads the ids of stored signatures among the last
  NEARDUP_GAP_WINDOW ids (an insert that commits after a higher id is still seen) and loads
  the ones it has not indexed;
- text works in processing (or failed, hence retried) without a signature are remembered and
  re-read on the next call, so a work hashed after it was first seen is found;
- every match is re-read from the database before answering: a deleted work drops out, and
  a changed signature is measured as it is now.

Limits: a row that commits more than NEARDUP_GAP_WINDOW ids behind the newest one is missed
until the process restarts (or `text_index_reset`); an indexed work whose signature is later
changed is still only found through its old one (no code path changes a stored signature)."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings

from uploads.models import Work, WorkKind, WorkStatus
from uploads.text.fingerprint import (
    MATCH_SIMILARITY,
    NUM_PERM,
    PASSAGE_CONTAINMENT,
    PASSAGE_MAX_HASHES,
    PASSAGE_MIN_SHARED,
    from_bytes,
    is_empty,
    passage_from_bytes,
    passage_hashes,
)

__all__ = [
    "PassageIndex",
    "TextIndex",
    "TextMatch",
    "exact_text_matches",
    "passage_matches",
    "text_index_reset",
    "text_matches",
]

# 64 bands of 2 rows use all 128 permutations: a pair at Jaccard J is a candidate with
# probability 1 - (1 - J**2)**64: 0.998 at the 0.3 threshold, 0.93 at 0.2, 0.47 at 0.1,
# 0.025 at 0.02 (what unrelated prose shares), so the candidates verified stay few.
BANDS, ROWS = 64, 2
_MATCH_SLOTS = math.ceil(MATCH_SIMILARITY * NUM_PERM - 1e-9)  # equal slots for a match
TAIL_MAX = 50_000  # signatures scanned one by one before they are folded into the LSH tables
PASSAGE_TAIL_MAX = 2_000_000  # passage hashes likewise
# A passage hash held by more works than this is common phrasing, not evidence: it is left
# out of both the shared count and the looked-up count.
PASSAGE_COMMON = 1000
# Text works that can still get a signature (processing sets it; a failed one is retried).
HASHLESS_STATUSES = (WorkStatus.PROCESSING, WorkStatus.FAILED)
_FETCH = 500  # stored fingerprints read per query (up to 64.5 KiB each)

_rng = np.random.default_rng(0x1D5B)
_BAND_SALT = _rng.integers(0, 2**63, BANDS, dtype=np.uint64)


@dataclass(frozen=True)
class TextMatch:
    key: int  # a work's id in production; whatever the caller added in a bare index
    similarity: float  # estimated Jaccard (text_matches) or passage containment (passages)


def _mix64(x: np.ndarray) -> np.ndarray:
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def band_keys(sigs: np.ndarray) -> np.ndarray:
    """(n, NUM_PERM) uint32 signatures to (n, BANDS) uint64 band keys: the band's two values
    and its number, mixed (bijective, so distinct bands of distinct values never collide)."""
    pairs = sigs.reshape(len(sigs), BANDS, ROWS).astype(np.uint64)
    return _mix64(((pairs[..., 0] << np.uint64(32)) | pairs[..., 1]) ^ _BAND_SALT)


def _ranges(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Every position in the half-open ranges [lo, hi), concatenated."""
    lengths = hi - lo
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    starts = np.repeat(lo - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return np.arange(total) + starts


def _ranked(found: dict[int, float], limit: int | None) -> list[TextMatch]:
    ranked = sorted(found.items(), key=lambda item: (-item[1], item[0]))
    return [TextMatch(key=k, similarity=s) for k, s in ranked[:limit]]


class TextIndex:
    """MinHash LSH: a base of signatures whose band keys sit in one sorted uint64 array (key in
    the high bits, row number in the low bits, so one `np.sort` builds it and one
    `searchsorted` finds a query's 64 buckets), plus a tail of recent signatures scanned
    exactly. Candidates are verified with the full signature."""

    def __init__(self, *, tail_max: int = TAIL_MAX):
        self.tail_max = tail_max
        self.sigs = np.zeros((0, NUM_PERM), dtype=np.uint32)
        self.keys = np.zeros(0, dtype=np.int64)
        self.table = np.zeros(0, dtype=np.uint64)
        self.row_bits = 1
        self.tail_sigs: list[np.ndarray] = []
        self.tail_keys: list[int] = []
        self._tail: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.keys) + len(self.tail_keys)

    @property
    def nbytes(self) -> int:
        return self.sigs.nbytes + self.keys.nbytes + self.table.nbytes

    def add(self, key: int, sig: np.ndarray) -> None:
        if is_empty(sig):
            return
        self.tail_sigs.append(np.asarray(sig, dtype=np.uint32).reshape(1, NUM_PERM))
        self.tail_keys.append(int(key))
        self._tail = None
        if len(self.tail_keys) > self.tail_max:
            self.merge()

    def add_many(self, keys, sigs: np.ndarray) -> None:
        """Bulk load: straight into the LSH tables, rebuilt once."""
        sigs = np.asarray(sigs, dtype=np.uint32).reshape(-1, NUM_PERM)
        self.tail_sigs.append(sigs)
        self.tail_keys.extend(int(k) for k in keys)
        self.merge()

    def merge(self) -> None:
        """Fold the tail into the base and rebuild the sorted band table."""
        if not self.tail_keys:
            return
        self.sigs = np.concatenate([self.sigs, *self.tail_sigs])
        self.keys = np.concatenate([self.keys, np.array(self.tail_keys, dtype=np.int64)])
        self.tail_sigs, self.tail_keys, self._tail = [], [], None
        n = len(self.sigs)
        self.row_bits = max(1, (n - 1).bit_length())
        row_mask = np.uint64((1 << self.row_bits) - 1)
        table = np.empty(n * BANDS, dtype=np.uint64)
        for start in range(0, n, 1 << 16):  # band keys a slice of rows at a time
            part = band_keys(self.sigs[start : start + (1 << 16)])
            rows = np.arange(start, start + len(part), dtype=np.uint64)[:, None]
            table[start * BANDS : (start + len(part)) * BANDS] = ((part & ~row_mask) | rows).ravel()
        table.sort()
        self.table = table

    def _tail_array(self) -> np.ndarray:
        if self._tail is None:
            self._tail = (
                np.concatenate(self.tail_sigs)
                if self.tail_sigs
                else np.zeros((0, NUM_PERM), np.uint32)
            )
        return self._tail

    def candidates(self, sig: np.ndarray) -> np.ndarray:
        """Base rows sharing at least one band with the signature (before verification)."""
        if not len(self.table):
            return np.zeros(0, dtype=np.int64)
        row_mask = np.uint64((1 << self.row_bits) - 1)
        bucket = band_keys(sig.reshape(1, NUM_PERM))[0] & ~row_mask
        lo = np.searchsorted(self.table, bucket, side="left")
        hi = np.searchsorted(self.table, bucket | row_mask, side="right")
        rows = (self.table[_ranges(lo, hi)] & row_mask).astype(np.int64)
        return np.unique(rows)

    def search(self, sig: np.ndarray, *, limit: int | None = 10) -> list[TextMatch]:
        """Stored signatures with an estimated Jaccard of at least MATCH_SIMILARITY, best first
        (one per key)."""
        sig = np.asarray(sig, dtype=np.uint32)
        if is_empty(sig):
            return []
        found: dict[int, float] = {}
        rows = self.candidates(sig)
        equal = np.count_nonzero(self.sigs[rows] == sig, axis=1)
        tail = self._tail_array()
        tail_equal = np.count_nonzero(tail == sig, axis=1)
        good = equal >= _MATCH_SLOTS
        hits = list(zip(self.keys[rows[good]], equal[good], strict=True))
        matched = np.flatnonzero(tail_equal >= _MATCH_SLOTS)
        hits += [(self.tail_keys[r], tail_equal[r]) for r in matched]
        for key, slots in hits:
            score = int(slots) / NUM_PERM
            if score > found.get(int(key), -1.0):
                found[int(key)] = score
        return _ranked(found, limit)


@dataclass
class PassageIndex:
    """Inverted index over passage sketches: one sorted uint64 array of (hash << 32 | owner),
    plus an unsorted tail; a passage's hashes are looked up and counted per work."""

    tail_max: int = PASSAGE_TAIL_MAX
    keys: list[int] = field(default_factory=list)  # owner number -> key
    cutoffs: list[int] = field(default_factory=list)  # owner number -> its sketch's cutoff
    table: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    tail: list[np.ndarray] = field(default_factory=list)
    tail_size: int = 0
    _tail_sorted: np.ndarray | None = None

    def add(self, key: int, sketch: np.ndarray) -> None:
        if not len(sketch):
            return
        owner = len(self.keys)
        self.keys.append(int(key))
        full = len(sketch) >= PASSAGE_MAX_HASHES
        self.cutoffs.append(int(sketch[-1]) if full else 0xFFFFFFFF)
        self.tail.append((np.asarray(sketch, dtype=np.uint64) << np.uint64(32)) | owner)
        self.tail_size += len(sketch)
        self._tail_sorted = None
        if self.tail_size > self.tail_max:
            self.merge()

    def merge(self) -> None:
        if self.tail:
            self.table = np.sort(np.concatenate([self.table, *self.tail]), kind="stable")
            self.tail, self.tail_size, self._tail_sorted = [], 0, None

    @property
    def nbytes(self) -> int:
        return self.table.nbytes + sum(t.nbytes for t in self.tail)

    def _postings(self, table: np.ndarray, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(which query hash, owner) for every stored copy of each query hash."""
        lo = np.searchsorted(table, hashes << np.uint64(32), side="left")
        hi = np.searchsorted(table, (hashes << np.uint64(32)) | np.uint64(0xFFFFFFFF), "right")
        positions = _ranges(lo, hi)
        which = np.repeat(np.arange(len(hashes)), hi - lo)
        return which, (table[positions] & np.uint64(0xFFFFFFFF)).astype(np.int64)

    def search(self, passage: np.ndarray, *, limit: int | None = 10) -> list[TextMatch]:
        """Works holding at least PASSAGE_CONTAINMENT of the passage's sampled shingles (and
        PASSAGE_MIN_SHARED of them), by that share, best first."""
        hashes = np.unique(np.asarray(passage, dtype=np.uint64))
        if len(hashes) < PASSAGE_MIN_SHARED:
            return []
        if self._tail_sorted is None:
            self._tail_sorted = np.sort(np.concatenate(self.tail)) if self.tail else self.table[:0]
        parts = [self._postings(t, hashes) for t in (self.table, self._tail_sorted)]
        which = np.concatenate([p[0] for p in parts])
        owners = np.concatenate([p[1] for p in parts])
        common = np.bincount(which, minlength=len(hashes)) > PASSAGE_COMMON
        keep = ~common[which]
        owners = owners[keep]
        if not len(owners):
            return []
        usable = hashes[~common]
        found: dict[int, float] = {}
        seen, shared = np.unique(owners, return_counts=True)
        for owner, count in zip(seen.tolist(), shared.tolist(), strict=True):
            if count < PASSAGE_MIN_SHARED:
                continue
            looked_up = int(np.searchsorted(usable, self.cutoffs[owner], side="right"))
            share = count / max(looked_up, 1)
            key = self.keys[owner]
            if share >= PASSAGE_CONTAINMENT and share > found.get(key, -1.0):
                found[key] = min(share, 1.0)
        return _ranked(found, limit)


# --- Production: every text work's fingerprints, kept up with the database ------------------
class _Production:
    def __init__(self):
        self.index = TextIndex()
        self.passages = PassageIndex()
        self.indexed: set[int] = set()
        self.max_id = 0
        self.hashless: set[int] = set()  # text works seen without a signature that may get one
        self.lock = threading.Lock()

    def catch_up(self) -> None:
        stored = Work.objects.exclude(text_minhash=b"")
        # Read first: a work that gets its signature after this is still in `pending` (and
        # re-read next time), or it is new and inside the id window.
        pending = set(
            Work.objects.filter(
                kind=WorkKind.TEXT, status__in=HASHLESS_STATUSES, text_minhash=b""
            ).values_list("id", flat=True)
        )
        floor = max(0, self.max_id - settings.NEARDUP_GAP_WINDOW)
        fresh = set(stored.filter(id__gt=floor).values_list("id", flat=True))
        recheck = sorted(self.hashless | pending)
        for start in range(0, len(recheck), 1000):
            chunk = recheck[start : start + 1000]
            fresh.update(stored.filter(id__in=chunk).values_list("id", flat=True))
        fresh -= self.indexed
        self.max_id = max([self.max_id, *fresh])
        ids = sorted(fresh)
        for start in range(0, len(ids), _FETCH):
            rows = stored.filter(id__in=ids[start : start + _FETCH])
            for work_id, data in rows.values_list("id", "text_minhash"):
                data = bytes(data)
                self.index.add(work_id, from_bytes(data))
                self.passages.add(work_id, passage_from_bytes(data))
                self.indexed.add(work_id)
        self.hashless = pending - self.indexed


_state: _Production | None = None
_state_lock = threading.Lock()


def _production() -> _Production:
    global _state
    with _state_lock:
        if _state is None:
            _state = _Production()
        return _state


def text_index_reset() -> None:
    """Forget this process's text indexes; the next search reloads them (tests use this
    between databases)."""
    global _state
    with _state_lock:
        _state = None


def _current(ids: list[int]) -> dict[int, bytes]:
    """The fingerprints the database holds now for these works. One query whatever matched
    (0 is no id): verification must not take longer when a passage matches a work it may not
    reveal."""
    rows = Work.objects.filter(id__in=[*ids, 0]).exclude(text_minhash=b"")
    return {i: bytes(data) for i, data in rows.values_list("id", "text_minhash")}


def text_matches(
    sig: np.ndarray, *, exclude_work_id: int | None = None, limit: int = 10
) -> list[TextMatch]:
    """Works (any status) whose text has an estimated Jaccard of at least MATCH_SIMILARITY with
    this signature, best first. Reads every signature committed before the call."""
    sig = np.asarray(sig, dtype=np.uint32)
    if is_empty(sig):
        return []
    state = _production()
    with state.lock:
        state.catch_up()
        found = state.index.search(sig, limit=limit + 1)
    now = _current([m.key for m in found])
    verified = {}
    for match in found:
        if match.key != exclude_work_id and match.key in now:
            equal = int(np.count_nonzero(from_bytes(now[match.key]) == sig))
            if equal >= _MATCH_SLOTS:
                verified[match.key] = equal / NUM_PERM
    return _ranked(verified, limit)


def exact_text_matches(sha: str, exclude_work_id: int | None = None) -> list[TextMatch]:
    """Works (any status) with the same normalized text, oldest first."""
    if not sha:
        return []
    ids = (
        Work.objects.filter(text_sha256=sha)
        .exclude(id=exclude_work_id or 0)
        .order_by("id")
        .values_list("id", flat=True)
    )
    return [TextMatch(key=i, similarity=1.0) for i in ids]


def passage_matches(text: str, *, limit: int = 10) -> list[TextMatch]:
    """Works (any status) that hold this passage (about 50 words or more, a few of them changed
    at most), by the share of the passage found in each, best first. A whole pasted work is
    found too (its share is about 1)."""
    hashes = passage_hashes(text)
    state = _production()
    with state.lock:
        state.catch_up()
        found = state.passages.search(hashes, limit=limit) if len(hashes) else []
    now = _current([m.key for m in found])
    verified = {}
    for match in found:
        if match.key not in now:
            continue
        sketch = passage_from_bytes(now[match.key])
        probe = PassageIndex()
        probe.add(match.key, sketch)
        again = probe.search(hashes, limit=1)
        if again:
            verified[match.key] = again[0].similarity
    return _ranked(verified, limit)
