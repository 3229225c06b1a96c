"""A corpus of hostile, broken and edge-case upload files, generated in code.

Every case is built from Pillow, numpy and raw bytes at import time (well under a second; all
files are a few kB except two of 2.6 MB that Django spools to disk), so no binary fixture
lives in the repository. `expect` is the
refusal code the upload API must answer, or ACCEPTED.

Bytes are deterministic: numpy's generator is seeded per case, so a failure reproduces.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass

import numpy as np
from PIL import Image

ACCEPTED = "accepted"

# Refusal codes (uploads/errors.py), repeated here so the corpus reads on its own.
EMPTY_FILE = "empty_file"
UNSUPPORTED_TYPE = "unsupported_type"
TOO_LARGE = "too_large"
TOO_MANY_PIXELS = "too_many_pixels"
TOO_SMALL = "too_small"
CORRUPT_IMAGE = "corrupt_image"
ANIMATED_IMAGE = "animated_image"
FILE_MISSING = "file_missing"
PARSE_ERROR = "parse_error"  # config/api_errors.py: a body DRF's parser could not read


@dataclass(frozen=True)
class Case:
    name: str
    filename: str
    data: bytes
    expect: str
    # Lower settings.UPLOAD_MAX_BYTES to this for the case (instead of sending 40 MB).
    max_bytes: int | None = None
    # What the client claims the part is; the server must decide from the bytes alone.
    content_type: str = "image/jpeg"

    def __repr__(self) -> str:  # keeps pytest output short: no 60 kB of bytes
        return f"Case({self.name!r}, {self.filename!r}, {len(self.data)} bytes, {self.expect!r})"


# --- Building blocks --------------------------------------------------------------------------


def pixels(width: int, height: int, seed: int, channels: int = 3) -> np.ndarray:
    """A gradient with shapes and a little noise: structure for the perceptual hashes, and
    different bytes for every seed (each accepted case is a distinct upload)."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width]
    base = np.stack(
        [
            xs * 255 // max(1, width - 1),
            ys * 255 // max(1, height - 1),
            ((xs // 16 + ys // 16) % 2) * 200 + 20,
            np.full_like(xs, 255),
        ][:channels],
        axis=-1,
    ).astype(np.int16)
    noise = rng.integers(-12, 13, size=base.shape, dtype=np.int16)
    if channels == 4:
        noise[..., 3] = 0
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def image(width: int = 128, height: int = 96, *, seed: int = 0, mode: str = "RGB") -> Image.Image:
    rgb = Image.fromarray(pixels(width, height, seed))
    return rgb if mode == "RGB" else rgb.convert(mode)


def encode(img: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **options)
    return out.getvalue()


def jpeg(width: int = 128, height: int = 96, *, seed: int = 0, **options) -> bytes:
    return encode(image(width, height, seed=seed), "JPEG", quality=90, **options)


def noise_jpeg(side: int, *, seed: int) -> bytes:
    """Pure noise at quality 100 without chroma subsampling: about 4 bytes a pixel, so a
    few hundred pixels a side pass Django's 2 MB in-memory limit and go to a temporary file."""
    noise = np.random.default_rng(seed).integers(0, 256, (side, side, 3), dtype=np.uint8)
    return encode(Image.fromarray(noise), "JPEG", quality=100, subsampling=0)


def png(width: int = 128, height: int = 96, *, seed: int = 0, mode: str = "RGB") -> bytes:
    return encode(image(width, height, seed=seed, mode=mode), "PNG")


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_by_hand(width: int, height: int, idat: bytes, *, extra: bytes = b"") -> bytes:
    """8-bit RGB PNG with a hand-made IHDR (correct CRCs) and whatever IDAT we give it."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + extra
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def png_chunks(data: bytes) -> list[tuple[int, bytes, int]]:
    """(offset, type, length) of every chunk of a PNG."""
    found, offset = [], 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        found.append((offset, data[offset + 4 : offset + 8], length))
        offset += 12 + length
    return found


def jpeg_segments(data: bytes) -> list[tuple[int, int, int]]:
    """(offset, marker, length) of the segments before the scan data, the SOS last."""
    found, offset = [], 2
    while offset < len(data):
        marker = data[offset + 1]
        (length,) = struct.unpack(">H", data[offset + 2 : offset + 4])
        found.append((offset, marker, length))
        if marker == 0xDA:
            break
        offset += 2 + length
    return found


def jpeg_scan_start(data: bytes) -> int:
    offset, marker, length = jpeg_segments(data)[-1]
    assert marker == 0xDA
    return offset + 2 + length


def jpeg_with_sof_size(data: bytes, width: int, height: int) -> bytes:
    """Patch the frame header (SOF0/SOF2) to declare other dimensions."""
    patched = bytearray(data)
    for offset, marker, _ in jpeg_segments(data):
        if marker in (0xC0, 0xC1, 0xC2):
            patched[offset + 5 : offset + 9] = struct.pack(">HH", height, width)
            return bytes(patched)
    raise AssertionError("no SOF segment")


def jpeg_insert_segment(data: bytes, marker: int, body: bytes) -> bytes:
    """A segment right after SOI."""
    return data[:2] + bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body + data[2:]


def random_bytes(count: int, seed: int) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, count, dtype=np.uint8).tobytes()


def webp_with_canvas(width: int, height: int) -> bytes:
    """An extended WebP (VP8X) whose canvas is width×height around a small real frame."""
    simple = encode(image(seed=50), "WEBP", quality=80)
    assert simple[12:16] == b"VP8 "
    vp8x = (
        b"VP8X"
        + struct.pack("<I", 10)
        + b"\x00\x00\x00\x00"
        + (width - 1).to_bytes(3, "little")
        + (height - 1).to_bytes(3, "little")
    )
    body = b"WEBP" + vp8x + simple[12:]
    return b"RIFF" + struct.pack("<I", len(body)) + body


# --- The cases --------------------------------------------------------------------------------


def _unsupported() -> list[Case]:
    base = jpeg(seed=1)
    svg_script = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200">'
        b'<script type="text/javascript">fetch("/api/v1/auth/token/")</script>'
        b'<rect width="200" height="200" fill="red"/></svg>'
    )
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("photo.jpg", base)
    return [
        Case(
            "text_renamed_jpg",
            "notes.jpg",
            b"just some notes, not a picture\n" * 20,
            UNSUPPORTED_TYPE,
        ),
        Case(
            "html_jpeg_polyglot_html_first",
            "polyglot.jpg",
            b"<html><body><script>alert(document.cookie)</script></body></html>\n" + base,
            UNSUPPORTED_TYPE,
            content_type="text/html",
        ),
        Case(
            "svg_script_with_xml_declaration",
            "logo.svg",
            b'<?xml version="1.0" encoding="UTF-8"?>\n' + svg_script,
            UNSUPPORTED_TYPE,
            content_type="image/svg+xml",
        ),
        Case("svg_script_no_xml_declaration", "logo.jpg", svg_script, UNSUPPORTED_TYPE),
        Case(
            "svg_bom_and_whitespace",
            "logo.png",
            b"\xef\xbb\xbf\n  \t" + svg_script,
            UNSUPPORTED_TYPE,
            content_type="image/png",
        ),
        Case(
            "html_doctype",
            "page.jpg",
            b"<!DOCTYPE html><html><img src=x onerror=alert(1)>",
            UNSUPPORTED_TYPE,
        ),
        Case(
            "gif_static",
            "still.gif",
            encode(image(seed=2).convert("P"), "GIF"),
            UNSUPPORTED_TYPE,
            content_type="image/gif",
        ),
        Case(
            "gif_animated",
            "loop.gif",
            encode(
                image(seed=3).convert("P"),
                "GIF",
                save_all=True,
                append_images=[image(seed=4).convert("P")],
                duration=100,
                loop=0,
            ),
            UNSUPPORTED_TYPE,
            content_type="image/gif",
        ),
        Case(
            "tiff",
            "scan.tiff",
            encode(image(seed=5), "TIFF"),
            UNSUPPORTED_TYPE,
            content_type="image/tiff",
        ),
        Case(
            "tiff_big_endian_named_jpg",
            "scan.jpg",
            b"MM\x00*" + encode(image(seed=6), "TIFF")[4:],
            UNSUPPORTED_TYPE,
        ),
        Case("bmp", "paint.bmp", encode(image(seed=7), "BMP"), UNSUPPORTED_TYPE),
        Case("ico", "favicon.png", encode(image(64, 64, seed=8), "ICO"), UNSUPPORTED_TYPE),
        Case(
            "pdf_header",
            "document.jpg",
            b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n",
            UNSUPPORTED_TYPE,
            content_type="application/pdf",
        ),
        Case("zip_archive", "photos.jpg", zipped.getvalue(), UNSUPPORTED_TYPE),
        Case(
            "heic_ftyp",
            "IMG_0001.heic",
            b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200,
            UNSUPPORTED_TYPE,
            content_type="image/heic",
        ),
        Case("windows_exe", "setup.jpg", b"MZ\x90\x00\x03" + b"\x00" * 500, UNSUPPORTED_TYPE),
    ]


def _animated() -> list[Case]:
    frames = [image(seed=10), image(seed=11)]
    return [
        Case(
            "apng",
            "moving.png",
            encode(frames[0], "PNG", save_all=True, append_images=frames[1:], duration=100),
            ANIMATED_IMAGE,
            content_type="image/png",
        ),
        Case(
            "webp_animated",
            "moving.webp",
            encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100),
            ANIMATED_IMAGE,
            content_type="image/webp",
        ),
    ]


def _corrupt() -> list[Case]:
    good_jpeg = jpeg(seed=20)
    good_png = png(seed=21)
    scan = jpeg_scan_start(good_jpeg)

    idat_offset, _, idat_length = next(c for c in png_chunks(good_png) if c[1] == b"IDAT")
    idat_data = idat_offset + 8
    flipped = bytearray(good_png)
    for i in range(idat_data + idat_length // 3, idat_data + idat_length // 3 + 64):
        flipped[i] ^= 0x5A  # CRC left as it was: now wrong too, as on a damaged disk

    bogus_dht = bytearray(good_jpeg)
    dht = next(offset for offset, marker, _ in jpeg_segments(good_jpeg) if marker == 0xC4)
    bogus_dht[dht + 5 : dht + 21] = b"\xff" * 16  # code counts summing far past 256

    # Noise where the entropy-coded data should be, byte-stuffed so that no marker appears:
    # structurally a JPEG, every pixel garbage (what bit rot in the scan looks like).
    noise_scan = random_bytes(len(good_jpeg) - scan - 2, seed=23).replace(b"\xff", b"\xff\x00")
    noise_scan = good_jpeg[:scan] + noise_scan[: len(good_jpeg) - scan - 2] + b"\xff\xd9"

    garbage_scan = bytearray(good_jpeg)
    noise = random_bytes(len(good_jpeg) - scan - 300, seed=22)
    garbage_scan[scan + 100 : scan + 100 + len(noise)] = noise

    ztxt_bomb = png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"A" * (8 << 20), 9))
    iend = good_png.rfind(b"\x00\x00\x00\x00IEND")
    return [
        Case(
            "jpeg_truncated_60pct", "cut.jpg", good_jpeg[: len(good_jpeg) * 6 // 10], CORRUPT_IMAGE
        ),
        Case(
            "png_truncated_mid_idat",
            "cut.png",
            good_png[: idat_data + idat_length // 2],
            CORRUPT_IMAGE,
            content_type="image/png",
        ),
        Case(
            "png_corrupt_idat", "rot.png", bytes(flipped), CORRUPT_IMAGE, content_type="image/png"
        ),
        Case("jpeg_bogus_huffman_table", "huff.jpg", bytes(bogus_dht), CORRUPT_IMAGE),
        Case("jpeg_garbage_after_sos", "noise.jpg", bytes(garbage_scan), CORRUPT_IMAGE),
        Case("jpeg_scan_is_noise", "bitrot.jpg", noise_scan, CORRUPT_IMAGE),
        Case("jpeg_magic_then_zeros", "zeros.jpg", b"\xff\xd8\xff" + b"\x00" * 4096, CORRUPT_IMAGE),
        Case("png_signature_only", "sig.png", b"\x89PNG\r\n\x1a\n", CORRUPT_IMAGE),
        Case(
            "png_zero_width",
            "zero.png",
            png_by_hand(0, 100, zlib.compress(b"\x00" * 100)),
            CORRUPT_IMAGE,
            content_type="image/png",
        ),
        Case(
            "webp_riff_then_garbage",
            "bad.webp",
            b"RIFF" + struct.pack("<I", 4100) + b"WEBPVP8 " + random_bytes(4092, seed=24),
            CORRUPT_IMAGE,
            content_type="image/webp",
        ),
        # An 8 MB text chunk in 8 kB: Pillow refuses to inflate one past 1 MB.
        Case(
            "png_ztxt_bomb_before_idat",
            "text-bomb.png",
            good_png[:33] + ztxt_bomb + good_png[33:],
            CORRUPT_IMAGE,
            content_type="image/png",
        ),
        Case(
            "png_ztxt_bomb_after_idat",
            "text-bomb2.png",
            good_png[:iend] + ztxt_bomb + good_png[iend:],
            CORRUPT_IMAGE,
            content_type="image/png",
        ),
    ]


def _dimensions() -> list[Case]:
    small_jpeg = jpeg(seed=30)
    return [
        Case(
            "png_bomb_100000x100000",
            "bomb.png",
            png_by_hand(100_000, 100_000, zlib.compress(b"\x00" * 4096, 9)),
            TOO_MANY_PIXELS,
            content_type="image/png",
        ),
        # Refused from the header before any decode: the user learns the real problem (size),
        # not that the (short) file is damaged.
        Case(
            "jpeg_sof_20000x20000",
            "huge.jpg",
            jpeg_with_sof_size(small_jpeg, 20_000, 20_000),
            TOO_MANY_PIXELS,
        ),
        # 81 MP: above the 60 MP limit but below Pillow's hard 2× limit (its warning path).
        Case(
            "jpeg_sof_9000x9000",
            "big.jpg",
            jpeg_with_sof_size(small_jpeg, 9_000, 9_000),
            TOO_MANY_PIXELS,
        ),
        Case(
            "webp_vp8x_canvas_16383",
            "canvas.webp",
            webp_with_canvas(16_383, 16_383),
            TOO_MANY_PIXELS,
            content_type="image/webp",
        ),
        Case("one_by_one", "pixel.png", png(1, 1, seed=31), TOO_SMALL, content_type="image/png"),
        Case(
            "strip_10000x1",
            "strip.png",
            png(10_000, 1, seed=32),
            TOO_SMALL,
            content_type="image/png",
        ),
        Case("just_under_min_63x64", "small.jpg", jpeg(63, 64, seed=33), TOO_SMALL),
        Case("exactly_min_64x64", "min.jpg", jpeg(64, 64, seed=34), ACCEPTED),
    ]


def _size() -> list[Case]:
    data = jpeg(seed=40)
    big = noise_jpeg(800, seed=42)
    assert len(big) > 2 * 1024 * 1024  # FILE_UPLOAD_MAX_MEMORY_SIZE: spooled to disk
    return [
        Case("jpeg_spooled_to_temp_file", "big-noise.jpg", big, ACCEPTED),
        Case(
            "jpeg_spooled_to_temp_file_truncated",
            "big-cut.jpg",
            big[: len(big) * 7 // 10],
            CORRUPT_IMAGE,
        ),
        Case("empty_file", "empty.jpg", b"", EMPTY_FILE),
        Case("over_size_limit", "big.jpg", data, TOO_LARGE, max_bytes=len(data) - 1),
        Case(
            "exactly_size_limit", "limit.jpg", jpeg(seed=41), ACCEPTED, max_bytes=len(jpeg(seed=41))
        ),
    ]


def _accepted() -> list[Case]:
    com_payload = b"<html><script>alert(document.domain)</script></html>"
    exif = Image.Exif()
    exif[0x010E] = "A" * 60_000  # ImageDescription: the APP1 segment is nearly full (64 kB)
    rotated = Image.Exif()
    rotated[0x0112] = 6  # Orientation: rotate 90° CW to display

    # EXIF whose IFD claims 65535 entries in a few bytes, and one pointing past the segment.
    broken_ifd = b"Exif\x00\x00II*\x00" + struct.pack("<IH", 8, 0xFFFF) + b"\x01\x00" * 10
    far_ifd = b"Exif\x00\x00MM\x00*" + struct.pack(">I", 0xFFFFFF00) + b"\x00" * 16

    palette = image(seed=60).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    palette.info["transparency"] = 0
    grey16 = Image.fromarray(pixels(128, 96, seed=61)[..., 0].astype(np.uint16) * 257)
    assert grey16.mode == "I;16"
    mpo = encode(image(seed=62), "MPO", save_all=True, append_images=[image(64, 48, seed=63)])

    return [
        Case(
            "jpeg_html_in_com_segment", "comment.jpg", jpeg(seed=50, comment=com_payload), ACCEPTED
        ),
        Case("jpeg_html_after_eoi", "trailer.jpg", jpeg(seed=51) + com_payload, ACCEPTED),
        Case(
            "jpeg_cmyk",
            "print.jpg",
            encode(image(seed=52, mode="CMYK"), "JPEG", quality=90),
            ACCEPTED,
        ),
        Case("jpeg_greyscale", "grey.jpg", encode(image(seed=53, mode="L"), "JPEG"), ACCEPTED),
        Case("jpeg_progressive", "progressive.jpg", jpeg(seed=54, progressive=True), ACCEPTED),
        Case(
            "jpeg_huge_exif_description", "exif.jpg", jpeg(seed=55, exif=exif.tobytes()), ACCEPTED
        ),
        Case(
            "jpeg_exif_orientation_6",
            "rotated.jpg",
            jpeg(seed=56, exif=rotated.tobytes()),
            ACCEPTED,
        ),
        Case(
            "jpeg_exif_ifd_overruns",
            "exif-overrun.jpg",
            jpeg_insert_segment(jpeg(seed=57), 0xE1, broken_ifd),
            ACCEPTED,
        ),
        Case(
            "jpeg_exif_ifd_offset_far",
            "exif-far.jpg",
            jpeg_insert_segment(jpeg(seed=58), 0xE1, far_ifd),
            ACCEPTED,
        ),
        # A primary image plus a second one in MPF, as phones write for HDR gain maps
        # (Ultra HDR) or depth maps: one picture, not an animation.
        Case("jpeg_mpo_two_images", "PXL_ultrahdr.jpg", mpo, ACCEPTED),
        Case(
            "png_16bit_greyscale",
            "grey16.png",
            encode(grey16, "PNG"),
            ACCEPTED,
            content_type="image/png",
        ),
        Case(
            "png_palette_transparency",
            "palette.png",
            encode(palette, "PNG"),
            ACCEPTED,
            content_type="image/png",
        ),
        Case("png_la", "la.png", png(seed=64, mode="LA"), ACCEPTED, content_type="image/png"),
        Case(
            "png_rgba",
            "rgba.png",
            encode(Image.fromarray(pixels(128, 96, 65, channels=4)), "PNG"),
            ACCEPTED,
            content_type="image/png",
        ),
        Case(
            "webp_lossy",
            "photo.webp",
            encode(image(seed=66), "WEBP", quality=80),
            ACCEPTED,
            content_type="image/webp",
        ),
        Case(
            "webp_lossless_alpha",
            "alpha.webp",
            encode(Image.fromarray(pixels(128, 96, 67, channels=4)), "WEBP", lossless=True),
            ACCEPTED,
            content_type="image/webp",
        ),
        # Names and extensions lie; the bytes decide.
        Case("png_named_photo_jpg", "photo.jpg", png(seed=70), ACCEPTED),
        Case("jpeg_named_x_png", "x.png", jpeg(seed=71), ACCEPTED, content_type="image/png"),
        Case(
            "no_extension",
            "IMG_4242",
            jpeg(seed=72),
            ACCEPTED,
            content_type="application/octet-stream",
        ),
        Case("unicode_filename", "日本語 ✓ ünïcödé.jpg", jpeg(seed=73), ACCEPTED),
        Case("path_traversal_slash", "../../etc/passwd.jpg", jpeg(seed=74), ACCEPTED),
        Case("path_traversal_backslash", "..\\..\\win.ini.jpg", jpeg(seed=75), ACCEPTED),
        Case(
            "path_traversal_html_escaped",
            "..&#47;..&#47;etc&#47;shadow.jpg",
            jpeg(seed=76),
            ACCEPTED,
        ),
        Case("absolute_windows_path", "C:\\Users\\me\\Pictures\\cat.jpg", jpeg(seed=77), ACCEPTED),
        Case(
            "filename_nul_and_controls",
            "evil\x00.php\x01\x1b[31m\x7f\u202e.jpg",
            jpeg(seed=78),
            ACCEPTED,
        ),
        Case("filename_html", '<img src=x onerror="alert(1)">.jpg', jpeg(seed=79), ACCEPTED),
        # The longest name a file system allows (255 bytes); the display name keeps 200.
        Case("filename_255_bytes", "a" * 251 + ".jpg", jpeg(seed=80), ACCEPTED),
        # Longer than any real file name: Django's multipart parser refuses the part headers.
        Case("filename_2000_chars", "a" * 2000 + ".jpg", jpeg(seed=82), PARSE_ERROR),
        Case("filename_dotdot_only", "..", jpeg(seed=81), FILE_MISSING),
    ]


def build_corpus() -> list[Case]:
    cases = _unsupported() + _animated() + _corrupt() + _dimensions() + _size() + _accepted()
    names = [case.name for case in cases]
    assert len(names) == len(set(names)), "case names must be unique"
    return cases


CORPUS: list[Case] = build_corpus()
