"""Is this upload a recording we accept? Decided from the bytes, never from the name or the
Content-Type the client sent. Length, sample rate and channels are checked from the header
before any decode; then the whole stream is decoded, in blocks and never past the length cap,
to prove it plays through: a cut or damaged file is refused here, not found out by a buyer."""

from __future__ import annotations

import io
import math
import struct
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import soundfile
from django.conf import settings

from uploads import errors
from uploads.audio.containers import (
    id3v2_end,
    is_id3v2,
    looks_like_mpeg,
    mpeg_scan,
    ogg_ends_whole,
    wav_data_complete,
)
from uploads.errors import UploadRefused
from uploads.validation import check_size


@dataclass(frozen=True)
class AudioFormat:
    name: str
    media_type: str
    extension: str
    soundfile_format: str  # libsndfile's major format, as soundfile names it


WAV = AudioFormat("WAV", "audio/wav", "wav", "WAV")
FLAC = AudioFormat("FLAC", "audio/flac", "flac", "FLAC")
MP3 = AudioFormat("MP3", "audio/mpeg", "mp3", "MP3")
# Both Ogg codecs are served as audio/ogg; Opus keeps its own extension, as players name it.
OGG_VORBIS = AudioFormat("Ogg Vorbis", "audio/ogg", "ogg", "OGG")
OGG_OPUS = AudioFormat("Opus", "audio/ogg", "opus", "OGG")
_OGG_SUBTYPES = {OGG_VORBIS: "VORBIS", OGG_OPUS: "OPUS"}

BLOCK_FRAMES = 65_536  # per read: ~1.5 s at 44.1 kHz, 2 MB of float32 at most for 8 channels
_UNKNOWN_FRAMES = 2**62  # libsndfile reports INT64_MAX when a FLAC does not say its length
# How far libsndfile's length may fall short of what the MP3 frames hold (the encoder's delay
# and padding are trimmed: under 0.1 s) before it would stop decoding early.
_MP3_LENGTH_SLACK_SECONDS = 0.5
# An Ogg's length is the last page's granule position; the decoder may stop a little short.
_OGG_SLACK_SECONDS = 0.05

INCOMPLETE = (
    "The recording is incomplete: the file ends before the sound its header announces. "
    "Upload the whole file."
)
DAMAGED = "The recording is damaged and cannot be played through. Export it again and upload it."


@dataclass(frozen=True)
class ValidatedAudio:
    format: AudioFormat
    duration_ms: int
    sample_rate: int
    channels: int


def _ogg_format(head: bytes) -> AudioFormat:
    # The first page holds one packet: the codec's identification header.
    packet = 27 + (head[26] if len(head) > 26 else 0)
    if head[packet : packet + 8] == b"OpusHead":
        return OGG_OPUS
    # Vorbis, or another codec (FLAC, Speex, Theora video) that validate_audio names.
    return OGG_VORBIS


def sniff_audio(head: bytes) -> AudioFormat | None:
    """The format the first bytes (4 kB is plenty) announce, or None if not a recording."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return WAV
    if head.startswith(b"fLaC"):
        return FLAC
    if head.startswith(b"OggS"):
        return _ogg_format(head)
    if is_id3v2(head):
        # An ID3 tag may front an MP3 or, now and then, a FLAC. A large one (cover art) hides
        # what follows from the head; it is an MP3 then, unless validate_audio sees otherwise.
        end = id3v2_end(head)
        if end + 4 > len(head):
            return MP3
        if head.startswith(b"fLaC", end):
            return FLAC
        return MP3 if looks_like_mpeg(head, end) else None
    # JPEG's FF D8 fails the frame sync (11 set bits); the rest of the header and a second
    # frame right after it must make sense too.
    if looks_like_mpeg(head, 0):
        return MP3
    return None


def clock(seconds: float) -> str:
    """42:10, or 1:02:03 past an hour."""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _too_long(seconds: float | None) -> UploadRefused:
    limit = clock(settings.AUDIO_MAX_SECONDS)
    if seconds is None:
        message = f"The recording is longer than {limit}, the limit."
    else:
        message = f"The recording is {clock(seconds)} long; the limit is {limit}."
    return UploadRefused(errors.TOO_LONG, message, status=413)


def _check_length(seconds: float) -> None:
    # Whole seconds: a 20:00.4 recording is "20:00 long" and passes a 20:00 limit.
    if math.floor(seconds) > settings.AUDIO_MAX_SECONDS:
        raise _too_long(seconds)
    shortest = settings.AUDIO_MIN_SECONDS
    if seconds < shortest:
        unit = "second" if shortest == 1 else "seconds"
        raise UploadRefused(
            errors.TOO_SHORT,
            f"The recording lasts {seconds:.1f} seconds; it must be at least {shortest} {unit} "
            "long.",
        )


def _check_stream(sample_rate: int, channels: int) -> None:
    if channels > settings.AUDIO_MAX_CHANNELS:
        allowed = {1: "mono", 2: "mono or stereo"}.get(
            settings.AUDIO_MAX_CHANNELS, f"at most {settings.AUDIO_MAX_CHANNELS} channels"
        )
        raise UploadRefused(
            errors.TOO_MANY_CHANNELS,
            f"The recording has {channels} channels; we accept {allowed}. Upload a stereo mix.",
        )
    low, high = settings.AUDIO_MIN_SAMPLE_RATE, settings.AUDIO_MAX_SAMPLE_RATE
    if not low <= sample_rate <= high:
        raise UploadRefused(
            errors.UNSUPPORTED_SAMPLE_RATE,
            f"The recording's sample rate is {sample_rate:,} Hz; we accept {low:,} to {high:,} Hz.",
        )


def _read_at(fp: BinaryIO, offset: int, count: int) -> bytes:
    fp.seek(offset)
    return fp.read(count)


def _resolve(fp: BinaryIO, fmt: AudioFormat) -> AudioFormat:
    """Look past a front ID3 tag too large for the sniffed head."""
    head = _read_at(fp, 0, 4096)
    if not head.startswith(b"ID3"):
        return fmt
    # Find the end of the tags from their headers alone (each is 10 bytes).
    end = 0
    for _ in range(16):
        header = _read_at(fp, end, 10)
        following = id3v2_end(header)
        if following == 0:
            break
        end += following
    return sniff_audio(_read_at(fp, end, 4096)) or fmt


def _check_container(fp: BinaryIO, size: int, fmt: AudioFormat):
    """Structure checks libsndfile would let pass; the MP3 frame walk is returned."""
    if fmt is WAV and not wav_data_complete(fp, size):
        raise UploadRefused(errors.CORRUPT_AUDIO, INCOMPLETE)
    if fmt in _OGG_SUBTYPES and not ogg_ends_whole(fp, size):
        raise UploadRefused(errors.CORRUPT_AUDIO, INCOMPLETE)
    if fmt is not MP3:
        return None
    # Far enough past the cap to name a too-long recording's length, and no further.
    walk = 2 * settings.AUDIO_MAX_SECONDS + 60
    scan = mpeg_scan(_read_at(fp, 0, size), stop_after_seconds=walk)
    if scan is None or scan.problem == "broken":
        raise UploadRefused(errors.CORRUPT_AUDIO, DAMAGED)
    if scan.problem:
        raise UploadRefused(errors.CORRUPT_AUDIO, INCOMPLETE)
    if scan.stopped:
        raise _too_long(None)
    if scan.declared_frames is not None and scan.audio_frames < scan.declared_frames:
        raise UploadRefused(errors.CORRUPT_AUDIO, INCOMPLETE)  # cut at a frame boundary
    return scan


def _confirm_format(fmt: AudioFormat, sound: soundfile.SoundFile) -> None:
    if fmt in _OGG_SUBTYPES:
        if sound.format != "OGG" or sound.subtype not in _OGG_SUBTYPES.values():
            raise UploadRefused(
                errors.UNSUPPORTED_TYPE,
                "This Ogg file does not hold Vorbis or Opus audio. Upload a WAV, FLAC, MP3 or "
                "Ogg (Vorbis or Opus) recording.",
            )
        if sound.subtype != _OGG_SUBTYPES[fmt]:
            raise UploadRefused(errors.CORRUPT_AUDIO, DAMAGED)
    elif sound.format != fmt.soundfile_format:
        raise UploadRefused(errors.CORRUPT_AUDIO, DAMAGED)


def _header_seconds(fmt: AudioFormat, sound: soundfile.SoundFile, scan) -> float | None:
    if scan is not None:
        return scan.samples / scan.sample_rate
    if 0 < sound.frames < _UNKNOWN_FRAMES:
        return sound.frames / sound.samplerate
    return None


def _decode_all(sound: soundfile.SoundFile, limit: int) -> int:
    """Decode every frame, keeping none, and stop once past `limit`: the count decoded."""
    block = np.empty((BLOCK_FRAMES, sound.channels), dtype=np.float32)
    decoded = 0
    while decoded <= limit:
        got = len(sound.read(out=block))
        if got == 0:
            break
        decoded += got
    return decoded


def _check_decoded(fmt: AudioFormat, sound: soundfile.SoundFile, scan, decoded: int) -> None:
    rate = sound.samplerate
    if scan is not None and sound.frames < scan.samples - _MP3_LENGTH_SLACK_SECONDS * rate:
        # No length header and a varying bitrate: libsndfile guessed the length from the
        # first frame and would stop decoding there, so the preview and the fingerprint
        # would miss the rest.
        raise UploadRefused(
            errors.CORRUPT_AUDIO,
            "This MP3 has no length header and its bitrate varies, so it cannot be read "
            "reliably. Export it again (encoders add the header by default) or upload FLAC or "
            "WAV.",
        )
    if not 0 < sound.frames < _UNKNOWN_FRAMES:
        return
    slack = _OGG_SLACK_SECONDS * rate if fmt in _OGG_SUBTYPES else 0
    if fmt is MP3:
        slack = _MP3_LENGTH_SLACK_SECONDS * rate
    if decoded < sound.frames - slack:
        raise UploadRefused(errors.CORRUPT_AUDIO, INCOMPLETE)


def validate_audio(
    fp: BinaryIO, size: int, fmt: AudioFormat, *, prove_seconds: float | None = None
) -> ValidatedAudio:
    """Refuse anything that is not a whole, playable, reasonably long WAV, FLAC, MP3 or Ogg
    (Vorbis or Opus) recording. `fmt` is what sniff_audio made of the first bytes.

    `prove_seconds`: decode only that much (public verification checks a clip's opening and
    must not spend a 20-minute decode per request); the rest is not proven whole, and the
    duration is the header's (or what was decoded, when there is no header)."""
    check_size(size)
    try:
        fmt = _resolve(fp, fmt)
        scan = _check_container(fp, size, fmt)
        fp.seek(0)
        with soundfile.SoundFile(fp) as sound:  # parses the header, decodes nothing yet
            _confirm_format(fmt, sound)
            _check_stream(sound.samplerate, sound.channels)
            header_seconds = _header_seconds(fmt, sound, scan)
            if header_seconds is not None:
                _check_length(header_seconds)
            limit = (settings.AUDIO_MAX_SECONDS + 1) * sound.samplerate
            if prove_seconds is not None and prove_seconds * sound.samplerate < limit:
                # Stops within a block past the opening: enough to prove what is checked.
                decoded = _decode_all(sound, int(prove_seconds * sound.samplerate))
                partial = decoded > prove_seconds * sound.samplerate
            else:
                decoded, partial = _decode_all(sound, limit), False
                if decoded > limit:
                    raise _too_long(None)  # the header said less, or nothing
            if partial:
                seconds = header_seconds or decoded / sound.samplerate
            else:
                _check_decoded(fmt, sound, scan, decoded)
                seconds = decoded / sound.samplerate
                _check_length(seconds)
            sample_rate, channels = sound.samplerate, sound.channels
    except UploadRefused:
        raise
    except (
        soundfile.LibsndfileError,
        RuntimeError,
        ValueError,
        TypeError,
        OSError,
        EOFError,
        MemoryError,
        OverflowError,
        struct.error,
    ) as exc:
        raise UploadRefused(errors.CORRUPT_AUDIO, DAMAGED) from exc
    finally:
        fp.seek(0)
    return ValidatedAudio(
        format=fmt,
        duration_ms=round(seconds * 1000),
        sample_rate=sample_rate,
        channels=channels,
    )


def decode_mono(data: bytes, *, max_seconds: float | None = None) -> tuple[np.ndarray, int]:
    """The recording as float32 mono (channels averaged) at its own sample rate, decoded in
    blocks and never past `max_seconds`. For the preview, the waveform and the fingerprint of
    a file validate_audio accepted; a damaged one raises UploadRefused all the same."""
    try:
        with soundfile.SoundFile(io.BytesIO(data)) as sound:
            rate, channels = sound.samplerate, sound.channels
            limit = None if max_seconds is None else max(0, int(max_seconds * rate))
            known = sound.frames if 0 < sound.frames < _UNKNOWN_FRAMES else None
            sizes = [n for n in (known, limit) if n is not None]
            out = np.empty(min(sizes) if sizes else 16 * BLOCK_FRAMES, dtype=np.float32)
            block = np.empty((BLOCK_FRAMES, channels), dtype=np.float32)
            filled = 0
            while limit is None or filled < limit:
                want = BLOCK_FRAMES if limit is None else min(BLOCK_FRAMES, limit - filled)
                got = sound.read(out=block[:want])
                if len(got) == 0:
                    break
                if filled + len(got) > len(out):  # the header said less than there is
                    out = np.concatenate([out, np.empty(max(len(out), want), np.float32)])
                target = out[filled : filled + len(got)]
                if channels == 1:
                    target[:] = got[:, 0]
                elif channels == 2:  # twice as fast as mean(axis=1) on interleaved frames
                    np.add(got[:, 0], got[:, 1], out=target)
                    target *= 0.5
                else:
                    np.mean(got, axis=1, out=target)
                filled += len(got)
    except (soundfile.LibsndfileError, RuntimeError, ValueError, TypeError, OSError) as exc:
        raise UploadRefused(errors.CORRUPT_AUDIO, DAMAGED) from exc
    return out[:filled], rate
