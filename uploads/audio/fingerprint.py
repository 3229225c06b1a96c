"""Chromaprint fingerprints of audio works and how two of them compare.

The fingerprint is Chromaprint's raw form: one 32-bit value per frame of about 0.124 s
(4096 samples at 11,025 Hz, advancing by a third), each bit a quantised chroma feature. Two
fingerprints of the same recording agree on most bits once aligned, whatever the codec, the
gain or where the copy starts; unrelated audio agrees on about half. `compare` finds that
alignment and says how much of the overlap agrees.

fpcalc (Debian's Chromaprint 1.5.1) computes it. It is fed 16-bit PCM on stdin, already
decoded by libsndfile, so it never parses an uploaded file itself."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass

import numpy as np

__all__ = [
    "FRAME_SECONDS",
    "MATCH_SCORE",
    "MIN_OVERLAP_FRAMES",
    "WORK_SECONDS",
    "Comparison",
    "FingerprintUnavailable",
    "compare",
    "fingerprint_available",
    "fingerprint_pcm",
    "from_bytes",
    "to_bytes",
]

FRAME_SECONDS = 1365 / 11025  # Chromaprint's frame step (4096-sample frames, two thirds overlap)
# Measured with the real fpcalc on generated songs (tests/uploads/sounds.py; bench/README.md):
# copies re-encoded to MP3 or Vorbis, gain 0.5-1.5, trimmed or cut to a 20-30 s clip score
# 0.91-1.00 (0.91 when the copy starts half a frame off the original's frame grid); the best
# alignment of two unrelated songs scores 0.55-0.65. Audio that shares its melody scores
# between the two: 20-40 s voices with the same pitch contour reach 0.89, like a cover.
MATCH_SCORE = 0.80
# A work's stored fingerprint covers this much of it (8 min 20 s, about 4,040 frames, within
# moderation.neardup.audio's MAX_FRAMES): a copy that drops a long track's first minutes, or a
# clip from late in it, still overlaps the stored fingerprint. Past this, a track's tail is not
# screened; 8 minutes hold most songs whole, and fpcalc's work and the index's memory stay
# bounded whatever a DJ set's length.
WORK_SECONDS = 500
# Two fingerprints must overlap this long (about 8 s) before a score means anything: over a
# few frames, some alignment of unrelated audio agrees by chance.
MIN_OVERLAP_FRAMES = 64
FPCALC_TIMEOUT_SECONDS = 60
# Chromaprint's accepted exit codes: 3 is its "non-critical error, fingerprint still computed",
# which Debian's 1.5.1 returns whenever its FFmpeg reader reaches the end of a pipe.
_FPCALC_OK = (0, 3)


class FingerprintUnavailable(Exception):
    """fpcalc is not installed, failed, timed out, or found no audio to fingerprint."""


@dataclass(frozen=True)
class Comparison:
    score: float  # 1 - bit error rate over the overlap at the best alignment, 0..1
    offset: int  # frames: b[i] lines up with a[i + offset]
    overlap_frames: int


def fingerprint_available() -> bool:
    return shutil.which("fpcalc") is not None


def fingerprint_pcm(samples: np.ndarray, sample_rate: int, *, max_seconds: int = 120) -> np.ndarray:
    """The raw Chromaprint fingerprint (uint32 per frame) of the first `max_seconds` of float
    samples in [-1, 1], shape (n,) or (n, channels)."""
    fpcalc = shutil.which("fpcalc")
    if fpcalc is None:
        raise FingerprintUnavailable("fpcalc (Chromaprint) is not installed")
    samples = np.asarray(samples)
    if samples.ndim == 1:
        samples = samples[:, None]
    if samples.ndim != 2 or not samples.shape[1]:
        raise ValueError(f"samples must be (n,) or (n, channels), not {samples.shape}")
    samples = samples[: int(max_seconds * sample_rate)]
    pcm = np.clip(np.nan_to_num(samples, nan=0.0), -1.0, 1.0) * 32767
    command = [
        fpcalc,
        *("-raw", "-json", "-format", "s16le", "-rate", str(int(sample_rate))),
        *("-channels", str(samples.shape[1]), "-length", str(int(max_seconds)), "-"),
    ]
    try:
        # The command is fixed here; only PCM from our own decode reaches it, on stdin.
        done = subprocess.run(  # noqa: S603
            command,
            input=pcm.astype("<i2").tobytes(),
            capture_output=True,
            timeout=FPCALC_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise FingerprintUnavailable(f"fpcalc took over {FPCALC_TIMEOUT_SECONDS} s") from exc
    except OSError as exc:
        raise FingerprintUnavailable(f"fpcalc could not run: {exc}") from exc
    stderr = done.stderr.decode("utf-8", "replace").strip()
    if done.returncode not in _FPCALC_OK:
        raise FingerprintUnavailable(f"fpcalc failed ({done.returncode}): {stderr[:200]}")
    try:
        values = json.loads(done.stdout)["fingerprint"]
        fingerprint = np.array(values, dtype=np.int64).astype(np.uint32)
    except (ValueError, KeyError, TypeError) as exc:
        raise FingerprintUnavailable(f"fpcalc gave no fingerprint: {stderr[:200]}") from exc
    if not len(fingerprint):
        raise FingerprintUnavailable("the audio is too short to fingerprint")
    return fingerprint


def to_bytes(fp: np.ndarray) -> bytes:
    return np.asarray(fp, dtype="<u4").tobytes()


def from_bytes(data: bytes | memoryview) -> np.ndarray:
    data = bytes(data)
    return np.frombuffer(data[: len(data) // 4 * 4], dtype="<u4").astype(np.uint32)


def compare(a: np.ndarray, b: np.ndarray, *, min_overlap: int = MIN_OVERLAP_FRAMES) -> Comparison:
    """The alignment of `b` against `a` where their bits agree most, over every offset that
    leaves at least `min_overlap` frames in common (or the shorter one whole, if shorter)."""
    a = np.asarray(a, dtype=np.uint32)
    b = np.asarray(b, dtype=np.uint32)
    n, m = len(a), len(b)
    need = max(1, min(min_overlap, n, m))
    if not n or not m:
        return Comparison(score=0.0, offset=0, overlap_frames=0)
    # Offsets o with b[j] ~ a[j + o]; the overlap is j in [max(0, -o), min(m, n - o)).
    offsets = np.arange(need - m, n - need + 1)
    padded = np.concatenate([np.zeros(m, np.uint32), a, np.zeros(m, np.uint32)])
    # Row k of the windows holds padded[k : k + m], i.e. a[j + o] at padded index j + o + m.
    windows = np.lib.stride_tricks.sliding_window_view(padded, m)[offsets + m]
    errors = np.bitwise_count(windows ^ b).sum(axis=1, dtype=np.int64)
    # Positions that fell in the zero padding counted popcount(b[j]) errors: take them out.
    b_bits = np.concatenate([[0], np.cumsum(np.bitwise_count(b), dtype=np.int64)])
    lo = np.maximum(0, -offsets)
    hi = np.minimum(m, n - offsets)
    errors -= b_bits[m] - (b_bits[hi] - b_bits[lo])
    overlap = hi - lo
    scores = 1.0 - errors / (32.0 * overlap)
    best = int(np.argmax(scores))
    return Comparison(
        score=float(scores[best]), offset=int(offsets[best]), overlap_frames=int(overlap[best])
    )
