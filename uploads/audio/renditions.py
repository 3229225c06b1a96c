"""Renditions of an audio work: a short, marked preview a buyer can listen to, and a waveform
picture for the catalog. Both are made from the decoded samples only, so no tag, cover art or
embedded manifest of the original can leave through them.

The preview is 30 seconds taken from 30% into the recording (from the start when it is short):
the opening of a track is often a count-in, silence or a slow intro, and a third of the way in
usually lands in the body of the piece, as record shops' clips do. It is mono at 22,050 Hz or
less, faded in and out, and carries a soft two-note chime every 10 seconds, so it cannot stand
in for the work."""

from __future__ import annotations

import io

import numpy as np
import soundfile
from django.conf import settings
from mutagen.oggvorbis import OggVorbis
from PIL import Image

PREVIEW_MEDIA_TYPE = "audio/ogg"
PREVIEW_EXTENSION = "ogg"
PREVIEW_SECONDS = 30.0
PREVIEW_START_AT = 0.3  # of the recording's length
PREVIEW_RATE = 22_050
# libsndfile's Vorbis quality knob: 0 is best, 1 smallest. 0.6 gives ~25 kbit/s mono.
PREVIEW_COMPRESSION = 0.6
# libvorbis overflows its stack on one long write (libsndfile issue 1095): write in blocks.
_WRITE_FRAMES = 8192
WATERMARK_EVERY = 10.0  # seconds
WATERMARK_FIRST = 3.0  # after the fade-in
WATERMARK_NOTES = (1000.0, 1500.0)  # Hz: a rising fifth, heard as a chime, not as music
_FADE_IN, _FADE_OUT = 1.0, 2.0

WAVEFORM_HEIGHT_RATIO = 0.4  # 400 x 160 for the 400 px thumbnail
# The site's palette (static/css/assent.css): page background, brand green and its dark tone.
_BACKGROUND = (247, 248, 246)
_PEAK = (136, 189, 176)  # the brand green over the page, lighter: the min/max envelope
_BODY = (18, 113, 95)  # --assent-brand: the loudness (RMS) inside it
_AXIS = (226, 231, 227)  # --assent-line


def _mono(samples: np.ndarray) -> np.ndarray:
    samples = np.asarray(samples, dtype=np.float32)
    return samples.mean(axis=1, dtype=np.float32) if samples.ndim == 2 else samples


def _excerpt(mono: np.ndarray, sample_rate: int) -> np.ndarray:
    length = int(PREVIEW_SECONDS * sample_rate)
    if len(mono) <= length:
        return mono
    start = min(int(len(mono) * PREVIEW_START_AT), len(mono) - length)
    return mono[start : start + length]


def resample(signal: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Band-limited resampling in the frequency domain: drop (or add) the bins above the new
    Nyquist frequency, with a short taper below it so cymbals do not ring. Wrap-around at the
    ends is hidden by the preview's fades."""
    if rate == target or len(signal) == 0:
        return signal.astype(np.float32, copy=False)
    count = max(1, round(len(signal) * target / rate))
    spectrum = np.fft.rfft(signal.astype(np.float64))
    bins = count // 2 + 1
    kept = min(len(spectrum), bins)
    out = np.zeros(bins, dtype=np.complex128)
    out[:kept] = spectrum[:kept]
    taper = max(1, kept // 20)
    out[kept - taper : kept] *= np.linspace(1.0, 0.0, taper)
    return (np.fft.irfft(out, count) * (count / len(signal))).astype(np.float32)


def _chime(rate: int, level: float) -> np.ndarray:
    """Two soft bell-like notes, the second 0.18 s after the first: ~0.7 s in all."""
    note_length = int(0.5 * rate)
    t = np.arange(note_length) / rate
    envelope = np.minimum(1.0, t / 0.005) * np.exp(-t / 0.15)
    gap = int(0.18 * rate)
    chime = np.zeros(gap + note_length)
    for index, frequency in enumerate(WATERMARK_NOTES):
        tone = np.sin(2 * np.pi * frequency * t) + 0.25 * np.sin(2 * np.pi * 2 * frequency * t)
        start = index * gap
        chime[start : start + note_length] += envelope * tone
    return (level * chime / np.abs(chime).max()).astype(np.float32)


def _watermark(clip: np.ndarray, rate: int) -> np.ndarray:
    # As loud as the music around it, within bounds: heard over a loud master, not blaring
    # over a quiet voice.
    rms = float(np.sqrt(np.mean(np.square(clip)))) if len(clip) else 0.0
    chime = _chime(rate, level=min(0.2, max(0.03, 1.5 * rms)))
    marked = clip.copy()
    first = min(WATERMARK_FIRST, len(clip) / rate / 3)
    for at in np.arange(first, len(clip) / rate, WATERMARK_EVERY):
        start = int(at * rate)
        part = chime[: len(marked) - start]
        marked[start : start + len(part)] += part
    return marked


def _fade(clip: np.ndarray, rate: int) -> np.ndarray:
    fade_in = min(int(_FADE_IN * rate), len(clip) // 5)
    fade_out = min(int(_FADE_OUT * rate), len(clip) // 5)
    if fade_in:
        clip[:fade_in] *= np.sin(np.linspace(0, np.pi / 2, fade_in)) ** 2
    if fade_out:
        clip[len(clip) - fade_out :] *= np.cos(np.linspace(0, np.pi / 2, fade_out)) ** 2
    return clip


def _ogg_vorbis(mono: np.ndarray, rate: int) -> bytes:
    out = io.BytesIO()
    with soundfile.SoundFile(
        out,
        "w",
        samplerate=rate,
        channels=1,
        format="OGG",
        subtype="VORBIS",
        compression_level=PREVIEW_COMPRESSION,
    ) as sound:
        for start in range(0, len(mono), _WRITE_FRAMES):
            sound.write(mono[start : start + _WRITE_FRAMES])
    # libsndfile writes an ENCODER=libsndfile comment; the preview carries no tag at all.
    out.seek(0)
    stream = OggVorbis(out)
    if stream.tags:
        stream.tags.clear()
        out.seek(0)
        stream.save(out)
    return out.getvalue()


def audio_preview(samples: np.ndarray, sample_rate: int) -> bytes:
    """The marked preview as Ogg Vorbis bytes, from samples (mono or frames x channels)."""
    clip = _excerpt(_mono(samples), sample_rate)
    rate = min(sample_rate, PREVIEW_RATE)
    clip = resample(clip, sample_rate, rate)
    clip = _fade(_watermark(clip, rate), rate)
    peak = float(np.abs(clip).max()) if len(clip) else 0.0
    if peak > 0.98:  # the chime on top of a loud master must not clip
        clip *= 0.98 / peak
    return _ogg_vorbis(clip, rate)


def _columns(mono: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per column: the lowest and highest sample and the RMS."""
    if len(mono) < count:
        mono = np.pad(mono, (0, count - len(mono)))
    edges = np.linspace(0, len(mono), count + 1).astype(np.int64)[:-1]
    low = np.minimum.reduceat(mono, edges)
    high = np.maximum.reduceat(mono, edges)
    # RMS from a thinned copy: a 20-minute track has 50 million samples; 256 per column are
    # plenty to show loudness.
    step = max(1, len(mono) // (count * 256))
    thin = mono[::step].astype(np.float32)
    thin_edges = np.minimum(edges // step, len(thin) - 1)
    sums = np.add.reduceat(np.square(thin), thin_edges)
    sizes = np.diff(np.append(thin_edges, len(thin))).clip(min=1)
    return low, high, np.sqrt(sums / sizes)


def waveform_image(samples: np.ndarray, sample_rate: int) -> bytes:
    """A JPEG of the whole recording's waveform, RENDITION_THUMBNAIL_PX wide: the min/max
    envelope in a light green, the loudness inside it in the brand green, on the page colour."""
    width = settings.RENDITION_THUMBNAIL_PX
    height = round(width * WAVEFORM_HEIGHT_RATIO)
    scale = 2  # drawn at twice the size and reduced, for smooth edges
    big_w, big_h = width * scale, height * scale
    mono = _mono(samples)
    low, high, rms = _columns(mono, big_w)
    peak = max(float(np.abs(mono).max()) if len(mono) else 0.0, 1e-4)
    half = big_h / 2
    reach = 0.92 * half / peak  # the loudest sample nearly fills the height
    rows = np.arange(big_h)[:, None] + 0.5
    # At least one pixel of envelope everywhere, so silence still draws a line.
    top = np.minimum(half - high * reach, half - 1)
    bottom = np.maximum(half - low * reach, half + 1)
    body = np.minimum(rms * reach, np.minimum(half - top, bottom - half))
    image = np.empty((big_h, big_w, 3), dtype=np.uint8)
    image[:] = _BACKGROUND
    image[int(half) - 1 : int(half) + 1, :] = _AXIS
    image[(rows >= top) & (rows <= bottom)] = _PEAK
    image[(rows >= half - body) & (rows <= half + body)] = _BODY
    picture = Image.fromarray(image, "RGB").resize((width, height), Image.Resampling.BOX)
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=85)
    return out.getvalue()
