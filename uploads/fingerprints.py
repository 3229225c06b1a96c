"""Fingerprints of a work: SHA-256 of the bytes, PDQ (256-bit, with quality) and a 64-bit
pHash of the pixels. The perceptual hashes are computed on a reduced image: they look at
structure, not detail, so a 512-pixel copy gives the same hash at a fraction of the cost."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import imagehash
import numpy as np
import pdqhash
from PIL import Image

PDQ_INPUT_PX = 512


def sha256_of_chunks(chunks: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def _bits_to_hex(bits: np.ndarray) -> str:
    return np.packbits(bits.astype(np.uint8)).tobytes().hex()


def hash_input(image: Image.Image) -> Image.Image:
    """The reduced RGB copy both perceptual hashes read: a whole-factor box reduction to about
    512-1000 px on the long side (~1 ms from a 1200 px preview). Both hashes resample
    internally, so the exact size does not matter, only that the detail they ignore is gone."""
    small = image if image.mode == "RGB" else image.convert("RGB")
    factor = max(small.size) // PDQ_INPUT_PX
    return small.reduce(factor) if factor > 1 else small


def pdq(small: Image.Image) -> tuple[str, int]:
    """PDQ hash (64 hex characters) and its quality (0-100; Meta ignores hashes under 50)."""
    bits, quality = pdqhash.compute(np.asarray(small))
    return _bits_to_hex(bits), int(quality)


def phash(small: Image.Image) -> str:
    """64-bit DCT perceptual hash as 16 hex characters."""
    return str(imagehash.phash(small))


def hamming_hex(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()
