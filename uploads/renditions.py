"""Renditions: a thumbnail and a watermarked preview, upright (EXIF orientation applied) and
carrying no metadata at all: they are new images built from pixels only, so no GPS, camera,
author or XMP field of the original can leave through them."""

from __future__ import annotations

import functools
import io

from django.conf import settings
from PIL import ExifTags, Image, ImageDraw, ImageFont, ImageOps

WATERMARK_TEXT = "ASSENT PREVIEW"
# JPEG, not WebP: encoding a 1200 px preview takes ~2 ms as JPEG and 20-60 ms as WebP here,
# and renditions are made for every upload.
RENDITION_MEDIA_TYPE = "image/jpeg"
RENDITION_EXTENSION = "jpg"


def upright_rgb(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation and bring any mode (CMYK, 16-bit, palette) to RGB."""
    if image.getexif().get(ExifTags.Base.Orientation, 1) not in (1, None):
        image = ImageOps.exif_transpose(image)  # copies; skipped for the common upright case
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale: scale down to 8 bits instead of clipping to white.
        image = image.point(lambda value: value / 256).convert("L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        return background
    return image if image.mode == "RGB" else image.convert("RGB")


def _pixels_only(image: Image.Image) -> Image.Image:
    """A copy with an empty info dict, so no encoder finds EXIF, XMP or ICC data to write."""
    clean = image.copy()
    clean.info = {}
    return clean


def _encode(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    _pixels_only(image).save(out, format="JPEG", quality=quality, exif=b"")
    return out.getvalue()


def _fit(image: Image.Image, longest: int) -> Image.Image:
    """Shrink to fit `longest`; an image that already fits is returned as it is (callers never
    modify it). BOX averaging: ~12 ms for a 2000 px image, against ~45 ms for Lanczos, and
    indistinguishable at preview size under the watermark."""
    width, height = image.size
    scale = longest / max(width, height)
    if scale >= 1:
        return image
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return image.resize(size, Image.Resampling.BOX, reducing_gap=2.0)


def fit_preview(upright: Image.Image) -> Image.Image:
    """The unmarked preview-sized image; the fingerprints are computed from it too."""
    return _fit(upright, settings.RENDITION_PREVIEW_PX)


def _watermark(image: Image.Image) -> Image.Image:
    marked = image.convert("RGBA")
    marked.alpha_composite(_overlay(image.size))
    return marked.convert("RGB")


@functools.lru_cache(maxsize=32)
def _overlay(size: tuple[int, int]) -> Image.Image:
    """The tiled watermark for one preview size; most photos share a few sizes, so it is
    drawn once and reused."""
    width, height = size
    overlay = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    font = ImageFont.load_default(size=max(14, width // 18))
    step_x, step_y = max(120, width // 2), max(80, height // 4)
    for row, y in enumerate(range(-step_y, height + step_y, step_y)):
        offset = (row % 2) * step_x // 2
        for x in range(-step_x + offset, width + step_x, step_x):
            draw.text(
                (x, y),
                WATERMARK_TEXT,
                font=font,
                fill=(255, 255, 255, 90),
                stroke_width=1,
                stroke_fill=(0, 0, 0, 60),
            )
    return overlay


def make_renditions(upright: Image.Image) -> tuple[bytes, bytes]:
    """(thumbnail, preview) as JPEG bytes from an upright RGB image (or its fit_preview)."""
    preview = _watermark(fit_preview(upright))
    thumbnail = _fit(preview, settings.RENDITION_THUMBNAIL_PX)
    return _encode(thumbnail, quality=80), _encode(preview, quality=82)
