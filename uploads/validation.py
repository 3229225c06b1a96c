"""Is this upload an image we accept? Decided from the bytes, never from the name or the
Content-Type the client sent; sizes and pixel counts are checked from the header before any
decode, and the decode that proves the file is intact is a reduced one where the format allows.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from PIL import Image, UnidentifiedImageError

from uploads import errors
from uploads.errors import UploadRefused

# Belt and braces: Pillow's own bomb check raises above twice this, we refuse above it.
Image.MAX_IMAGE_PIXELS = settings.UPLOAD_MAX_PIXELS


@dataclass(frozen=True)
class ImageFormat:
    pillow_format: str
    media_type: str
    extension: str


JPEG = ImageFormat("JPEG", "image/jpeg", "jpg")
PNG = ImageFormat("PNG", "image/png", "png")
WEBP = ImageFormat("WEBP", "image/webp", "webp")

# Formats we recognise in order to name them in the refusal; we do not accept them. TIFF is
# left out on purpose: its many codecs and offsets are a large attack surface for little gain.
_REFUSED_SIGNATURES = [
    (b"GIF87a", "a GIF"),
    (b"GIF89a", "a GIF"),
    (b"II*\x00", "a TIFF"),
    (b"MM\x00*", "a TIFF"),
    (b"%PDF", "a PDF"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x00\x00\x01\x00", "an icon"),
]


@dataclass(frozen=True)
class ValidatedImage:
    format: ImageFormat
    width: int
    height: int


def sniff_image(head: bytes) -> ImageFormat | None:
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    return None


# A BMP starts "BM", as plenty of texts do ("BMW drivers..."): its info header's size, one of
# these, tells the picture from the prose.
_BMP_INFO_HEADER_SIZES = {12, 16, 40, 52, 56, 64, 108, 124}


def _is_bmp(head: bytes) -> bool:
    return (
        head[:2] == b"BM"
        and len(head) >= 18
        and int.from_bytes(head[14:18], "little") in _BMP_INFO_HEADER_SIZES
    )


def refuse_unknown(head: bytes, *, accepted: str = "a JPEG, PNG or WebP image") -> None:
    """Name what the file is when we know the kind, so the refusal says more than "no"."""
    for signature, name in _REFUSED_SIGNATURES:
        if head.startswith(signature):
            raise UploadRefused(errors.UNSUPPORTED_TYPE, f"This file is {name}. Upload {accepted}.")
    if _is_bmp(head):
        raise UploadRefused(errors.UNSUPPORTED_TYPE, f"This file is a BMP. Upload {accepted}.")
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lowered.startswith((b"<svg", b"<?xml", b"<!doctype", b"<html")):
        raise UploadRefused(
            errors.UNSUPPORTED_TYPE,
            f"This file is markup (SVG or HTML), not a work we accept. Upload {accepted}.",
        )


def sniff_format(head: bytes) -> ImageFormat:
    fmt = sniff_image(head)
    if fmt is not None:
        return fmt
    refuse_unknown(head)
    raise UploadRefused(errors.UNSUPPORTED_TYPE, "This file is not a JPEG, PNG or WebP image.")


def check_size(size: int) -> None:
    if size <= 0:
        raise UploadRefused(errors.EMPTY_FILE, "The file is empty.")
    limit = settings.UPLOAD_MAX_BYTES
    if size > limit:
        raise UploadRefused(
            errors.TOO_LARGE,
            f"The file is {size / 2**20:.1f} MB; the limit is {limit / 2**20:.0f} MB.",
            status=413,
        )


def _check_dimensions(width: int, height: int) -> None:
    if width * height > settings.UPLOAD_MAX_PIXELS:
        raise UploadRefused(
            errors.TOO_MANY_PIXELS,
            f"The image is {width}×{height} ({width * height / 1e6:.0f} megapixels); the limit "
            f"is {settings.UPLOAD_MAX_PIXELS / 1e6:.0f} megapixels.",
            status=413,
        )
    smallest = settings.UPLOAD_MIN_DIMENSION
    if min(width, height) < smallest:
        raise UploadRefused(
            errors.TOO_SMALL,
            f"The image is {width}×{height}; each side must be at least {smallest} pixels.",
        )


def validate_image(fp: BinaryIO, size: int) -> ValidatedImage:
    """Refuse anything that is not a single, intact, reasonably sized JPEG, PNG or WebP."""
    check_size(size)
    fp.seek(0)
    fmt = sniff_format(fp.read(32))
    fp.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(fp, formats=[fmt.pillow_format])
            width, height = image.size
            _check_dimensions(width, height)  # from the header, before decoding anything
            # MPO is a JPEG with extra images attached (phone gain maps, depth maps, stereo
            # pairs): its first frame is the photo, so it is a still image, not an animation.
            is_multi_frame = (
                getattr(image, "is_animated", False) or getattr(image, "n_frames", 1) > 1
            )
            if is_multi_frame and image.format != "MPO":
                raise UploadRefused(
                    errors.ANIMATED_IMAGE, "Animated images are not accepted; upload one frame."
                )
            if fmt is JPEG:
                # Proves the whole entropy-coded stream decodes, at 1/8 scale for speed.
                image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
            image.load()
    except UploadRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UploadRefused(
            errors.TOO_MANY_PIXELS, "The image has too many pixels.", status=413
        ) from exc
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
        IndexError,
        TypeError,
        MemoryError,
        ZeroDivisionError,
    ) as exc:
        raise UploadRefused(
            errors.CORRUPT_IMAGE, "The image is damaged or incomplete and cannot be read."
        ) from exc
    finally:
        fp.seek(0)
    return ValidatedImage(format=fmt, width=width, height=height)
