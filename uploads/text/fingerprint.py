"""Fingerprints of a text work: the SHA-256 of its normalized text (a copy with other line
breaks, case or punctuation is exact), a MinHash signature over word shingles (a lightly edited
copy is near), and a passage sketch (a pasted passage of about 50 words or more is found in the
work it came from).

The MinHash is datasketch's algorithm (one hash per shingle, NUM_PERM universal hashes, the
minimum of each) computed with NumPy over all shingles at once: a 100,000-word book takes about
45 ms from text to signature (16 ms of it the MinHash), where `datasketch.MinHash.update_batch`
alone takes about 235 ms (SHA-1 per shingle in Python). The figures and the choice of k are in
bench/README.md ("bench/text_minhash.py").

Stored layout (`Work.text_minhash`, see `to_bytes`): NUM_PERM little-endian uint32 (the
signature), then the passage sketch: at most PASSAGE_MAX_HASHES sorted little-endian uint32.
So a work stores at most 0.5 KiB + 64 KiB whatever its length."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

import numpy as np

SHINGLE_WORDS = 3  # words per shingle of the whole-text signature
NUM_PERM = 128
# An estimated Jaccard of 3-word shingles at or above this is a copy. A 10%-edited copy scores
# about 0.57 (0.9**3 of the shingles survive), a 20%-edited one about 0.34; unrelated prose,
# even from one small vocabulary, stays under 0.05.
MATCH_SIMILARITY = 0.3

# Passages: 4-word shingles (3-word ones are too common across long works to tell where a short
# passage came from), of which those whose hash falls in the lowest quarter are kept, on both
# sides: the work keeps them in its sketch, a pasted passage looks them up. A 50-word passage
# has about 12 sampled shingles (none at all in 1 of 700,000 passages).
PASSAGE_SHINGLE_WORDS = 4
PASSAGE_SAMPLE_BITS = 2  # keep a shingle when its 64-bit hash's top 2 bits are zero: 1 in 4
# Bounded: a work longer than about 65,000 words keeps its PASSAGE_MAX_HASHES lowest sampled
# hashes (a lower rate, written down by the sketch's largest value: see `passage_cutoff`).
PASSAGE_MAX_HASHES = 16_384
# A passage is in a work when at least this share of its sampled shingles (those under the
# work's cutoff) are in the work's sketch, and at least PASSAGE_MIN_SHARED of them. An exact
# passage scores 1, one with 10% of its words changed about 0.66 (0.9**4); an unrelated story
# shares at most 1 sampled shingle with a 100-word passage (600 stories, 300 passages).
PASSAGE_CONTAINMENT = 0.3
PASSAGE_MIN_SHARED = 3

_EMPTY = np.uint32(0xFFFFFFFF)  # every slot of the signature of a text with no words
_PERM_CHUNK = 32  # permutations at once over many short texts (temporary: 8 * 32 * n bytes)
_SHINGLE_BLOCK = 8192  # shingles at once over one text (temporary: 8 MiB)

# Universal hashes h_i(x) = ((a_i * x + b_i) mod 2**64) >> 32 of a 32-bit shingle hash
# (Dietzfelbinger's multiply-shift); fixed seed, so signatures stay comparable forever.
_rng = np.random.default_rng(0x7E57_A55E)
_A = (_rng.integers(0, 2**63, NUM_PERM, dtype=np.uint64) << np.uint64(1)) | np.uint64(1)
_B = _rng.integers(0, 2**63, NUM_PERM, dtype=np.uint64)
# Odd multipliers combining the words of a shingle; then a splitmix64 finalizer.
_WORD_MULT = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
     0xFF51AFD7ED558CCD],
    dtype=np.uint64,
)  # fmt: skip


# --- Normalizing ---------------------------------------------------------------------------
class _Cleaner(dict):
    """str.translate table, filled per character on first sight: letters, digits and combining
    marks stay, apostrophes go (don't = dont), everything else becomes a space."""

    def __missing__(self, code: int):
        char = chr(code)
        category = unicodedata.category(char)
        if category[0] in "LNM":
            out = char
        elif char in "'’ʼ`´":
            out = ""
        else:
            out = " "
        self[code] = out
        return out


_CLEANER = _Cleaner()
# Scripts written without spaces: each character counts as a word, so shingles still work.
_NO_SPACE = (
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
)
_WORD_RE = re.compile(f"[{_NO_SPACE}]|[^\\s{_NO_SPACE}]+")


def normalize(text: str) -> str:
    """Unicode NFKC, case folded, punctuation and symbols out, whitespace collapsed to single
    spaces: what two copies of one text share whatever their layout."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(folded.translate(_CLEANER).split())


def normalized_sha256(text: str) -> str:
    return hashlib.sha256(normalize(text).encode()).hexdigest()


def words(normalized: str) -> list[str]:
    return _WORD_RE.findall(normalized)


# --- Hashing -------------------------------------------------------------------------------
def _mix64(x: np.ndarray) -> np.ndarray:
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def word_hashes(tokens: list[str]) -> np.ndarray:
    """A stable 64-bit hash per word (BLAKE2b, computed once per distinct word)."""
    ids: dict[str, int] = {}
    index = np.fromiter((ids.setdefault(t, len(ids)) for t in tokens), np.int64, len(tokens))
    table = np.array(
        [int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest()) for w in ids],
        dtype=np.uint64,
    ).reshape(-1)
    return table[index] if len(tokens) else np.zeros(0, np.uint64)


def shingle_hashes(hashes: np.ndarray, k: int = SHINGLE_WORDS) -> np.ndarray:
    """64-bit hashes of every run of k consecutive words, along the last axis (so a 2-D array
    gives one row of shingles per text). A text shorter than k words is one shingle."""
    hashes = np.asarray(hashes, dtype=np.uint64)
    n = hashes.shape[-1]
    if n == 0:
        return hashes
    k = min(k, n)
    out = np.zeros((*hashes.shape[:-1], n - k + 1), dtype=np.uint64)
    for j in range(k):
        out += hashes[..., j : n - k + 1 + j] * _WORD_MULT[j]
    return _mix64(out)


def shingles(normalized: str, k: int = SHINGLE_WORDS) -> np.ndarray:
    """The distinct k-word shingles of a normalized text, as 64-bit hashes."""
    return np.unique(shingle_hashes(word_hashes(words(normalized)), k))


def minhash(shingle64: np.ndarray) -> np.ndarray:
    """MinHash signature(s): NUM_PERM uint32 per row of the last axis (a 1-D array of shingle
    hashes gives one signature; an (n, m) array gives n). Duplicates do not matter."""
    x = np.asarray(shingle64, dtype=np.uint64) >> np.uint64(32)
    if x.shape[-1] == 0:
        return np.full((*x.shape[:-1], NUM_PERM), _EMPTY, dtype=np.uint32)
    if x.ndim == 1:
        return _minhash_one(x)
    out = np.empty((*x.shape[:-1], NUM_PERM), dtype=np.uint32)
    x = x[..., None, :]
    for start in range(0, NUM_PERM, _PERM_CHUNK):
        a = _A[start : start + _PERM_CHUNK, None]
        b = _B[start : start + _PERM_CHUNK, None]
        out[..., start : start + _PERM_CHUNK] = ((x * a + b) >> np.uint64(32)).min(axis=-1)
    return out


def _minhash_one(x: np.ndarray) -> np.ndarray:
    """One text's signature, a block of shingles at a time into one reused buffer (twice as
    fast as one (NUM_PERM, n) temporary, which leaves the cache for a long book)."""
    out = np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint64)
    block = np.empty((NUM_PERM, min(len(x), _SHINGLE_BLOCK)), dtype=np.uint64)
    a, b = _A[:, None], _B[:, None]
    for start in range(0, len(x), _SHINGLE_BLOCK):
        part = x[None, start : start + _SHINGLE_BLOCK]
        t = block[:, : part.shape[1]]
        np.multiply(part, a, out=t)
        t += b
        t >>= np.uint64(32)
        np.minimum(out, t.min(axis=1), out=out)
    return out.astype(np.uint32)


def signature(text: str) -> np.ndarray:
    """The MinHash signature (NUM_PERM uint32) of a text's 3-word shingles."""
    return minhash(shingle_hashes(word_hashes(words(normalize(text)))))


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the two texts' shingle sets (0 if either has no words)."""
    if not len(a) or (a == _EMPTY).all() or (b == _EMPTY).all():
        return 0.0
    return float(np.count_nonzero(a == b)) / len(a)


def is_empty(sig: np.ndarray) -> bool:
    return not len(sig) or bool((sig == _EMPTY).all())


# --- Passages ------------------------------------------------------------------------------
def passage_hashes(text: str) -> np.ndarray:
    """The sampled 4-word shingle hashes of a text (sorted, distinct uint32, at most
    PASSAGE_MAX_HASHES, the lowest): a work's sketch, or a pasted passage's look-ups."""
    return _sampled(word_hashes(words(normalize(text))))[:PASSAGE_MAX_HASHES]


def _sampled(hashed: np.ndarray) -> np.ndarray:
    found = shingle_hashes(hashed, PASSAGE_SHINGLE_WORDS)
    kept = found[(found >> np.uint64(64 - PASSAGE_SAMPLE_BITS)) == 0]
    return np.unique((kept >> np.uint64(32 - PASSAGE_SAMPLE_BITS)).astype(np.uint32))


def passage_cutoff(sketch: np.ndarray) -> int:
    """The largest hash a work's sketch would hold: all of them when it is not full, else its
    last (a passage's hashes above that cannot be looked up in it)."""
    if len(sketch) >= PASSAGE_MAX_HASHES:
        return int(sketch[-1])
    return 0xFFFFFFFF


def containment(passage: np.ndarray, sketch: np.ndarray) -> tuple[float, int, int]:
    """(share, shared, looked-up) of a passage's sampled hashes that the work's sketch holds."""
    usable = passage[passage <= passage_cutoff(sketch)]
    shared = int(np.count_nonzero(np.isin(usable, sketch, assume_unique=True)))
    return (shared / len(usable) if len(usable) else 0.0), shared, len(usable)


# --- Storage -------------------------------------------------------------------------------
def to_bytes(sig: np.ndarray, passage: np.ndarray | None = None) -> bytes:
    """`Work.text_minhash`: the signature, then (optionally) the passage sketch."""
    out = np.asarray(sig, dtype="<u4").tobytes()
    if passage is not None:
        out += np.asarray(passage, dtype="<u4").tobytes()
    return out


def from_bytes(data: bytes) -> np.ndarray:
    """The signature stored by `to_bytes` (the passage sketch after it is left out)."""
    if len(data) < NUM_PERM * 4:
        raise ValueError(f"a text signature has {NUM_PERM * 4} bytes, this has {len(data)}")
    return np.frombuffer(data, dtype="<u4", count=NUM_PERM).astype(np.uint32)


def passage_from_bytes(data: bytes) -> np.ndarray:
    """The passage sketch stored after the signature (empty for a work stored without one)."""
    rest = memoryview(data)[NUM_PERM * 4 :]
    return np.frombuffer(rest[: len(rest) // 4 * 4], dtype="<u4").astype(np.uint32)


@dataclass(frozen=True)
class TextFingerprint:
    signature: np.ndarray
    passage: np.ndarray
    sha256: str

    @property
    def minhash_bytes(self) -> bytes:
        return to_bytes(self.signature, self.passage)


def text_fingerprint(text: str) -> TextFingerprint:
    """All three fingerprints, normalizing the text once."""
    normalized = normalize(text)
    hashed = word_hashes(words(normalized))
    return TextFingerprint(
        signature=minhash(shingle_hashes(hashed, SHINGLE_WORDS)),
        passage=_sampled(hashed)[:PASSAGE_MAX_HASHES],
        sha256=hashlib.sha256(normalized.encode()).hexdigest(),
    )
