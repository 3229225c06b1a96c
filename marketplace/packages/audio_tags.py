"""The license inside every delivered recording: the same references the XMP packet gives an
image (license id and page, the RSL offer, the ODRL policy, the terms in words, the copyright
line), written into the file's own tags with mutagen. Only the tag blocks are rewritten; the
audio frames are carried over byte for byte, never decoded or re-encoded.

- MP3: an ID3v2.4 tag at the front (TXXX frames under our names, WCOP for the license page,
  USER for the terms of use, TCOP for the copyright line).
- FLAC, Ogg Vorbis and Ogg Opus: Vorbis comments (LICENSE and COPYRIGHT are the standard
  fields; the rest under the same names as the MP3's TXXX frames). Ogg pages after the comment
  header are renumbered by mutagen (new sequence numbers and checksums); the packets in them,
  which are the audio, are unchanged.
- WAV: an `id3 ` chunk in the RIFF file (mutagen.wave), with the MP3's frames: the common way
  players read tags from WAV; RIFF INFO has no field for a license URL or terms.

Other tags the creator set (title, artist, cover art) are kept; ours replace any earlier
license, copyright or terms of use they carried."""

from __future__ import annotations

import io

from mutagen.flac import FLAC
from mutagen.id3 import ID3, TCOP, TXXX, USER, WCOP, ID3NoHeaderError
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

MP3, FLAC_TYPE, OGG, WAV = "audio/mpeg", "audio/flac", "audio/ogg", "audio/wav"

# Tag name: key of the license dict. The names are ours (no standard has them), upper case as
# Vorbis comments and ID3 TXXX descriptions usually are.
NAMED_FIELDS = {
    "LICENSE": "license_url",
    "ASSENT_LICENSE_ID": "license_id",
    "RSL_LICENSE": "rsl_url",
    "ODRL_POLICY": "odrl_url",
    "AI_TRAINING_TERMS": "terms",
    "DATA_MINING": "data_mining",
}
# Vorbis comments only: the standard COPYRIGHT field (ID3 has TCOP for it).
VORBIS_ONLY = {"COPYRIGHT": "copyright"}
LICENSE_KEYS = (*NAMED_FIELDS.values(), "copyright")


def license_tagged(data: bytes, media_type: str, license: dict) -> bytes:
    """`data` with the license in its tags. `license` holds LICENSE_KEYS: license_id,
    license_url (the license page), rsl_url, odrl_url, terms (the terms in words),
    data_mining (the PLUS data-mining value) and copyright (the copyright line)."""
    missing = [key for key in LICENSE_KEYS if not license.get(key)]
    if missing:
        raise ValueError(f"license is missing {', '.join(missing)}")
    buffer = io.BytesIO(bytes(data))
    if media_type == MP3:
        _tag_mp3(buffer, license)
    elif media_type == WAV:
        _tag_wav(buffer, license)
    elif media_type == FLAC_TYPE:
        _tag_vorbis(FLAC(buffer), buffer, license)
    elif media_type == OGG:
        ogg = OggOpus if _is_opus(buffer.getbuffer()) else OggVorbis
        _tag_vorbis(ogg(buffer), buffer, license)
    else:
        raise ValueError(f"no audio tags for {media_type}")
    return buffer.getvalue()


def _is_opus(data) -> bool:
    """An Ogg stream whose first page carries an Opus identification header (the page header
    is 27 bytes plus one segment-table byte for that single packet)."""
    return bytes(data[28:36]) == b"OpusHead"


def _id3_frames(tags: ID3, license: dict) -> None:
    """Our frames into `tags`, replacing earlier ones of the same kind."""
    for desc in NAMED_FIELDS:
        tags.delall(f"TXXX:{desc}")
    for frame in ("WCOP", "USER", "TCOP"):
        tags.delall(frame)
    for desc, key in NAMED_FIELDS.items():
        tags.add(TXXX(encoding=3, desc=desc, text=[license[key]]))
    tags.add(WCOP(url=license["license_url"]))
    tags.add(USER(encoding=3, lang="eng", text=license["terms"]))
    tags.add(TCOP(encoding=3, text=[license["copyright"]]))


def _tag_mp3(buffer: io.BytesIO, license: dict) -> None:
    try:
        tags = ID3(buffer)
    except ID3NoHeaderError:
        tags = ID3()
    _id3_frames(tags, license)
    buffer.seek(0)
    tags.save(buffer, v2_version=4)


def _tag_wav(buffer: io.BytesIO, license: dict) -> None:
    wave = WAVE(buffer)
    if wave.tags is None:
        wave.add_tags()
    _id3_frames(wave.tags, license)
    buffer.seek(0)
    wave.save(buffer, v2_version=4)


def _tag_vorbis(audio, buffer: io.BytesIO, license: dict) -> None:
    if audio.tags is None:
        audio.add_tags()
    fields = {**NAMED_FIELDS, **VORBIS_ONLY}
    for name, key in fields.items():
        audio.tags[name] = [license[key]]  # replaces every earlier value (names ignore case)
    buffer.seek(0)
    audio.save(buffer)
