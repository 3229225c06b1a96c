"""EXIF fields that tell who made an image and with what (read with Pillow)."""

from __future__ import annotations

from PIL import ExifTags, Image

from uploads.metadata.limits import clip

_BASE_TAGS = {
    ExifTags.Base.Artist: "artist",
    ExifTags.Base.Copyright: "copyright",
    ExifTags.Base.Software: "software",
    ExifTags.Base.DateTime: "datetime",
    ExifTags.Base.Make: "camera_make",
    ExifTags.Base.Model: "camera_model",
    ExifTags.Base.ImageDescription: "description",
    ExifTags.Base.Orientation: "orientation",
}
_EXIF_IFD_TAGS = {
    ExifTags.Base.DateTimeOriginal: "datetime_original",
    ExifTags.Base.LensModel: "lens_model",
}


def read_exif(image: Image.Image) -> dict:
    exif = image.getexif()
    if not exif:
        return {}
    found = {name: clip(exif.get(tag)) for tag, name in _BASE_TAGS.items() if exif.get(tag)}
    try:
        sub = exif.get_ifd(ExifTags.IFD.Exif)
    except Exception:  # a broken sub-IFD must not hide the rest
        sub = {}
    found.update({name: clip(sub.get(tag)) for tag, name in _EXIF_IFD_TAGS.items() if sub.get(tag)})
    # We only record that GPS data exists (renditions never carry it); not where.
    found["has_gps"] = ExifTags.IFD.GPSInfo in exif
    return found
