"""Caps that keep hostile metadata (a 60 kB EXIF comment, 10,000 keywords) small."""

from __future__ import annotations

MAX_STRING = 500
MAX_ITEMS = 50
MAX_LONG_TEXT = 4000  # generator prompts and workflows are kept a little longer


def clip(value, limit: int = MAX_STRING):
    """Make any metadata value JSON-safe and small."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        value = value.replace("\x00", "").strip()
        return value[:limit]
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict):
        return {clip(str(k), 100): clip(v, limit) for k, v in list(value.items())[:MAX_ITEMS]}
    if isinstance(value, list | tuple):
        return [clip(v, limit) for v in list(value)[:MAX_ITEMS]]
    return clip(str(value), limit)
