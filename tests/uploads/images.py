"""Images made in the tests, so every case is explicit about what the file contains."""

from __future__ import annotations

import io

import numpy as np
import pyexiv2
from PIL import Image, PngImagePlugin


def photo(width: int = 640, height: int = 480, seed: int = 0) -> Image.Image:
    """Photo-like content (gradients, shapes, noise) that differs per seed."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack(
        [
            (x * 255 / width + seed * 37) % 256,
            (y * 255 / height + seed * 91) % 256,
            ((x + y) * 128 / (width + height) + seed * 53) % 256,
        ],
        axis=-1,
    )
    cx, cy = rng.integers(0, width), rng.integers(0, height)
    disc = ((x - cx) ** 2 + (y - cy) ** 2) < (min(width, height) // 4) ** 2
    base[disc] = rng.integers(0, 256, 3)
    noisy = base + rng.normal(0, 6, base.shape)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def jpeg_bytes(image: Image.Image | None = None, **save) -> bytes:
    out = io.BytesIO()
    (image or photo()).save(out, "JPEG", quality=90, **save)
    return out.getvalue()


def png_bytes(image: Image.Image | None = None, text: dict[str, str] | None = None) -> bytes:
    out = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, value)
    (image or photo()).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def with_xmp(data: bytes, xmp: dict, iptc: dict | None = None) -> bytes:
    """The image file `data` with the XMP (and IPTC) fields written into it by exiv2."""
    image = pyexiv2.ImageData(data)
    try:
        image.modify_xmp(xmp)
        if iptc:
            image.modify_iptc(iptc)
        return image.get_bytes()
    finally:
        image.close()
