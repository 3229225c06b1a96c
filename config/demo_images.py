"""Pleasant abstract pictures for the demo data, drawn with Pillow so the repo ships no images."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFilter

PALETTES = [
    [(244, 162, 97), (231, 111, 81), (42, 157, 143), (38, 70, 83), (233, 196, 106)],
    [(202, 240, 248), (0, 180, 216), (3, 4, 94), (144, 224, 239), (0, 119, 182)],
    [(255, 232, 214), (221, 190, 169), (107, 112, 92), (165, 165, 141), (183, 183, 164)],
    [(255, 190, 11), (251, 86, 7), (255, 0, 110), (131, 56, 236), (58, 134, 255)],
]


def demo_picture(
    seed: int, size: tuple[int, int] = (1600, 1067), *, artist: str | None = None
) -> bytes:
    rng = random.Random(seed)  # noqa: S311 - pictures, not secrets
    palette = PALETTES[seed % len(PALETTES)]
    width, height = size
    image = Image.new("RGB", size, palette[0])
    draw = ImageDraw.Draw(image)
    for band in range(height):  # a soft vertical gradient for a sky
        t = band / height
        top, bottom = palette[1], palette[0]
        colour = tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        draw.line([(0, band), (width, band)], fill=colour)
    for _ in range(rng.randint(3, 6)):  # hills
        base = rng.randint(height // 2, height)
        points = (
            [(0, height)]
            + [(x, base - rng.randint(0, height // 3)) for x in range(0, width + 200, 200)]
            + [(width, height)]
        )
        draw.polygon(points, fill=rng.choice(palette[2:]))
    sun = rng.randint(width // 6, width - width // 6), rng.randint(height // 8, height // 3)
    radius = rng.randint(height // 12, height // 6)
    draw.ellipse(
        [sun[0] - radius, sun[1] - radius, sun[0] + radius, sun[1] + radius],
        fill=rng.choice(palette),
    )
    image = image.filter(ImageFilter.GaussianBlur(1.5))
    out = io.BytesIO()
    exif = Image.Exif()
    if artist:  # authorship metadata naming someone: what screening checks against the uploader
        exif[0x013B] = artist  # Artist
        exif[0x8298] = f"(c) {artist}"  # Copyright
    image.save(out, "JPEG", quality=88, exif=exif)
    return out.getvalue()
