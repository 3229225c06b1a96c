"""What a file says about itself: EXIF, XMP, IPTC IIM, generator text chunks and C2PA, reduced
to plain JSON on the work, plus the few facts that fraud checks and licenses read directly.

Every reader treats its input as hostile: it never raises, caps every string and list, and
reports a reader's failure under `errors` instead of failing the upload."""

from __future__ import annotations

from uploads.metadata.extract import MetadataSummary, extract_metadata

__all__ = ["MetadataSummary", "extract_metadata"]
