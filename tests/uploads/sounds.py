"""Audio made in the tests: music-like tracks (a melody of harmonic notes over a beat) and a
voice-like clip, different per seed, encoded by libsndfile into each format we accept, so every
case says what the file holds."""

from __future__ import annotations

import io

import numpy as np
import soundfile

FORMATS = {  # name: (soundfile format, subtype, extension)
    "wav": ("WAV", "PCM_16", "wav"),
    "flac": ("FLAC", "PCM_16", "flac"),
    "mp3": ("MP3", "MPEG_LAYER_III", "mp3"),
    "ogg": ("OGG", "VORBIS", "ogg"),
    "opus": ("OGG", "OPUS", "opus"),
}


def song(seconds: float = 20.0, seed: int = 0, sample_rate: int = 44100) -> np.ndarray:
    """Stereo float32 in [-1, 1]: a random melody (notes of 0.15-0.6 s with 4 harmonics and a
    decay) over a kick every half second, the right channel a little delayed."""
    rng = np.random.default_rng(seed)
    total = int(seconds * sample_rate)
    out = np.zeros(total, dtype=np.float64)
    position = 0
    while position < total:
        length = int(rng.uniform(0.15, 0.6) * sample_rate)
        frequency = 110.0 * 2 ** (rng.integers(0, 36) / 12)
        t = np.arange(min(length, total - position)) / sample_rate
        envelope = np.exp(-3.0 * t / max(t[-1], 1e-3)) if len(t) else t
        note = sum(np.sin(2 * np.pi * frequency * k * t) / k for k in range(1, 5))
        out[position : position + len(t)] += 0.3 * envelope * note
        position += length
    beat = int(0.5 * sample_rate)
    kick_t = np.arange(int(0.08 * sample_rate)) / sample_rate
    kick = 0.5 * np.sin(2 * np.pi * 60 * kick_t) * np.exp(-40 * kick_t)
    for start in range(0, total - len(kick), beat):
        out[start : start + len(kick)] += kick
    out /= max(1e-9, np.abs(out).max()) / 0.8
    right = np.roll(out, 200)
    return np.stack([out, right], axis=1).astype(np.float32)


def voice(seconds: float = 8.0, seed: int = 0, sample_rate: int = 16000) -> np.ndarray:
    """Mono float32: a voice-like signal (a gliding pitch with formant-ish harmonics, in
    syllables separated by short pauses)."""
    rng = np.random.default_rng(seed + 10_000)
    total = int(seconds * sample_rate)
    t = np.arange(total) / sample_rate
    pitch = 140 + 30 * np.sin(2 * np.pi * 0.7 * t + seed)
    phase = 2 * np.pi * np.cumsum(pitch) / sample_rate
    signal = sum(np.sin(k * phase) * rng.uniform(0.2, 1.0) / k for k in range(1, 8))
    syllables = (np.sin(2 * np.pi * rng.uniform(2.5, 4.0) * t) > -0.2).astype(float)
    signal = signal * syllables + rng.normal(0, 0.01, total)
    signal /= max(1e-9, np.abs(signal).max()) / 0.7
    return signal.astype(np.float32)


def encode(samples: np.ndarray, sample_rate: int = 44100, fmt: str = "flac") -> bytes:
    container, subtype, _extension = FORMATS[fmt]
    out = io.BytesIO()
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    # In blocks: libvorbis crashes the process when one long clip is written in a single call
    # (libsndfile issue 1095), as uploads/audio/renditions.py found too.
    with soundfile.SoundFile(
        out, "w", sample_rate, channels, format=container, subtype=subtype
    ) as sink:
        for start in range(0, len(samples), 8192):
            sink.write(samples[start : start + 8192])
    return out.getvalue()


def decode(data: bytes) -> tuple[np.ndarray, int]:
    samples, sample_rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    return samples, sample_rate


def reencode(
    data: bytes,
    fmt: str = "mp3",
    *,
    gain: float = 1.0,
    trim_seconds: float = 0.0,
    keep_seconds: float | None = None,
) -> bytes:
    """What a thief does to a track: decode, trim the start, change the gain, cut it short,
    encode it again in another format."""
    samples, sample_rate = decode(data)
    start = int(trim_seconds * sample_rate)
    end = None if keep_seconds is None else start + int(keep_seconds * sample_rate)
    clipped = np.clip(samples[start:end] * gain, -1.0, 1.0)
    return encode(clipped, sample_rate, fmt)


def encode_long(samples: np.ndarray, sample_rate: int = 44100, fmt: str = "flac") -> bytes:
    """`encode` for tracks past about 47 s at 44.1 kHz: libsndfile 1.2.2's Vorbis encoder
    crashes the process (SIGSEGV) when one write holds more than 2**21 frames, so this writes
    a second at a time."""
    container, subtype, _extension = FORMATS[fmt]
    out = io.BytesIO()
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    with soundfile.SoundFile(
        out, "w", sample_rate, channels, subtype=subtype, format=container
    ) as sink:
        for start in range(0, len(samples), sample_rate):
            sink.write(samples[start : start + sample_rate])
    return out.getvalue()
