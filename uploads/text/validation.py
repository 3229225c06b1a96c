"""Is this upload a text we accept? An EPUB is told by its bytes (a ZIP whose first entry is the
`mimetype` file saying application/epub+zip); plain text has no signature, so it is text when
its first bytes decode as text. Whether text is Markdown or plain only the file name can tell,
and it decides nothing that matters for safety: both are stored and checked the same way.

The checks read the whole file, as the text itself is what is checked: it must decode, hold
no more than a trace of control characters, and have a sensible number of words."""

from __future__ import annotations

import codecs
import re
import struct
import zlib
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings

from uploads import errors
from uploads.errors import UploadRefused
from uploads.text.extract import (
    EPUB_MEDIA_TYPE,
    MARKDOWN_MEDIA_TYPE,
    PLAIN_MEDIA_TYPE,
    bom_encoding,
    extract_text,
    guess_legacy_encoding,
    plain_words,
)
from uploads.validation import check_size


@dataclass(frozen=True)
class TextFormat:
    name: str
    media_type: str
    extension: str


PLAIN = TextFormat("plain", PLAIN_MEDIA_TYPE, "txt")
MARKDOWN = TextFormat("markdown", MARKDOWN_MEDIA_TYPE, "md")
EPUB = TextFormat("epub", EPUB_MEDIA_TYPE, "epub")
FORMATS = {fmt.media_type: fmt for fmt in (PLAIN, MARKDOWN, EPUB)}
MARKDOWN_EXTENSIONS = ("md", "markdown")

# C0 controls other than tab, line feed, form feed and carriage return, DEL, and C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
# A text may carry a trace of them (a stray escape or page mark from an old word processor);
# more than this share of its characters means it is not prose.
MAX_CONTROL_SHARE = 0.001
MIN_CONTROL_ALLOWED = 10
_EPUB_MIMETYPE = b"application/epub+zip"


@dataclass(frozen=True)
class ValidatedText:
    format: TextFormat
    word_count: int
    encoding: str  # "" for EPUB
    text: str


def format_for(media_type: str) -> TextFormat | None:
    return FORMATS.get(media_type)


def _is_epub(head: bytes) -> bool:
    """The OCF rule: the first local file header is `mimetype`, holding application/epub+zip
    (stored, as the rule says, or deflated, as some tools write it anyway)."""
    if not head.startswith(b"PK\x03\x04") or len(head) < 30:
        return False
    method, compressed = struct.unpack_from("<H", head, 8)[0], struct.unpack_from("<I", head, 18)[0]
    name_length, extra_length = struct.unpack_from("<HH", head, 26)
    if head[30 : 30 + name_length] != b"mimetype":
        return False
    start = 30 + name_length + extra_length
    flags = struct.unpack_from("<H", head, 6)[0]
    if flags & 0x8 and not compressed:  # sizes in a data descriptor after the content
        compressed = 64
    content = head[start : start + min(compressed, 64)]
    if method == 8:
        try:
            content = zlib.decompressobj(-15).decompress(content, 64)
        except zlib.error:
            return False
    elif method != 0:
        return False
    return content.strip() == _EPUB_MIMETYPE


def _reads_as_text(head: bytes) -> bool:
    encoding, skip = bom_encoding(head)
    if not encoding:
        if b"\x00" in head:
            return False
        encoding = "utf-8"
    # The head may end inside a character: an incremental decoder waits for the rest.
    try:
        decoded = codecs.getincrementaldecoder(encoding)().decode(head[skip:], final=False)
    except UnicodeDecodeError:
        if encoding != "utf-8":
            return False
        legacy = guess_legacy_encoding(head)
        if not legacy:
            return False
        decoded = head.decode(legacy, errors="replace")
    return not _too_many_controls(decoded)


def sniff_text(head: bytes, filename: str) -> TextFormat | None:
    """EPUB from the bytes; otherwise text (Markdown when the name ends .md or .markdown) if the
    first bytes decode as text; None for anything binary."""
    if _is_epub(head):
        return EPUB
    if head.startswith(b"PK\x03\x04") or not head or not _reads_as_text(head):
        return None
    name = (filename or "").rsplit("/", 1)[-1].lower()
    extension = name.rsplit(".", 1)[-1] if "." in name else ""
    return MARKDOWN if extension in MARKDOWN_EXTENSIONS else PLAIN


def _too_many_controls(text: str) -> bool:
    allowed = max(MIN_CONTROL_ALLOWED, len(text) * MAX_CONTROL_SHARE)
    return len(_CONTROL.findall(text)) > allowed


def _too_large(fmt: TextFormat, limit: int) -> UploadRefused:
    kind = "An EPUB" if fmt is EPUB else "A text file"
    shown = f"{limit / 2**20:.0f} MB" if limit >= 2**20 else f"{limit / 1024:.0f} KB"
    return UploadRefused(errors.TOO_LARGE, f"{kind} may be at most {shown}.", status=413)


def validate_text(fp: BinaryIO, size: int, fmt: TextFormat) -> ValidatedText:
    """Refuse a text that does not decode, is mostly control characters, or is too short or
    too long; an EPUB besides must be an intact, unprotected, bounded archive."""
    check_size(size)
    limit = settings.UPLOAD_MAX_BYTES if fmt is EPUB else settings.TEXT_MAX_BYTES
    if size > limit:
        raise _too_large(fmt, limit)
    fp.seek(0)
    data = fp.read(limit + 1)  # the size the client declared is not trusted either
    fp.seek(0)
    if len(data) > limit:
        raise _too_large(fmt, limit)
    extracted = extract_text(data, fmt)
    text = extracted.text
    if _too_many_controls(text):
        raise UploadRefused(
            errors.UNREADABLE_TEXT,
            "The file holds control characters or binary data, not readable text.",
        )
    words = plain_words(text)
    most, fewest = settings.TEXT_MAX_WORDS, settings.TEXT_MIN_WORDS
    if words > most:
        raise UploadRefused(
            errors.TOO_MANY_WORDS,
            f"The text has {words:,} words; the limit is {most:,}.",
            status=413,
        )
    if words < fewest:
        raise UploadRefused(
            errors.TOO_FEW_WORDS,
            f"The text has {words} words; a work needs at least {fewest}.",
        )
    return ValidatedText(format=fmt, word_count=words, encoding=extracted.encoding, text=text)
