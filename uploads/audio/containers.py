"""What the container bytes say before libsndfile is asked: ID3 tags, MPEG audio frame
headers, the RIFF chunk that holds a WAV's sound, the last page of an Ogg stream.

libsndfile forgives too much for hostile uploads: a WAV whose header promises more sound than
the file holds is read as the shorter file, and an MP3 without a length header is read only as
far as its guessed length. These small walkers see what it hides."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

# Layer III bitrates in kbit/s by index; 0 ("free format") and 15 are refused.
_BITRATES_V1 = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_BITRATES_V2 = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
# Version bits: 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5 (1 is reserved).
_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
# Tags that may follow the last frame of an MP3.
_TRAILERS = (b"TAG", b"APETAGEX", b"ID3", b"3DI", b"LYRICSBEGIN")
_MAX_FRAMES = 2_000_000  # ~13 hours of MPEG-1: far past any cap, bounds the walk


@dataclass(frozen=True)
class MpegFrame:
    version: int
    sample_rate: int
    channels: int
    length: int  # bytes, header included
    samples: int  # per channel


def is_id3v2(head: bytes, pos: int = 0) -> bool:
    """An ID3v2 tag header at `pos`: "ID3", then a major version of 2 to 4 (so a text that
    starts "ID3 tags..." is not one)."""
    return head[pos : pos + 3] == b"ID3" and head[pos + 3 : pos + 4] in (b"\x02", b"\x03", b"\x04")


def id3v2_end(head: bytes) -> int:
    """Where the audio starts after any ID3v2 tags at the front (0 if there are none)."""
    pos = 0
    while is_id3v2(head, pos) and len(head) >= pos + 10:
        flags = head[pos + 5]
        size_bytes = head[pos + 6 : pos + 10]
        if any(b & 0x80 for b in size_bytes):
            break  # not a synchsafe size: not a tag we can skip
        size = 0
        for b in size_bytes:
            size = (size << 7) | b
        pos += 10 + size + (10 if flags & 0x10 else 0)  # the footer flag adds 10 bytes
    return pos


def mpeg_frame(data: bytes, pos: int) -> MpegFrame | None:
    """The Layer III frame header at `pos`, if the four bytes there are a plausible one."""
    if pos + 4 > len(data) or data[pos] != 0xFF or data[pos + 1] & 0xE0 != 0xE0:
        return None
    b1, b2, b3 = data[pos + 1], data[pos + 2], data[pos + 3]
    version, layer = (b1 >> 3) & 3, (b1 >> 1) & 3
    bitrate_index, rate_index, padding = b2 >> 4, (b2 >> 2) & 3, (b2 >> 1) & 1
    if version == 1 or layer != 1 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    if b3 & 3 == 2:  # reserved emphasis
        return None
    table = _BITRATES_V1 if version == 3 else _BITRATES_V2
    sample_rate = _SAMPLE_RATES[version][rate_index]
    per_frame = 1152 if version == 3 else 576
    length = (per_frame // 8) * table[bitrate_index] * 1000 // sample_rate + padding
    return MpegFrame(version, sample_rate, 1 if b3 >> 6 == 3 else 2, length, per_frame)


def looks_like_mpeg(head: bytes, pos: int = 0) -> bool:
    """A frame header at `pos` and, when the head reaches that far, a matching one right
    after it: one header alone is four bytes that random data matches now and then."""
    first = mpeg_frame(head, pos)
    if first is None:
        return False
    after = pos + first.length
    if after + 4 > len(head):
        return True
    second = mpeg_frame(head, after)
    return second is not None and (second.version, second.sample_rate) == (
        first.version,
        first.sample_rate,
    )


@dataclass(frozen=True)
class MpegScan:
    sample_rate: int
    channels: int
    samples: int  # per channel, of the audio frames (a Xing/Info/VBRI frame holds none)
    declared_frames: int | None  # what a Xing/Info/VBRI header says, if there is one
    audio_frames: int
    problem: str = ""  # why the stream is not whole; empty when it is
    stopped: bool = False  # the walk stopped at `stop_after_seconds`: there is more


def _length_header(data: bytes, pos: int, frame: MpegFrame) -> int | None:
    """The frame count of a Xing/Info or VBRI header in the first frame, if it is one."""
    if frame.version == 3:
        side_info = 17 if frame.channels == 1 else 32
    else:
        side_info = 9 if frame.channels == 1 else 17
    xing = pos + 4 + side_info
    if len(data) < pos + 54:
        return None
    if data[xing : xing + 4] in (b"Xing", b"Info"):
        (flags,) = struct.unpack_from(">I", data, xing + 4)
        if flags & 1:
            return struct.unpack_from(">I", data, xing + 8)[0]
        return None
    vbri = pos + 36
    if data[vbri : vbri + 4] == b"VBRI":
        return struct.unpack_from(">I", data, vbri + 14)[0]
    return None


def mpeg_scan(data: bytes, stop_after_seconds: float | None = None) -> MpegScan | None:
    """Walk every frame header of an MP3 (~50 ms for 20 minutes at 128 kbit/s): the real
    number of samples, whether the frames run unbroken to the end (or to a trailing tag), and
    what a length header declares. None if no frame starts where the audio should. The walk
    stops past `stop_after_seconds`, so a long stream of tiny frames costs no more than that."""
    pos = id3v2_end(data)
    first = mpeg_frame(data, pos)
    if first is None:
        return None
    declared = _length_header(data, pos, first)
    if declared is not None:
        pos += first.length  # the header frame decodes to nothing
    frames = 0
    problem = ""
    end = len(data)
    most = _MAX_FRAMES
    if stop_after_seconds is not None:
        most = min(most, int(stop_after_seconds * first.sample_rate / first.samples) + 1)
    while pos < end and frames < most:
        frame = mpeg_frame(data, pos)
        if frame is None or frame.sample_rate != first.sample_rate:
            if not data.startswith(_TRAILERS, pos):
                problem = "broken"
            break
        if pos + frame.length > end:
            problem = "cut"
            break
        frames += 1
        pos += frame.length
    stopped = frames >= most and pos < end
    return MpegScan(
        sample_rate=first.sample_rate,
        channels=first.channels,
        samples=frames * first.samples,
        declared_frames=declared,
        audio_frames=frames,
        problem=problem,
        stopped=stopped,
    )


def wav_data_complete(fp: BinaryIO, size: int) -> bool:
    """True if the WAV's data chunk is all there: its header size fits in the file.

    libsndfile reads a WAV that claims more sound than it holds as the shorter file, so a
    half-uploaded or tampered header would otherwise pass as a whole recording."""
    pos = 12
    for _ in range(1000):  # chunks before "data"; real files have a handful
        fp.seek(pos)
        header = fp.read(8)
        if len(header) < 8:
            return False
        chunk_id, length = struct.unpack("<4sI", header)
        if chunk_id == b"data":
            return pos + 8 + length <= size
        pos += 8 + length + (length & 1)
        if pos > size:
            return False
    return False


def ogg_ends_whole(fp: BinaryIO, size: int) -> bool:
    """True if the file ends with a complete Ogg page. A stream cut mid-page is an unfinished
    upload; one cut exactly at a page boundary cannot be told from a shorter recording."""
    tail_size = min(size, 65_307 + 4096)  # the largest page, and then some
    fp.seek(size - tail_size)
    tail = fp.read(tail_size)
    start = tail.rfind(b"OggS")
    while start >= 0:
        segments_at = start + 26
        if segments_at < len(tail):
            count = tail[segments_at]
            table = tail[segments_at + 1 : segments_at + 1 + count]
            if len(table) == count and start + 27 + count + sum(table) == len(tail):
                return True
        # "OggS" may occur inside a page's data: try an earlier one.
        start = tail.rfind(b"OggS", 0, start)
    return False
