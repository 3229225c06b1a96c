"""The text of a text work, read the same way at intake, in processing and at delivery: plain
text and Markdown decoded (UTF-8, a BOM's encoding, or a legacy encoding guessed from the
bytes), an EPUB's chapters in spine order with its Dublin Core metadata (uploads/text/epub.py)."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

import charset_normalizer

from uploads import errors
from uploads.errors import UploadRefused
from uploads.text.epub import read_epub

PLAIN_MEDIA_TYPE = "text/plain"
MARKDOWN_MEDIA_TYPE = "text/markdown"
EPUB_MEDIA_TYPE = "application/epub+zip"

# charset_normalizer's "chaos" (0: reads like a language, 1: noise) above which a legacy
# encoding guess is not trusted; its own cut-off is 0.2.
MAX_CHAOS = 0.15
# A guess this close to the best one is taken as Windows-1252 when that encoding fits too:
# short Western European texts are often scored a little better as Baltic or Central European,
# which turns "où êtes" into "oł źtes"; Windows-1252 is by far the commonest legacy encoding.
WESTERN_PREFERENCE = 0.1
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# YAML front matter: `---` on the first line, `key: value` lines, then `---` (or `...`).
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.{0,8000}?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_YAML_KEY = re.compile(r"^[A-Za-z_][\w .-]{0,60}:(?:\s|$)")
# Markdown link and image targets `](https://…)` and HTML tags hold no words of the work.
# No repeat runs over a character that opens another match, so a hostile run of "](" or "<"
# stays linear.
_MARKUP = re.compile(r"\]\([^()\[\]\s]{0,500}(?:[ \t]+\"[^\"\n]{0,200}\")?\)|<[^<>\n]{1,200}>")


@dataclass(frozen=True)
class ExtractedText:
    text: str
    metadata: dict = field(default_factory=dict)  # an EPUB's Dublin Core fields, else empty
    encoding: str = ""  # of plain text and Markdown; "" for EPUB (each chapter says its own)


def media_type_of(fmt_or_media_type) -> str:
    """A TextFormat (anything with `media_type`) or a media type string, as the string."""
    return str(getattr(fmt_or_media_type, "media_type", fmt_or_media_type) or "")


def extract_text(data: bytes, fmt_or_media_type) -> ExtractedText:
    """The work's text. Refuses (UploadRefused) what cannot be read; deterministic, so the text
    delivered to buyers later is the text that was checked and fingerprinted at intake."""
    if media_type_of(fmt_or_media_type) == EPUB_MEDIA_TYPE:
        text, metadata = read_epub(data)
        return ExtractedText(text=text, metadata=metadata)
    text, encoding = decode_text(data)
    return ExtractedText(text=text, metadata={}, encoding=encoding)


def plain_words(text: str) -> int:
    """How many words the text holds: runs of letters and digits (an apostrophe inside a word
    keeps it whole), so Markdown's `#`, `*`, `>` and `-`, link targets and tags count for none."""
    return sum(1 for _ in _WORD.finditer(_MARKUP.sub(" ", text)))


def split_front_matter(text: str) -> tuple[str, str]:
    """(front matter block, the rest) of a Markdown text; ("", text) when it has none."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return "", text
    block = match.group(1) or ""
    # A story may open with a `---` rule too: the block is front matter only when it reads as
    # YAML (keys, list items, indented continuations), its first line a key.
    lines = [line for line in block.split("\n") if line.strip()]
    if lines and not _YAML_KEY.match(lines[0]):
        return "", text
    if not all(_YAML_KEY.match(line) or line[:1] in " \t-#" for line in lines):
        return "", text
    return block, text[match.end() :]


# --- Decoding ---------------------------------------------------------------------------------


def bom_encoding(data: bytes) -> tuple[str, int]:
    """(encoding, BOM length) when the bytes start with a Unicode byte order mark."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, len(bom)
    return "", 0


def guess_legacy_encoding(data: bytes) -> str:
    """charset_normalizer's best guess for bytes that are not UTF-8, or "" when it is unsure."""
    matches = list(charset_normalizer.from_bytes(data))
    if not matches or matches[0].chaos > MAX_CHAOS:
        return ""
    best = matches[0]
    for match in matches:
        fits_western = "cp1252" in (match.encoding, *match.could_be_from_charset)
        if fits_western and match.chaos <= best.chaos + WESTERN_PREFERENCE:
            return "cp1252"
    return best.encoding


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding) with line ends made `\\n`: a BOM decides, then UTF-8, then a confident
    guess at a legacy encoding; anything else is refused as unreadable."""
    encoding, skip = bom_encoding(data)
    if not encoding:
        if b"\x00" in data:
            raise UploadRefused(errors.UNSUPPORTED_TYPE, "This file holds binary data, not text.")
        encoding = "utf-8" if _is_utf8(data) else guess_legacy_encoding(data)
    if not encoding:
        raise UploadRefused(
            errors.UNREADABLE_TEXT,
            "The text's encoding could not be recognised; save it as UTF-8 and upload it again.",
        )
    try:
        text = data[skip:].decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise UploadRefused(
            errors.UNREADABLE_TEXT, "The text is damaged: its bytes do not match its encoding."
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
