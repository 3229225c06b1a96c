import pytest


@pytest.fixture(autouse=True)
def _isolated(fresh_near_index, media_root):
    """Every transparency test: a fresh near-duplicate index (tests/fixtures/moderation.py)
    and its files in a temporary folder."""
