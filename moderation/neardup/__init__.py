"""Exact near-duplicate search over the 256-bit PDQ hashes of every work (any status) and of
the known-stolen registry: every stored hash within NEARDUP_THRESHOLD bits of a query, never
an approximation, and never behind the database (see `index.NearDupIndex.catch_up`)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

from django.conf import settings

from moderation.neardup.index import SOURCES, WORK, NearDupIndex, verified
from moderation.neardup.mih import hex_to_rows

__all__ = ["Match", "near_index_reset", "near_matches"]


@dataclass(frozen=True)
class Match:
    source: Literal["work", "stolen"]
    id: int
    distance: int
    query_index: int  # which of the query hashes (e.g. which dihedral variant) came closest


_index: NearDupIndex | None = None
_index_lock = threading.Lock()


def _current_index() -> NearDupIndex:
    global _index
    with _index_lock:
        if _index is None:
            _index = NearDupIndex(radius=settings.NEARDUP_THRESHOLD)
        return _index


def near_index_reset() -> None:
    """Forget this process's index; the next search reloads it from the database (tests use
    this between databases; a deploy that rewrites hashes in bulk would too)."""
    global _index
    with _index_lock:
        _index = None


def near_matches(
    query_hashes: list[str], *, threshold: int | None = None, exclude_work_id: int | None = None
) -> list[Match]:
    """Every stored item with a hash within `threshold` of any query hash, its best distance
    and the query that gave it, closest first. Reads every hash committed before the call."""
    threshold = settings.NEARDUP_THRESHOLD if threshold is None else threshold
    queries = hex_to_rows([h for h in query_hashes])
    if not len(queries):
        return []
    index = _current_index()
    if threshold > index.radius:
        raise ValueError(f"the index is built for thresholds up to {index.radius}")
    with index.lock:
        index.catch_up()
        best = index.search(queries, threshold)
    best.pop((WORK, exclude_work_id), None)
    matches = [
        Match(source=SOURCES[source], id=item_id, distance=dist, query_index=query_index)
        for (source, item_id), dist, query_index in verified(best, queries, threshold)
    ]
    return sorted(matches, key=lambda m: (m.distance, m.source, m.id))
