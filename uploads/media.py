"""Which medium an upload is, decided from its bytes, then that medium's checks.

Images, audio and EPUB carry a signature in their first bytes, and those decide. Plain text and
Markdown carry none, so a file is read as text only when its name says it is text (.txt, .md)
or gives no type at all: notes renamed `photo.jpg` are refused as "not an image", not quietly listed as a story. The name
never makes bytes acceptable that are not: a `.txt` holding binary is refused like any other."""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from uploads import errors
from uploads.audio.validation import sniff_audio, validate_audio
from uploads.errors import UploadRefused
from uploads.models import WorkKind
from uploads.text.validation import sniff_text, validate_text
from uploads.validation import check_size, refuse_unknown, sniff_image, validate_image

ACCEPTED = (
    "a JPEG, PNG or WebP image, a WAV, FLAC, MP3 or Ogg recording, or a text (.txt, .md, .epub)"
)
TEXT_EXTENSIONS = ("txt", "text", "md", "markdown")
IMAGE_EXTENSIONS = ("jpg", "jpeg", "png", "webp", "gif", "tif", "tiff", "bmp", "heic", "svg")
# What the uploader's file picker offers (the server decides from the bytes all the same).
ACCEPT_ATTRIBUTE = (
    "image/jpeg,image/png,image/webp,audio/wav,audio/x-wav,audio/flac,audio/mpeg,audio/ogg,"
    "audio/opus,.opus,text/plain,text/markdown,.md,.markdown,application/epub+zip,.epub"
)


@dataclass(frozen=True)
class ValidatedUpload:
    kind: str
    media_type: str
    extension: str
    width: int = 0
    height: int = 0
    duration_ms: int | None = None
    sample_rate: int | None = None
    channels: int | None = None
    word_count: int | None = None


def _extension(filename: str | None) -> str:
    name = (filename or "").rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def validate_upload(fp: BinaryIO, size: int, filename: str | None) -> ValidatedUpload:
    """Refuse anything that is not an intact, reasonably sized work of a medium we accept."""
    check_size(size)
    fp.seek(0)
    head = fp.read(4096)
    fp.seek(0)
    if sniff_image(head) is not None:
        image = validate_image(fp, size)
        return ValidatedUpload(
            kind=WorkKind.IMAGE,
            media_type=image.format.media_type,
            extension=image.format.extension,
            width=image.width,
            height=image.height,
        )
    audio_format = sniff_audio(head)
    if audio_format is not None:
        audio = validate_audio(fp, size, audio_format)
        return ValidatedUpload(
            kind=WorkKind.AUDIO,
            media_type=audio.format.media_type,
            extension=audio.format.extension,
            duration_ms=audio.duration_ms,
            sample_rate=audio.sample_rate,
            channels=audio.channels,
        )
    extension = _extension(filename)
    text_format = sniff_text(head, filename or "")
    is_epub = text_format is not None and text_format.extension == "epub"
    if not is_epub:
        refuse_unknown(head, accepted=ACCEPTED)  # a ZIP, PDF, GIF or markup, by name
    if text_format is not None and (is_epub or extension in TEXT_EXTENSIONS or not extension):
        text = validate_text(fp, size, text_format)
        return ValidatedUpload(
            kind=WorkKind.TEXT,
            media_type=text.format.media_type,
            extension=text.format.extension,
            word_count=text.word_count,
        )
    if extension in IMAGE_EXTENSIONS:
        raise UploadRefused(errors.UNSUPPORTED_TYPE, "This file is not a JPEG, PNG or WebP image.")
    raise UploadRefused(errors.UNSUPPORTED_TYPE, f"This file is not {ACCEPTED}.")
