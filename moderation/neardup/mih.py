"""Multi-index hashing over 256-bit PDQ hashes in NumPy: the exact in-memory structure behind
`near_matches`. Pure arrays, no Django, so the benchmark measures exactly what production runs.

Exact: every candidate is verified by its full Hamming distance, and the probes cover every
row within the radius by pigeonhole (see `MultiIndexHash`). Nothing is approximate."""

from __future__ import annotations

import itertools

import numpy as np

HASH_BITS = 256
HASH_BYTES = 32
_CHUNK_BATCH = 1 << 18  # rows unpacked to bits at a time while building (64 MiB of bits)


def hex_to_rows(hashes: list[str]) -> np.ndarray:
    """Hex strings (64 characters) to an (n, 32) uint8 array."""
    if not hashes:
        return np.zeros((0, HASH_BYTES), dtype=np.uint8)
    return np.frombuffer(bytes.fromhex("".join(hashes)), dtype=np.uint8).reshape(-1, HASH_BYTES)


def distances(rows: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Hamming distance of each row (n, 32) to the query in the same position (n, 32)."""
    return np.bitwise_count(rows.view(np.uint64) ^ queries.view(np.uint64)).sum(axis=-1)


def chunk_widths(size: int) -> list[int]:
    """Norouzi et al.'s rule for multi-index hashing: substrings of about log2(n) bits, so a
    bucket holds about one row and the cost is the probes, not the candidates. At least 16 bits
    (16 chunks, one flip at radius 31), at most 24 (the offsets tables grow as 2**width)."""
    width = int(np.clip(round(np.log2(max(size, 2))), 16, 24))
    count = HASH_BITS // width
    base, extra = divmod(HASH_BITS, count)
    return [base + 1] * extra + [base] * (count - extra)


def _chunk_values(rows: np.ndarray, widths: list[int]) -> np.ndarray:
    """(n, 32) uint8 to (n, len(widths)) uint32: each chunk's bits, most significant first."""
    out = np.empty((len(rows), len(widths)), dtype=np.uint32)
    bounds = np.cumsum([0, *widths])
    for start in range(0, len(rows), _CHUNK_BATCH):
        bits = np.unpackbits(rows[start : start + _CHUNK_BATCH], axis=1)
        for j, width in enumerate(widths):
            weights = (1 << np.arange(width - 1, -1, -1)).astype(np.uint32)
            out[start : start + len(bits), j] = bits[:, bounds[j] : bounds[j + 1]] @ weights
    return out


def _flip_masks(width: int, flips: int) -> list[int]:
    return [
        sum(1 << b for b in bits)
        for k in range(flips + 1)
        for bits in itertools.combinations(range(width), k)
    ]


class MultiIndexHash:
    """An immutable index over `rows` (n, 32) for radius <= `radius`: per chunk, row positions
    sorted by that chunk's value and a CSR offsets array, so a probe is two lookups and a slice.

    Pigeonhole: with m chunks, a row within `radius` of the query differs from it by at most
    radius // m bits in at least one chunk, so probing every chunk with all masks of that many
    flips finds every true match; each candidate is then verified by its full distance."""

    def __init__(self, rows: np.ndarray, *, radius: int):
        self.rows = np.ascontiguousarray(rows, dtype=np.uint8)
        self.radius = radius
        n = len(self.rows)
        self.widths = chunk_widths(n)
        flips = radius // len(self.widths)
        chunks = _chunk_values(self.rows, self.widths)
        # One flat permutation and one flat offsets array for all tables, so a query's probes
        # become one vectorised gather.
        table_starts = np.cumsum([0, *(1 << w for w in self.widths)])
        position_type = np.uint32 if n < 2**32 else np.uint64
        offset_type = np.uint32 if len(self.widths) * n < 2**32 else np.uint64
        self.positions = np.empty(len(self.widths) * n, dtype=position_type)
        self.offsets = np.empty(table_starts[-1] + 1, dtype=offset_type)
        for j, width in enumerate(self.widths):
            column = chunks[:, j]
            self.positions[j * n : (j + 1) * n] = np.argsort(column, kind="stable")
            counts = np.bincount(column, minlength=1 << width)
            self.offsets[table_starts[j] : table_starts[j + 1]] = j * n + np.cumsum(counts) - counts
        self.offsets[-1] = len(self.positions)
        # Every probe of one query as (chunk, mask, table start), flattened.
        masks = [(j, m) for j, w in enumerate(self.widths) for m in _flip_masks(w, flips)]
        self._probe_chunk = np.array([j for j, _ in masks], dtype=np.intp)
        self._probe_mask = np.array([m for _, m in masks], dtype=np.int64)
        self._probe_base = table_starts[self._probe_chunk].astype(np.int64)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def nbytes(self) -> int:
        return self.rows.nbytes + self.positions.nbytes + self.offsets.nbytes

    def search(self, queries: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every (row position, query index, distance) with distance <= radius; a row appears
        once per query it matches."""
        if radius > self.radius:
            raise ValueError(f"this index is exact only up to radius {self.radius}")
        empty = np.zeros(0, dtype=np.int64)
        if len(self.rows) == 0 or len(queries) == 0:
            return empty, empty, empty
        values = _chunk_values(queries, self.widths).astype(np.int64)
        keys = (values[:, self._probe_chunk] ^ self._probe_mask) + self._probe_base
        starts = self.offsets[keys].astype(np.int64).ravel()
        counts = self.offsets[keys + 1].astype(np.int64).ravel() - starts
        total = int(counts.sum())
        if total == 0:
            return empty, empty, empty
        # Expand the (start, count) runs into one array of slots without a Python loop.
        run_starts = np.cumsum(counts) - counts
        slots = np.repeat(starts - run_starts, counts) + np.arange(total, dtype=np.int64)
        candidates = self.positions[slots].astype(np.int64)
        query_of = np.repeat(np.repeat(np.arange(len(queries)), keys.shape[1]), counts)
        dist = distances(self.rows[candidates], queries[query_of])
        hit = dist <= radius
        candidates, query_of, dist = candidates[hit], query_of[hit], dist[hit]
        # A row found through several chunks of the same query is one match.
        pair = np.unique(candidates * len(queries) + query_of, return_index=True)[1]
        return candidates[pair], query_of[pair], dist[pair].astype(np.int64)


def scan(rows: np.ndarray, queries: np.ndarray, radius: int):
    """Brute force over every row: the reference `MultiIndexHash.search` must agree with, and
    what the small not-yet-merged tail of recent hashes is searched with."""
    empty = np.zeros(0, dtype=np.int64)
    if len(rows) == 0 or len(queries) == 0:
        return empty, empty, empty
    words = rows.view(np.uint64)
    found_rows, found_queries, found_dist = [], [], []
    for q, query in enumerate(queries.view(np.uint64)):
        dist = np.bitwise_count(words ^ query).sum(axis=1)
        hit = np.flatnonzero(dist <= radius)
        found_rows.append(hit)
        found_queries.append(np.full(len(hit), q, dtype=np.int64))
        found_dist.append(dist[hit].astype(np.int64))
    return np.concatenate(found_rows), np.concatenate(found_queries), np.concatenate(found_dist)
