"""What processing one medium yields: rendition files to store and facts to set on the work.
Each medium's module fills one (`uploads.audio.processing`, `uploads.text.processing`, images in
`uploads.services.processing`); the service stores them the same way for all."""

from __future__ import annotations

from dataclasses import dataclass, field

from uploads.metadata import MetadataSummary

# The media type of a rendition, from the extension processing gave its key.
RENDITION_MEDIA_TYPES = {"jpg": "image/jpeg", "ogg": "audio/ogg"}


@dataclass
class Processed:
    summary: MetadataSummary
    # Work file field -> (bytes, extension), e.g. {"thumbnail": (jpeg, "jpg")}.
    renditions: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    # Other Work attributes to set (fingerprints, excerpt, language...).
    fields: dict = field(default_factory=dict)


def rendition_media_type(name: str) -> str:
    return RENDITION_MEDIA_TYPES.get(name.rsplit(".", 1)[-1].lower(), "application/octet-stream")
