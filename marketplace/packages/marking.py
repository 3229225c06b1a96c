"""The license inside every delivered file: our XMP packet written into the file's metadata
without decoding or re-encoding a pixel.

JPEGs (nearly every photo) take a fast path: the file's segments up to the start of the scan
are walked in Python, any XMP segment dropped and ours spliced in as an APP1 segment right after
the JFIF/EXIF headers; the entropy-coded data is handed on untouched as a view of the original
(no copy). The result is a list of pieces whose concatenation is the delivered file. Whenever
the fast path cannot be sure it is equivalent (EXIF with GPS to remove, a packet too large for
one segment, anything unusual in the header), exiv2 rewrites the metadata instead, as it does
for PNG and WebP."""

from __future__ import annotations

import pyexiv2

# Where a photo was taken is the creator's private business, not part of a training license.
PRIVATE_EXIF_PREFIXES = ("Exif.GPSInfo.",)

XMP_SIGNATURE = b"http://ns.adobe.com/xap/1.0/\x00"
XMP_EXTENSION_SIGNATURE = b"http://ns.adobe.com/xmp/extension/\x00"
EXIF_SIGNATURE = b"Exif\x00\x00"
GPS_IFD_TAG = 0x8825
SOI, SOS, APP0, APP1 = 0xD8, 0xDA, 0xE0, 0xE1
MAX_SEGMENT_PAYLOAD = 0xFFFF - 2


def license_marked(data: bytes, xmp_packet: str) -> bytes:
    """`data` with any XMP it had replaced by our packet, and location data removed (exiv2)."""
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


def license_marked_pieces(data, media_type: str, xmp_packet: str) -> list:
    """The marked file as a list of bytes-like pieces (join them for the file). JPEGs without
    GPS are spliced without a copy; everything else goes through exiv2 (`license_marked`)."""
    if media_type == "image/jpeg":
        pieces = jpeg_spliced(data, xmp_packet.encode())
        if pieces is not None:
            return pieces
    return [license_marked(bytes(data), xmp_packet)]  # bytes: `data` may be a mapped file


def xmp_segment(packet: bytes) -> bytes | None:
    """A JPEG APP1 segment holding `packet`, or None if it does not fit in one segment."""
    payload_size = len(XMP_SIGNATURE) + len(packet)
    if payload_size > MAX_SEGMENT_PAYLOAD:
        return None
    return b"\xff\xe1" + (payload_size + 2).to_bytes(2, "big") + XMP_SIGNATURE + packet


def _exif_has_gps(tiff: memoryview) -> bool | None:
    """Whether an EXIF block's first IFD points to GPS data; None if it cannot be read."""
    if len(tiff) < 8:
        return None
    order = {b"II": "little", b"MM": "big"}.get(bytes(tiff[:2]))
    if order is None or int.from_bytes(tiff[2:4], order) != 42:
        return None
    offset = int.from_bytes(tiff[4:8], order)
    if offset + 2 > len(tiff):
        return None
    count = int.from_bytes(tiff[offset : offset + 2], order)
    entries = offset + 2
    if entries + 12 * count > len(tiff):
        return None
    return any(
        int.from_bytes(tiff[entries + 12 * i : entries + 12 * i + 2], order) == GPS_IFD_TAG
        for i in range(count)
    )


def jpeg_spliced(data: bytes, packet: bytes) -> list | None:
    """`data` with its XMP segments dropped and `packet` inserted after the leading JFIF/EXIF
    segments, as pieces (views of `data` and the new segment); None when exiv2 must do it:
    GPS present, EXIF unreadable, a packet too large, or a header we do not expect."""
    segment = xmp_segment(packet)
    if segment is None or data[:2] != b"\xff\xd8":
        return None
    view = memoryview(data)
    size = len(data)
    kept: list[tuple[int, int]] = []  # (start, end) of the segments kept, in order
    insert_at = None  # index into `kept` before which our segment goes
    pos = 2
    while True:
        if pos + 4 > size or data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == SOS:
            break
        if marker == 0xFF or marker == SOI or marker == 0x01 or 0xD0 <= marker <= 0xD9:
            return None  # fill bytes or markers without a length before the scan: let exiv2
        end = pos + 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        if end <= pos + 3 or end > size:
            return None
        body = view[pos + 4 : end]
        drop = False
        leading = marker == APP0
        if marker == APP1:
            if body[: len(XMP_SIGNATURE)] == XMP_SIGNATURE or (
                body[: len(XMP_EXTENSION_SIGNATURE)] == XMP_EXTENSION_SIGNATURE
            ):
                drop = True
            elif body[: len(EXIF_SIGNATURE)] == EXIF_SIGNATURE:
                if _exif_has_gps(body[len(EXIF_SIGNATURE) :]) is not False:
                    return None  # location data to remove (or EXIF we cannot read): exiv2
                leading = True
        if not drop:
            if not leading and insert_at is None:
                insert_at = len(kept)
            kept.append((pos, end))
        pos = end
    if insert_at is None:
        insert_at = len(kept)
    pieces: list = [view[:2]]

    def add(ranges):
        start = stop = None
        for begin, end in ranges:
            if start is not None and begin == stop:
                stop = end
                continue
            if start is not None:
                pieces.append(view[start:stop])
            start, stop = begin, end
        if start is not None:
            pieces.append(view[start:stop])

    add(kept[:insert_at])
    pieces.append(segment)
    add([*kept[insert_at:], (pos, size)])
    return pieces
