"""Audio intake pieces: what is accepted and refused from the bytes (caps from the header,
then a decode that proves the file whole), the marked preview, the waveform picture, and what
the tags say (artist, rights, ISRC, AI generators, data-mining wishes, C2PA)."""

from __future__ import annotations

import functools
import io
import struct

import numpy as np
import pytest
import soundfile
from mutagen.flac import FLAC as FlacTags
from mutagen.id3 import COMM, ID3, TCOP, TIT2, TPE1, TSRC, TSSE, TXXX, WCOP
from mutagen.oggvorbis import OggVorbis
from PIL import Image

from uploads import errors
from uploads.audio.containers import mpeg_frame
from uploads.audio.metadata import NO_AI_TRAINING, read_audio_metadata
from uploads.audio.renditions import (
    PREVIEW_MEDIA_TYPE,
    WATERMARK_NOTES,
    audio_preview,
    waveform_image,
)
from uploads.audio.validation import (
    FLAC,
    MP3,
    OGG_OPUS,
    OGG_VORBIS,
    WAV,
    decode_mono,
    sniff_audio,
    validate_audio,
)
from uploads.errors import UploadRefused
from uploads.metadata.display import metadata_sections

from .c2pa_signing import sign_image
from .images import jpeg_bytes, photo
from .sounds import encode, song, voice


@functools.cache
def clip(fmt: str, seconds: float = 5.0, seed: int = 0) -> bytes:
    rate = 48000 if fmt == "opus" else 44100
    return encode(song(seconds, seed=seed, sample_rate=rate), rate, fmt)


def validate(data: bytes):
    fmt = sniff_audio(data[:4096])
    assert fmt is not None, "not sniffed as audio"
    return validate_audio(io.BytesIO(data), len(data), fmt)


def refusal(data: bytes) -> UploadRefused:
    with pytest.raises(UploadRefused) as caught:
        validate(data)
    return caught.value


@pytest.mark.parametrize(
    ("fmt", "expected", "rate"),
    [
        ("wav", WAV, 44100),
        ("flac", FLAC, 44100),
        ("mp3", MP3, 44100),
        ("ogg", OGG_VORBIS, 44100),
        ("opus", OGG_OPUS, 48000),
    ],
)
def test_each_format_is_accepted_with_its_length_rate_and_channels(fmt, expected, rate):
    validated = validate(clip(fmt))
    assert validated.format is expected
    assert validated.sample_rate == rate
    assert validated.channels == 2
    assert abs(validated.duration_ms - 5000) <= 30  # lossy codecs trim or pad a few ms


def test_a_mono_voice_clip_is_accepted():
    validated = validate(encode(voice(3.0), 16000, "flac"))
    assert (validated.channels, validated.sample_rate, validated.duration_ms) == (1, 16000, 3000)


def test_media_types_and_extensions():
    assert [f.media_type for f in (WAV, FLAC, MP3, OGG_VORBIS, OGG_OPUS)] == [
        "audio/wav",
        "audio/flac",
        "audio/mpeg",
        "audio/ogg",
        "audio/ogg",
    ]
    assert OGG_OPUS.extension == "opus" and OGG_VORBIS.extension == "ogg"


def test_a_jpeg_or_random_bytes_are_not_sniffed_as_audio():
    assert sniff_audio(jpeg_bytes(photo(64, 64))[:4096]) is None
    rng = np.random.default_rng(3)
    assert sniff_audio(rng.bytes(4096)) is None
    # A frame sync with a plausible header, but no second frame where the first one ends.
    assert sniff_audio(b"\xff\xfb\x90\x64" + rng.bytes(4092)) is None


def test_a_flac_behind_a_large_id3_tag_is_read_as_flac():
    tag = b"ID3\x04\x00\x00" + bytes([0, 0, 0x40, 0]) + bytes(8192)  # 8 kB: past the head
    validated = validate(tag + clip("flac"))
    assert validated.format is FLAC
    assert validated.duration_ms == 5000


@pytest.mark.parametrize("fmt", ["wav", "flac", "mp3", "ogg"])
def test_a_file_cut_in_half_is_refused(fmt):
    data = clip(fmt)
    refused = refusal(data[: len(data) // 2])
    assert refused.code == errors.CORRUPT_AUDIO


@pytest.mark.parametrize("head", [b"fLaC", b"OggS"])
def test_random_bytes_after_a_signature_are_refused(head):
    refused = refusal(head + np.random.default_rng(5).bytes(60_000))
    assert refused.code == errors.CORRUPT_AUDIO


def test_a_wav_header_claiming_more_sound_than_the_file_holds_is_refused():
    wav = bytearray(clip("wav"))
    data_at = wav.find(b"data")
    wav[data_at + 4 : data_at + 8] = struct.pack("<I", 0x7FFF_FFF0)
    refused = refusal(bytes(wav))
    assert refused.code == errors.CORRUPT_AUDIO
    assert "incomplete" in refused.message


def test_a_variable_bitrate_mp3_without_its_length_header_is_refused():
    mp3 = clip("mp3")
    first = mpeg_frame(mp3, 0)  # libsndfile's encoder puts the Xing header in frame one
    refused = refusal(mp3[first.length :])
    assert refused.code == errors.CORRUPT_AUDIO
    assert "length header" in refused.message


def test_a_recording_over_the_limit_is_refused_with_both_lengths(settings):
    settings.AUDIO_MAX_SECONDS = 4
    for fmt in ("flac", "mp3"):
        refused = refusal(clip(fmt, seconds=6.0))
        assert refused.code == errors.TOO_LONG
        assert refused.status == 413
        assert refused.message == "The recording is 0:06 long; the limit is 0:04."


def test_a_long_stream_of_tiny_mp3_frames_is_refused_without_walking_it_all(settings):
    settings.AUDIO_MAX_SECONDS = 2  # the frame walk stops at 2 x 2 + 60 = 64 s
    refused = refusal(encode(voice(70.0, sample_rate=8000), 8000, "mp3"))
    assert refused.code == errors.TOO_LONG
    assert refused.message == "The recording is longer than 0:02, the limit."


def test_a_flac_that_hides_its_length_is_stopped_at_the_limit(settings):
    settings.AUDIO_MAX_SECONDS = 4
    flac = bytearray(clip("flac", seconds=6.0))
    flac[21] &= 0xF0  # STREAMINFO's total samples (36 bits) set to 0: "unknown"
    flac[22:26] = bytes(4)
    refused = refusal(bytes(flac))
    assert refused.code == errors.TOO_LONG
    assert "longer than 0:04" in refused.message


def test_a_recording_under_a_second_is_refused():
    refused = refusal(clip("flac", seconds=0.5))
    assert refused.code == errors.TOO_SHORT
    assert refused.message == (
        "The recording lasts 0.5 seconds; it must be at least 1 second long."
    )


def test_surround_is_refused_before_any_decode():
    six = np.full((44100 * 2, 6), 0.1, dtype=np.float32)
    refused = refusal(encode(six, 44100, "wav"))
    assert refused.code == errors.TOO_MANY_CHANNELS
    assert "6 channels" in refused.message


def test_a_sample_rate_outside_the_range_is_refused():
    low = encode(voice(2.0, sample_rate=4000), 4000, "wav")
    refused = refusal(low)
    assert refused.code == errors.UNSUPPORTED_SAMPLE_RATE
    assert "4,000 Hz" in refused.message


def test_decode_mono_is_float32_mono_and_bounded():
    samples, rate = decode_mono(clip("flac"))
    assert (samples.dtype, samples.ndim, rate, len(samples)) == (np.float32, 1, 44100, 5 * 44100)
    # The mean of both channels (the right one is the left delayed by 200 samples).
    original = song(5.0)
    assert np.allclose(samples, original.mean(axis=1), atol=1e-3)
    short, _ = decode_mono(clip("mp3"), max_seconds=2.0)
    assert len(short) == 2 * 44100


def _band_share(signal: np.ndarray, rate: int, low: float, high: float) -> float:
    power = np.abs(np.fft.rfft(signal * np.hanning(len(signal)))) ** 2
    freqs = np.fft.rfftfreq(len(signal), 1 / rate)
    return float(power[(freqs >= low) & (freqs <= high)].sum() / power.sum())


def test_the_preview_is_a_short_marked_mono_ogg_without_tags():
    original = song(60.0, seed=4)
    preview = audio_preview(original.mean(axis=1), 44100)

    info = soundfile.info(io.BytesIO(preview))
    assert (info.format, info.subtype, info.channels) == ("OGG", "VORBIS", 1)
    assert PREVIEW_MEDIA_TYPE == "audio/ogg"
    assert 29.0 <= info.duration <= 31.0
    assert info.samplerate == 22050
    assert not OggVorbis(io.BytesIO(preview)).tags  # not even libsndfile's ENCODER

    # Taken from 30% in (18 s of 60); the first chime sounds 3 s into the preview. Its first
    # note is alone for 0.18 s: there the band around it carries a share of the sound that the
    # music never has (its notes and kick land there too at times, so only a share).
    heard, rate = soundfile.read(io.BytesIO(preview), dtype="float32")
    window = heard[int(3.02 * rate) : int(3.17 * rate)]
    source = original.mean(axis=1)[int(21.02 * 44100) : int(21.17 * 44100)]
    note = WATERMARK_NOTES[0]
    marked = _band_share(window, rate, note - 40, note + 40)
    clean = _band_share(source, 44100, note - 40, note + 40)
    assert marked > 0.05 and marked > 10 * clean


def test_a_short_clip_is_previewed_whole_and_still_marked():
    preview = audio_preview(voice(8.0), 16000)
    info = soundfile.info(io.BytesIO(preview))
    assert info.samplerate == 16000 and abs(info.duration - 8.0) < 0.05
    heard, rate = soundfile.read(io.BytesIO(preview), dtype="float32")
    # The first chime comes at a third of a short clip.
    window = heard[int(2.69 * rate) : int(2.84 * rate)]
    note = WATERMARK_NOTES[0]
    assert _band_share(window, rate, note - 40, note + 40) > 0.3


def test_the_waveform_is_a_jpeg_of_the_thumbnail_size(settings):
    samples, rate = decode_mono(clip("flac"))
    image = Image.open(io.BytesIO(waveform_image(samples, rate)))
    assert image.format == "JPEG"
    assert image.size == (settings.RENDITION_THUMBNAIL_PX, settings.RENDITION_THUMBNAIL_PX * 2 // 5)
    assert not image.getexif()
    width, height = image.size
    red, green, blue = image.convert("RGB").getpixel((width // 2, height // 2))
    assert green > red + 40 and green > blue  # the brand green through the middle
    assert image.convert("RGB").getpixel((width // 2, 1)) > (230, 230, 230)  # page colour


def _mp3_with(*frames) -> bytes:
    out = io.BytesIO(clip("mp3", seconds=2.0))
    tags = ID3()
    for frame in frames:
        tags.add(frame)
    tags.save(out)
    return out.getvalue()


def _flac_with(**comments) -> bytes:
    out = io.BytesIO(clip("flac", seconds=2.0))
    tags = FlacTags(out)
    for name, value in comments.items():
        tags[name] = value
    out.seek(0)
    tags.save(out)
    return out.getvalue()


def test_id3_artist_copyright_and_isrc_are_read_from_an_mp3():
    mp3 = _mp3_with(
        TIT2(encoding=3, text=["Bark at the Moon"]),  # a title is never read as a generator
        TPE1(encoding=3, text=["Ada Okafor"]),
        TCOP(encoding=3, text=["2026 Ada Okafor"]),
        TSRC(encoding=3, text=["GBAYE2600001"]),
        WCOP(url="https://example.org/terms"),
        COMM(encoding=3, lang="eng", desc="", text=["Recorded live"]),
        TXXX(encoding=3, desc="Mood", text=["calm"]),
    )
    validated = validate(mp3)  # the tags do not disturb validation
    assert validated.format is MP3
    summary = read_audio_metadata(mp3, "audio/mpeg")
    tags = summary.data["tags"]
    assert tags["artist"] == "Ada Okafor"
    assert tags["copyright"] == "2026 Ada Okafor"
    assert tags["isrc"] == "GBAYE2600001"
    assert tags["license"] == "https://example.org/terms"
    assert tags["comment"] == "Recorded live"
    assert tags["custom"] == {"Mood": "calm"}
    assert summary.creator == "Ada Okafor"
    assert summary.data["generator_hints"] == []
    assert summary.data_mining == "" and summary.has_c2pa is False


def test_vorbis_comments_are_read_from_a_flac_and_a_no_ai_license_is_a_data_mining_wish():
    flac = _flac_with(
        ARTIST="Bo Lindqvist",
        COPYRIGHT="(c) 2026 Bo Lindqvist",
        ISRC="SEXYZ2600002",
        LICENSE="All rights reserved. Not to be used for AI training.",
    )
    summary = read_audio_metadata(flac, "audio/flac")
    tags = summary.data["tags"]
    assert (tags["artist"], tags["copyright"], tags["isrc"]) == (
        "Bo Lindqvist",
        "(c) 2026 Bo Lindqvist",
        "SEXYZ2600002",
    )
    assert summary.creator == "Bo Lindqvist"
    assert summary.data_mining == NO_AI_TRAINING
    # Saying how it was made is not a wish about training.
    made_by_hand = _flac_with(COMMENT="No AI was used: all played by hand")
    assert read_audio_metadata(made_by_hand, "audio/flac").data_mining == ""


def test_a_generator_named_in_the_encoder_is_a_hint():
    mp3 = _mp3_with(TSSE(encoding=3, text=["Suno v4.5"]))
    assert read_audio_metadata(mp3, "audio/mpeg").data["generator_hints"] == [
        "AI generator named in encoder: Suno v4.5"
    ]
    flac = _flac_with(ENCODER="bark 1.0", COMMENT="a dog's bark at dawn")
    hints = read_audio_metadata(flac, "audio/flac").data["generator_hints"]
    assert hints == ["AI generator named in encoder: bark 1.0"]  # the comment's "bark" is not


def test_a_data_mining_tag_is_read_as_its_plus_code():
    mp3 = _mp3_with(TXXX(encoding=3, desc="DataMining", text=["DMI-PROHIBITED-AIMLTRAINING"]))
    summary = read_audio_metadata(mp3, "audio/mpeg")
    assert summary.data_mining == "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING"


def test_riff_info_of_a_wav_is_read():
    out = io.BytesIO()
    with soundfile.SoundFile(out, "w", 44100, 2, format="WAV") as sound:
        sound.artist, sound.copyright, sound.title = "Cleo", "2026 Cleo", "Tide"
        sound.write(song(2.0))
    tags = read_audio_metadata(out.getvalue(), "audio/wav").data["tags"]
    assert (tags["artist"], tags["copyright"], tags["title"]) == ("Cleo", "2026 Cleo", "Tide")


def test_garbage_tags_never_fail_and_long_strings_are_capped():
    rng = np.random.default_rng(9)
    id3_garbage = b"ID3\x04\x00\x00\x00\x00\x10\x00" + rng.bytes(4000)
    flac_garbage = b"fLaC" + rng.bytes(4000)
    cut_flac = _flac_with(ARTIST="x" * 5000)[:200]
    for data, media_type in [
        (id3_garbage, "audio/mpeg"),
        (flac_garbage, "audio/flac"),
        (cut_flac, "audio/flac"),
        (b"", "audio/ogg"),
        (b"OggS" + rng.bytes(100), "audio/ogg"),
    ]:
        summary = read_audio_metadata(data, media_type)
        assert summary.has_c2pa is False
        assert isinstance(summary.data["errors"], dict)
    long = read_audio_metadata(_flac_with(ARTIST="x" * 5000), "audio/flac")
    assert len(long.data["tags"]["artist"]) == 500 and len(long.creator) == 500


def test_content_credentials_in_an_mp3_are_read():
    signed = sign_image(
        clip("mp3", seconds=2.0),
        "audio/mpeg",
        training_mining={"cawg.ai_training": "notAllowed"},
        claim_generator="Suno/4",
    )
    assert validate(signed).format is MP3
    summary = read_audio_metadata(signed, "audio/mpeg")
    assert summary.has_c2pa is True
    assert summary.data["c2pa"]["training_mining"] == {"cawg.ai_training": "notAllowed"}
    assert summary.data["generator_hints"] == ["AI generator named in c2pa: Suno/4"]


def test_audio_tags_are_shown_as_their_own_section():
    mp3 = _mp3_with(TPE1(encoding=3, text=["Ada Okafor"]), TSRC(encoding=3, text=["GB1"]))
    sections = metadata_sections(read_audio_metadata(mp3, "audio/mpeg").data)
    audio = next(s for s in sections if s.key == "tags")
    assert audio.title == "Audio tags"
    assert [(f.label, f.text) for f in audio.fields] == [("Artist", "Ada Okafor"), ("ISRC", "GB1")]
