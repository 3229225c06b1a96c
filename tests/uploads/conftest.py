"""Helpers for works tests (the `media_root` fixture is in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path


def stored_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
