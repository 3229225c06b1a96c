"""What a recording's tags say about it: ID3 (MP3, and WAV's `id3 ` chunk), Vorbis comments
(FLAC, Ogg Vorbis, Opus) and RIFF INFO (WAV), reduced to named, capped strings, plus the facts
screening reads: the artist, a data-mining wish, an AI generator named by the encoder, and
C2PA Content Credentials where c2pa-python reads them (WAV, MP3, FLAC; not Ogg).

Tags are hostile input: a reader that fails is recorded under `errors` and the rest go on;
nothing here raises."""

from __future__ import annotations

import io
import logging
import re
import struct

from mutagen.flac import FLAC
from mutagen.id3 import ID3
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from uploads.audio import validation
from uploads.audio.containers import id3v2_end
from uploads.metadata.c2pa import _read_with_library
from uploads.metadata.extract import MetadataSummary
from uploads.metadata.limits import MAX_ITEMS, MAX_STRING, clip

logger = logging.getLogger(__name__)

PLUS_VOCAB = "http://ns.useplus.org/ldf/vocab/"
# What a license or copyright line such as "No AI training" becomes: the PLUS code that
# screening reads (moderation.signals.rights), as XMP plus:DataMining would carry it.
NO_AI_TRAINING = PLUS_VOCAB + "DMI-PROHIBITED-AIMLTRAINING"

# ID3 text frames, by what they mean.
_ID3_TEXT = {
    "TIT2": "title",
    "TPE1": "artist",
    "TPE2": "album_artist",
    "TALB": "album",
    "TCOM": "composer",
    "TCOP": "copyright",
    "TSRC": "isrc",
    "TPUB": "publisher",
    "TOWN": "owner",
    "TDRC": "date",
    "TCON": "genre",
    "TSSE": "encoder",
    "TENC": "encoded_by",
}
# Vorbis comment names and TXXX descriptions, lower-cased without spaces, dashes or
# underscores ("ALBUM ARTIST", "DataMining", "ENCODED-BY").
_NAMED = {
    "title": "title",
    "artist": "artist",
    "albumartist": "album_artist",
    "album": "album",
    "composer": "composer",
    "copyright": "copyright",
    "isrc": "isrc",
    "license": "license",
    "licence": "license",
    "organization": "publisher",
    "label": "publisher",
    "publisher": "publisher",
    "date": "date",
    "genre": "genre",
    "encoder": "encoder",
    "software": "encoder",
    "encodedby": "encoded_by",
    "comment": "comment",
    "description": "comment",
    "datamining": "data_mining",
    "digitalsourcetype": "digital_source_type",
    "termsofuse": "terms_of_use",
}
# RIFF INFO chunk ids (ISRC there means "source", not the recording code: left out).
_RIFF_INFO = {
    b"INAM": "title",
    b"IART": "artist",
    b"IPRD": "album",
    b"ICOP": "copyright",
    b"ICRD": "date",
    b"IGNR": "genre",
    b"ISFT": "encoder",
    b"ICMT": "comment",
}
_SKIPPED = {"metadatablockpicture", "coverart", "coverartmime"}  # pictures, not words

# AI music and voice generators. Distinct names are looked for wherever a tool or a credit may
# be written; names that are also words (bark, jukebox) only in the encoder fields.
_DISTINCT_GENERATORS = re.compile(
    r"(?<![a-z0-9])(suno|udio|eleven\s?labs|musicgen|audiocraft|riffusion|stable[\s_-]?audio"
    r"|soundraw|mubert|soundful|beatoven|musiclm|audiogen|aiva\.ai|boomy\.com|loudly)"
    r"(?![a-z0-9])",
    re.IGNORECASE,
)
_TOOL_WORD_GENERATORS = re.compile(
    r"(?<![a-z0-9])(bark|boomy|aiva|jukebox|tortoise|xtts|coqui|vall-?e|murf|play\.?ht"
    r"|wellsaid|resemble)(?![a-z0-9])",
    re.IGNORECASE,
)
_TOOL_FIELDS = ("encoder", "encoded_by")
_CREDIT_FIELDS = ("comment", "copyright", "publisher", "artist", "album_artist", "license")
_TOOL_KEY = re.compile(r"generat|software|tool|made\s?with|created\s?with|encod", re.IGNORECASE)
_NO_TRAINING = re.compile(
    # "NoAI" is the do-not-train mark; a bare "no AI" ("no AI was used") is not a wish.
    r"\bnoai\b"
    r"|\bno\s+(?:ai|a\.i\.|machine[\s-]learning|ml|generative\s+ai)[\s/-]*training\b"
    r"|\bno\s+(?:text\s+and\s+)?data\s+mining\b"
    r"|\bnot\s+(?:to\s+be\s+)?(?:used\s+)?(?:for|in)\s+(?:training\s+)?(?:ai|a\.i\.|machine"
    r"[\s-]learning|generative|ml)\b"
    r"|\b(?:ai|machine[\s-]learning|ml)\s+training\s+(?:is\s+)?(?:prohibited|forbidden|not\s+"
    r"(?:allowed|permitted))"
    r"|\b(?:prohibit\w*|forbid\w*|disallow\w*)\b.{0,40}\b(?:ai|machine[\s-]learning|data\s+"
    r"mining|tdm)\b",
    re.IGNORECASE,
)
_PLUS_CODE = re.compile(r"DMI-[A-Z-]+", re.IGNORECASE)
_PROHIBITIVE = re.compile(r"prohibit|forbid|not\s+allowed|disallow|\bno\b|\bfalse\b", re.I)
_MANIFEST_HINTS = (b"jumb", b"c2pa", b"provenance")
_C2PA_CONTAINERS = {"WAV": "audio/wav", "MP3": "audio/mpeg", "FLAC": "audio/flac"}
_CONTAINERS = {
    validation.WAV: "WAV",
    validation.FLAC: "FLAC",
    validation.MP3: "MP3",
    validation.OGG_VORBIS: "OGG",
    validation.OGG_OPUS: "OPUS",
}


def _normal(name: str) -> str:
    return re.sub(r"[\s_-]+", "", str(name)).lower()


def _put(tags: dict, key: str, value) -> None:
    """Add a value under `key`; a second, different value is joined to the first."""
    text = clip(value if isinstance(value, str | bytes) else str(value))
    if not text:
        return
    if key not in tags:
        tags[key] = text
    elif text not in tags[key].split("; "):
        tags[key] = clip(f"{tags[key]}; {text}")


def _put_custom(tags: dict, name: str, value) -> None:
    custom = tags.setdefault("custom", {})
    name = clip(str(name), 100)
    if name and (name in custom or len(custom) < MAX_ITEMS):
        text = clip(str(value))
        custom[name] = clip(f"{custom[name]}; {text}") if name in custom else text


def _put_named(tags: dict, name: str, value) -> None:
    normal = _normal(name)
    if normal in _SKIPPED or not normal:
        return
    if normal in _NAMED:
        _put(tags, _NAMED[normal], value)
    else:
        _put_custom(tags, name, value)


def _id3_tags(frames) -> dict:
    tags: dict = {}
    if not frames:
        return tags
    for frame in list(frames.values())[: MAX_ITEMS * 4]:
        frame_id = frame.FrameID
        if frame_id in _ID3_TEXT:
            _put(tags, _ID3_TEXT[frame_id], "; ".join(str(t) for t in frame.text[:MAX_ITEMS]))
        elif frame_id == "TXXX":
            _put_named(tags, frame.desc, "; ".join(str(t) for t in frame.text[:MAX_ITEMS]))
        elif frame_id == "COMM" and not str(frame.desc).startswith("iTun"):  # iTunes' gain data
            _put(tags, "comment", "; ".join(str(t) for t in frame.text[:MAX_ITEMS]))
        elif frame_id == "WCOP":
            _put(tags, "license", frame.url)
        elif frame_id == "USER":
            _put(tags, "terms_of_use", frame.text)
    return tags


def _vorbis_tags(comments) -> dict:
    tags: dict = {}
    for name, value in list(comments or [])[: MAX_ITEMS * 4]:
        _put_named(tags, name, value)
    return tags


def _riff_info(data: bytes) -> dict:
    """RIFF LIST/INFO strings of a WAV (mutagen reads only its ID3 chunk)."""
    tags: dict = {}
    pos, end = 12, len(data)
    for _ in range(1000):
        if pos + 8 > end:
            break
        chunk_id, length = struct.unpack_from("<4sI", data, pos)
        body = pos + 8
        if chunk_id == b"LIST" and data[body : body + 4] == b"INFO":
            inner, stop = body + 4, min(body + length, end)
            while inner + 8 <= stop:
                sub_id, sub_length = struct.unpack_from("<4sI", data, inner)
                if sub_id in _RIFF_INFO:
                    raw = data[inner + 8 : inner + 8 + min(sub_length, MAX_STRING * 4)]
                    _put(tags, _RIFF_INFO[sub_id], raw.split(b"\x00", 1)[0])
                inner += 8 + sub_length + (sub_length & 1)
        pos = body + length + (length & 1)
    return tags


def _merge(into: dict, tags: dict) -> None:
    for key, value in tags.items():
        if key == "custom":
            for name, text in value.items():
                _put_custom(into, name, text)
        else:
            _put(into, key, value)


def _safely(name: str, errors: dict, reader, *args):
    try:
        return reader(*args)
    except Exception as exc:  # a hostile file may break any reader; record it and go on
        logger.info("audio tag reader %s failed: %s", name, exc)
        errors[name] = f"{type(exc).__name__}: {str(exc)[:200]}"
        return None


def _container(data: bytes, media_type: str) -> str:
    fmt = validation.sniff_audio(data[:4096])
    if fmt is validation.MP3 and data.startswith(b"ID3"):
        end = id3v2_end(data[: 16 * 2**20])  # a FLAC may hide behind a large front tag
        fmt = validation.sniff_audio(data[end : end + 4096]) or fmt
    if fmt is not None:
        return _CONTAINERS[fmt]
    fallback = {"audio/wav": "WAV", "audio/flac": "FLAC", "audio/mpeg": "MP3", "audio/ogg": "OGG"}
    return fallback.get(media_type, "")


def _read_tags(data: bytes, container: str, errors: dict) -> dict:
    tags: dict = {}
    source = io.BytesIO
    if data.startswith(b"ID3") or container == "MP3":
        # ID3 read on its own: it does not need the audio frames to be sound, as MP3() does.
        frames = _safely("id3", errors, lambda: ID3(source(data)) if _has_id3(data) else None)
        _merge(tags, _id3_tags(frames))
    if container == "WAV":
        wave = _safely("id3", errors, lambda: WAVE(source(data)).tags)
        _merge(tags, _id3_tags(wave))
        _merge(tags, _safely("riff_info", errors, _riff_info, data) or {})
    elif container == "FLAC":
        _merge(tags, _vorbis_tags(_safely("vorbis", errors, lambda: FLAC(source(data)).tags)))
    elif container == "OGG":
        _merge(tags, _vorbis_tags(_safely("vorbis", errors, lambda: OggVorbis(source(data)).tags)))
    elif container == "OPUS":
        _merge(tags, _vorbis_tags(_safely("vorbis", errors, lambda: OggOpus(source(data)).tags)))
    return tags


def _has_id3(data: bytes) -> bool:
    return data.startswith(b"ID3") or data[-128:-125] == b"TAG"


def _generator_hints(tags: dict, c2pa: dict | None) -> list[str]:
    hints: list[str] = []
    fields = [(key, tags.get(key)) for key in (*_TOOL_FIELDS, *_CREDIT_FIELDS)]
    fields += list((tags.get("custom") or {}).items())
    fields.append(("c2pa", (c2pa or {}).get("claim_generator")))  # the tool that signed it
    for key, value in fields:
        if not value:
            continue
        text = str(value)
        tool = key in (*_TOOL_FIELDS, "c2pa") or bool(_TOOL_KEY.search(str(key)))
        found = _DISTINCT_GENERATORS.search(text) or (tool and _TOOL_WORD_GENERATORS.search(text))
        if found and len(hints) < MAX_ITEMS:
            hints.append(clip(f"AI generator named in {key}: {text[:100]}", 200))
    return hints


def _data_mining(tags: dict) -> str:
    stated = str(tags.get("data_mining") or "")
    if stated:
        code = _PLUS_CODE.search(stated)
        if code:
            return PLUS_VOCAB + code.group(0).upper()
        if _PROHIBITIVE.search(stated):
            return PLUS_VOCAB + "DMI-PROHIBITED"
        return stated[:200]
    for key in ("license", "terms_of_use", "copyright", "comment"):
        if _NO_TRAINING.search(str(tags.get(key) or "")):
            return NO_AI_TRAINING
    for value in (tags.get("custom") or {}).values():
        if _NO_TRAINING.search(str(value)):
            return NO_AI_TRAINING
    return ""


def _read_c2pa(data: bytes, container: str) -> dict | None:
    media_type = _C2PA_CONTAINERS.get(container)
    if media_type is None or not any(hint in data for hint in _MANIFEST_HINTS):
        return None  # the common case, without waking the native library
    # The image reader's library call: its private Context never fetches remote manifests.
    return _read_with_library(data, media_type)


def read_audio_metadata(data: bytes, media_type: str) -> MetadataSummary:
    """The tags and C2PA Content Credentials of a recording; never raises."""
    errors: dict[str, str] = {}
    try:
        container = _container(data, media_type)
        tags = _read_tags(data, container, errors)
        c2pa = _safely("c2pa", errors, _read_c2pa, data, container)
        c2pa_types = (c2pa or {}).get("digital_source_types") or []
        return MetadataSummary(
            data={
                "tags": tags,
                "c2pa": c2pa,
                "generator_hints": _generator_hints(tags, c2pa),
                "errors": errors,
            },
            creator=str(tags.get("artist") or tags.get("album_artist") or "")[:500],
            digital_source_type=str(
                tags.get("digital_source_type") or (c2pa_types[0] if c2pa_types else "")
            )[:200],
            data_mining=_data_mining(tags)[:200],
            has_c2pa=bool(c2pa),
        )
    except Exception as exc:  # the last line: hostile tags must not fail processing
        logger.info("audio metadata failed: %s", exc, exc_info=True)
        errors["tags"] = f"{type(exc).__name__}: {str(exc)[:200]}"
        return MetadataSummary(data={"tags": {}, "generator_hints": [], "errors": errors})
