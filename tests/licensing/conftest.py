"""Licensing tests make works through the real intake, with storage in a temporary folder."""

from tests.uploads.conftest import media_root  # noqa: F401
