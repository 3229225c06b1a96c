"""The 8 dihedral PDQ variants of an upload (so a flipped or rotated copy still matches), and the
near-duplicate search over them.

The search is `moderation.neardup.near_matches` (the exact index). Until that module is in place
a brute-force scan with the same signature stands in, so screening works either way."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pdqhash
from django.conf import settings

from moderation.models import KnownStolenWork
from uploads import storage
from uploads.fingerprints import hamming_hex, hash_input
from uploads.models import Work
from uploads.renditions import fit_preview, upright_rgb
from uploads.services.processing import decode_for_processing

logger = logging.getLogger(__name__)


def _bits_to_hex(bits) -> str:
    return np.packbits(np.asarray(bits).astype(np.uint8)).tobytes().hex()


def dihedral_hashes(work: Work) -> list[str]:
    """Re-derived from the stored original exactly as processing made `pdq_hash` (same decode,
    same fitted image, same reduced input), so variant 0 is the stored hash and the other seven
    are the hashes of the picture's flips and rotations. If the original cannot be read, the
    stored hash alone still finds plain copies."""
    if not work.pdq_hash:
        return []
    try:
        image = decode_for_processing(storage.read(work.original.name), work.media_type)
        small = hash_input(fit_preview(upright_rgb(image)))
        variants, _quality = pdqhash.compute_dihedral(np.asarray(small))
    except Exception:  # a vanished or unreadable original must not stop the other checks
        logger.warning(
            "dihedral hashes of work %s failed; using the stored hash", work.id, exc_info=True
        )
        return [work.pdq_hash]
    hashes = [_bits_to_hex(bits) for bits in variants]
    if hashes[0] != work.pdq_hash:  # a different pdqhash build; keep the stored one first
        hashes.insert(0, work.pdq_hash)
    return hashes


@dataclass(frozen=True)
class Match:
    source: str  # "work" | "stolen"
    id: int
    distance: int
    query_index: int


def _brute_force_near_matches(
    query_hashes: list[str], *, threshold: int | None = None, exclude_work_id: int | None = None
) -> list[Match]:
    """Every stored hash within the threshold of any query hash, best variant per row."""
    if threshold is None:
        threshold = getattr(settings, "NEARDUP_THRESHOLD", 31)
    queries = [int(h, 16) for h in query_hashes]
    works = Work.objects.exclude(pdq_hash="").values_list("id", "pdq_hash")
    if exclude_work_id is not None:
        works = works.exclude(id=exclude_work_id)

    stolen = KnownStolenWork.objects.exclude(pdq_hash="").values_list("id", "pdq_hash")
    found = []
    for source, rows in (("work", works.iterator()), ("stolen", stolen.iterator())):
        for row_id, stored in rows:
            value = int(stored, 16)
            distance, index = min(((q ^ value).bit_count(), i) for i, q in enumerate(queries))
            if distance <= threshold:
                found.append(Match(source=source, id=row_id, distance=distance, query_index=index))
    return sorted(found, key=lambda m: (m.distance, m.source, m.id))


try:  # the exact index (H6); the scan above is its stand-in and reference
    from moderation.neardup import near_matches
except ImportError:  # pragma: no cover - depends on which modules are installed
    near_matches = _brute_force_near_matches


__all__ = ["Match", "dihedral_hashes", "hamming_hex", "near_matches"]
