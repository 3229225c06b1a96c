"""Renditions: upright, small, watermarked, and carrying no metadata at all (no GPS ever)."""

import io

import numpy as np
import pyexiv2
import pytest
from PIL import ExifTags, Image

from uploads import storage

from .images import jpeg_bytes, photo
from .works import upload_work

pytestmark = pytest.mark.django_db


def _exif_with_gps_and_orientation() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Artist] = "Jane Doe"
    exif[ExifTags.Base.Orientation] = 6  # rotate 90° clockwise to display
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps.update({1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)})
    return exif


def test_renditions_strip_every_metadata_field_and_apply_orientation(creator, media_root):
    work = upload_work(creator, jpeg_bytes(photo(800, 400), exif=_exif_with_gps_and_orientation()))
    assert work.metadata["exif"]["has_gps"] is True  # we saw it in the original...

    for field, longest in [(work.thumbnail, 400), (work.preview, 1200)]:
        data = storage.read(field.name)
        image = Image.open(io.BytesIO(data))
        assert image.format == "JPEG"
        # ...and it never leaves: no EXIF at all, no XMP, no IPTC, no comment.
        assert not image.getexif()
        assert "exif" not in image.info and "xmp" not in image.info
        meta = pyexiv2.ImageData(data)
        try:
            assert meta.read_exif() == {}
            assert meta.read_xmp() == {}
            assert meta.read_iptc() == {}
        finally:
            meta.close()
        assert b"GPS" not in data and b"Jane Doe" not in data
        # Orientation 6 on an 800×400 original: the rendition is portrait.
        assert image.height > image.width
        assert max(image.size) <= longest


def test_preview_is_watermarked(creator, media_root):
    image = photo(1200, 800, seed=3)
    work = upload_work(creator, jpeg_bytes(image))
    preview = Image.open(io.BytesIO(storage.read(work.preview.name))).convert("L")
    original = image.convert("L").resize(preview.size)
    diff = np.abs(np.asarray(preview, dtype=int) - np.asarray(original, dtype=int)).mean()
    assert diff > 2  # visibly changed, not just re-encoded


@pytest.mark.parametrize("mode", ["CMYK", "L", "P", "RGBA", "I;16"])
def test_unusual_colour_modes_make_rgb_renditions(creator, media_root, mode):
    source = photo(300, 300, seed=5)
    if mode == "I;16":
        source = source.convert("L").point(lambda v: v * 256).convert("I;16")
    else:
        source = source.convert(mode)
    out = io.BytesIO()
    fmt = "JPEG" if mode in ("CMYK", "L") else "PNG"
    source.save(out, fmt)
    work = upload_work(creator, out.getvalue(), name=f"m.{fmt.lower()}")
    assert work.status == "pending_review", work.processing_error
    thumb = Image.open(io.BytesIO(storage.read(work.thumbnail.name)))
    assert thumb.mode == "RGB"
    # 16-bit greyscale is scaled, not clipped to white.
    assert thumb.convert("L").getextrema()[0] < 200
