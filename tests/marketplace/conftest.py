import pytest


@pytest.fixture(autouse=True)
def _files_in_tmp(media_root):
    """Originals and packages in a temporary folder per test."""
    return media_root
