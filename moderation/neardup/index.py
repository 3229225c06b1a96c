"""The per-process near-duplicate index: every stored PDQ hash (works of any status, known
stolen works) in a `MultiIndexHash` plus a small brute-force tail of recent hashes, brought up
to date with the database before every search so a hash committed a moment ago by another
process is always found."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings

from moderation.models import KnownStolenWork
from moderation.neardup.mih import MultiIndexHash, distances, hex_to_rows, scan
from uploads.models import Work, WorkKind, WorkStatus

WORK, STOLEN = 0, 1
SOURCES = {WORK: "work", STOLEN: "stolen"}
# Only processing sets a work's hash, and only on a work in these statuses (a failed work is
# retried through processing), so these are the only rows whose hash can still appear.
HASHLESS_STATUSES = (WorkStatus.PROCESSING, WorkStatus.FAILED)
_BATCH = 100_000


@dataclass
class _Tracker:
    """What one table has been read up to. Ids come from a sequence at insert time but rows
    become visible at commit, so an id below the highest seen may still appear: it is a gap,
    re-read until it shows up or NEARDUP_GAP_SECONDS pass (a rolled-back insert)."""

    max_id: int = 0
    gaps: dict[int, float] = field(default_factory=dict)
    # Works seen without a hash that processing may still hash (see HASHLESS_STATUSES).
    hashless: set[int] = field(default_factory=set)

    def note_ids(self, found: list[int]) -> None:
        now = time.monotonic()
        for gap_id in found:
            self.gaps.pop(gap_id, None)
        top = max(found, default=self.max_id)
        if top > self.max_id:
            floor = max(self.max_id, top - settings.NEARDUP_GAP_WINDOW)
            seen = set(found)
            self.gaps.update((i, now) for i in range(floor + 1, top) if i not in seen)
            self.max_id = top
        expiry = now - settings.NEARDUP_GAP_SECONDS
        self.gaps = {i: t for i, t in self.gaps.items() if t > expiry}


class NearDupIndex:
    def __init__(self, *, radius: int):
        self.radius = radius
        self.base = MultiIndexHash(np.zeros((0, 32), np.uint8), radius=radius)
        self.base_keys = np.zeros((0, 2), dtype=np.int64)  # (source, id) per row
        self.tail_rows: list[np.ndarray] = []
        self.tail_keys: list[tuple[int, int]] = []
        self.trackers = {WORK: _Tracker(), STOLEN: _Tracker()}
        self.lock = threading.Lock()

    # --- keeping up with the database -----------------------------------------------------
    def catch_up(self) -> None:
        self._read_new(STOLEN, KnownStolenWork.objects.all())
        # Every work but a finished picture without a hash: recordings and texts never get one,
        # but their ids must reach the tracker, or each would stay a "gap" re-read by every
        # search for up to NEARDUP_GAP_SECONDS.
        fetched = self._read_new(
            WORK,
            Work.objects.exclude(
                kind=WorkKind.IMAGE,
                pdq_hash="",
                status__in=[s for s in WorkStatus if s not in HASHLESS_STATUSES],
            ),
        )
        tracker = self.trackers[WORK]
        candidates = tracker.hashless | fetched
        pending = dict(
            Work.objects.filter(status__in=HASHLESS_STATUSES).values_list("id", "pdq_hash")
        )
        self._add(WORK, [(i, h) for i, h in pending.items() if h and i in candidates])
        # Hashless a moment ago, out of processing now: hashed (or failed) since; read them.
        left = sorted(candidates - pending.keys())
        for start in range(0, len(left), 1000):
            rows = Work.objects.filter(id__in=left[start : start + 1000]).exclude(pdq_hash="")
            self._add(WORK, list(rows.values_list("id", "pdq_hash")))
        tracker.hashless = {i for i, h in pending.items() if not h and i <= tracker.max_id}
        if len(self.tail_keys) > settings.NEARDUP_TAIL_MAX:
            self.merge()

    def _read_new(self, source: int, queryset) -> set[int]:
        """Rows above the highest id seen and the open gaps; returns the ids read without a
        hash (works whose hash may still come)."""
        tracker = self.trackers[source]
        hashless, gap_ids, after = set(), list(tracker.gaps), tracker.max_id
        while True:
            batch = list(
                queryset.filter(id__gt=after).order_by("id").values_list("id", "pdq_hash")[:_BATCH]
            )
            if gap_ids:
                batch += list(queryset.filter(id__in=gap_ids).values_list("id", "pdq_hash"))
                gap_ids = []
            if not batch:
                return hashless
            tracker.note_ids([i for i, _ in batch])
            self._add(source, [(i, h) for i, h in batch if h])
            hashless.update(i for i, h in batch if not h)
            after = tracker.max_id
            if len(self.tail_keys) > settings.NEARDUP_TAIL_MAX:
                self.merge()

    def _add(self, source: int, pairs: list[tuple[int, str]]) -> None:
        if pairs:
            self.tail_rows.append(hex_to_rows([h for _, h in pairs]))
            self.tail_keys.extend((source, i) for i, _ in pairs)

    def merge(self) -> None:
        """Fold the tail into a rebuilt multi-index table (a stale copy of a changed hash may
        stay behind: `near_matches` re-reads every match's current hash before answering)."""
        rows = np.concatenate([self.base.rows, *self.tail_rows])
        self.base_keys = np.concatenate(
            [self.base_keys, np.array(self.tail_keys, dtype=np.int64).reshape(-1, 2)]
        )
        self.base = MultiIndexHash(rows, radius=self.radius)
        self.tail_rows, self.tail_keys = [], []

    # --- searching ---------------------------------------------------------------------------
    def search(self, queries: np.ndarray, radius: int) -> dict[tuple[int, int], tuple[int, int]]:
        """(source, id) -> (distance, query index), the best per stored item."""
        best: dict[tuple[int, int], tuple[int, int]] = {}
        rows, query_of, dist = self.base.search(queries, radius)
        keys = self.base_keys[rows]
        tail = np.concatenate(self.tail_rows) if self.tail_rows else np.zeros((0, 32), np.uint8)
        t_rows, t_query, t_dist = scan(tail, queries, radius)
        found = [
            (tuple(k), d, q)
            for k, d, q in zip(keys.tolist(), dist.tolist(), query_of.tolist(), strict=True)
        ]
        found += [
            (self.tail_keys[r], d, q)
            for r, d, q in zip(t_rows.tolist(), t_dist.tolist(), t_query.tolist(), strict=True)
        ]
        for key, d, q in found:
            if key not in best or (d, q) < best[key]:
                best[key] = (d, q)
        return best


def current_hashes(keys: list[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """The hashes the database holds now for these items (gone or emptied ones are absent).
    The same two queries run whatever matched, or nothing (0 is no id; Django answers an empty
    IN () without asking): public verification must not take longer when an image matches a
    work it may not reveal."""
    out = {}
    for source, model in ((WORK, Work), (STOLEN, KnownStolenWork)):
        ids = [i for s, i in keys if s == source]
        rows = model.objects.filter(id__in=[*ids, 0]).exclude(pdq_hash="")
        out.update(((source, i), h) for i, h in rows.values_list("id", "pdq_hash"))
    return out


def verified(best, queries: np.ndarray, radius: int):
    """Re-measure each match against the hash the database holds now, dropping items whose
    hash went away or moved out of range since it was indexed."""
    now = current_hashes(list(best))
    for key in best:
        stored = now.get(key)
        if stored is None:
            continue
        dist = distances(hex_to_rows([stored] * len(queries)), queries)
        query_index = int(np.argmin(dist))
        if dist[query_index] <= radius:
            yield key, int(dist[query_index]), query_index
