"""The license inside every delivered file: our XMP packet written into the file's metadata
without decoding or re-encoding a pixel (exiv2 rewrites only the metadata segments)."""

from __future__ import annotations

import pyexiv2

# Where a photo was taken is the creator's private business, not part of a training license.
PRIVATE_EXIF_PREFIXES = ("Exif.GPSInfo.",)


def license_marked(data: bytes, xmp_packet: str) -> bytes:
    """`data` with any XMP it had replaced by our packet, and location data removed."""
    image = pyexiv2.ImageData(data)
    try:
        exif = image.read_exif()
        private = {key: None for key in exif if key.startswith(PRIVATE_EXIF_PREFIXES)}
        if private:
            image.modify_exif(private)
        image.clear_xmp()
        image.modify_raw_xmp(xmp_packet)
        return image.get_bytes()
    finally:
        image.close()
