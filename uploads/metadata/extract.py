"""Run every reader on one file and summarise what the rest of Assent needs."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from PIL import Image

from uploads.metadata.c2pa import read_c2pa
from uploads.metadata.exif import read_exif
from uploads.metadata.png_text import generator_hints, read_png_text
from uploads.metadata.xmp_iptc import read_xmp_iptc

logger = logging.getLogger(__name__)

# Software names of generators that stamp their name into EXIF Software or XMP CreatorTool.
KNOWN_GENERATOR_SOFTWARE = (
    "midjourney",
    "dall-e",
    "dall·e",
    "stable diffusion",
    "firefly",
    "imagen",
    "novelai",
    "leonardo",
    "flux",
    "comfyui",
    "automatic1111",
    "invokeai",
    "ideogram",
)


@dataclass
class MetadataSummary:
    data: dict = field(default_factory=dict)
    creator: str = ""
    digital_source_type: str = ""
    data_mining: str = ""
    has_c2pa: bool = False


def _safely(name: str, errors: dict, reader, *args):
    try:
        return reader(*args)
    except Exception as exc:  # a hostile file may break any reader; record it and go on
        logger.info("metadata reader %s failed: %s", name, exc)
        errors[name] = f"{type(exc).__name__}: {str(exc)[:200]}"
        return None


def extract_metadata(data: bytes, image: Image.Image, media_type: str) -> MetadataSummary:
    errors: dict[str, str] = {}
    exif = _safely("exif", errors, read_exif, image) or {}
    xmp, iptc = _safely("xmp_iptc", errors, read_xmp_iptc, data) or ({}, {})
    png_text = read_png_text(image) if media_type == "image/png" else {}
    c2pa = _safely("c2pa", errors, read_c2pa, data, media_type)

    hints = generator_hints(png_text)
    software = " ".join(str(v) for v in (exif.get("software"), xmp.get("creator_tool")) if v)
    if any(name in software.lower() for name in KNOWN_GENERATOR_SOFTWARE):
        hints.append(f"generator software: {software[:100]}")

    c2pa_types = (c2pa or {}).get("digital_source_types") or []
    creators = xmp.get("creator") or iptc.get("byline") or exif.get("artist") or ""
    if isinstance(creators, list):
        creators = ", ".join(str(c) for c in creators)
    data_mining = xmp.get("data_mining") or ""
    summary = MetadataSummary(
        data={
            "exif": exif,
            "xmp": xmp,
            "iptc": iptc,
            "png_text": png_text,
            "c2pa": c2pa,
            "generator_hints": hints,
            "errors": errors,
        },
        creator=str(creators)[:500],
        digital_source_type=str(
            xmp.get("digital_source_type") or (c2pa_types[0] if c2pa_types else "")
        )[:200],
        data_mining=str(data_mining)[:200],
        has_c2pa=bool(c2pa),
    )
    return summary
