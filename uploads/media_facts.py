"""A work's facts in words, for every page that shows one: the names of its file type and its
language, its sample rate and channels, the icon of its medium. Pure functions;
uploads/templatetags/media_facts.py offers them to templates."""

from __future__ import annotations

import functools

from django.conf.locale import LANG_INFO

from uploads.models import WorkKind
from uploads.validation import JPEG, PNG, WEBP

# Every file type a work can be, by medium, with the name a person knows it by. Ogg Vorbis and
# Opus are both audio/ogg (uploads.audio.validation).
MEDIA_TYPE_NAMES_BY_KIND = {
    WorkKind.IMAGE: {JPEG.media_type: "JPEG", PNG.media_type: "PNG", WEBP.media_type: "WebP"},
    WorkKind.AUDIO: {
        "audio/wav": "WAV",
        "audio/flac": "FLAC",
        "audio/mpeg": "MP3",
        "audio/ogg": "Ogg",
    },
    WorkKind.TEXT: {
        "text/plain": "Plain text",
        "text/markdown": "Markdown",
        "application/epub+zip": "EPUB",
    },
}
MEDIA_TYPE_NAMES = {
    media_type: name
    for names in MEDIA_TYPE_NAMES_BY_KIND.values()
    for media_type, name in names.items()
}

# Codes language detection gives that Django's own table files under a longer name.
_MORE_LANGUAGES = {"zh": "Chinese", "jv": "Javanese", "la": "Latin", "tl": "Tagalog"}
KIND_ICONS = {"image": "bi-image", "audio": "bi-music-note-beamed", "text": "bi-file-text"}


def media_type_name(media_type: str | None) -> str:
    """The name people know a file type by ("FLAC"); a type we do not name, as it is."""
    return MEDIA_TYPE_NAMES.get(media_type or "", media_type or "")


def language_name(code: str | None) -> str:
    """The language's name ("English" for "en"); an unknown code as it is."""
    code = (code or "").strip().lower()
    if not code:
        return ""
    info = LANG_INFO.get(code)
    if info and "name" in info:
        return info["name"]
    return _MORE_LANGUAGES.get(code, code)


def sample_rate_text(hertz: int | None) -> str:
    """In kilohertz: "44.1 kHz", "48 kHz"."""
    if not hertz:
        return ""
    return f"{hertz / 1000:g} kHz"


def channels_text(channels: int | None) -> str:
    if not channels:
        return ""
    return {1: "Mono", 2: "Stereo"}.get(channels, f"{channels} channels")


def kind_icon(kind: str | None) -> str:
    return KIND_ICONS.get(kind or "image", "bi-file-earmark")


@functools.cache
def common_languages() -> tuple[tuple[str, str], ...]:
    """(code, name) for the two-letter languages we can name, by name: the catalog's language
    box suggests them. The names are English whatever the request, so once per process."""
    codes = {code for code in LANG_INFO if len(code) == 2 and "name" in LANG_INFO[code]}
    codes |= set(_MORE_LANGUAGES)
    return tuple(sorted(((code, language_name(code)) for code in codes), key=lambda pair: pair[1]))
