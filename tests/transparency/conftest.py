import pytest


@pytest.fixture(autouse=True)
def _fresh_near_index():
    """Each test has its own rows: the per-process near-duplicate index must not carry ids."""
    from moderation.neardup import near_index_reset

    near_index_reset()
    yield
    near_index_reset()


@pytest.fixture(autouse=True)
def _files_in_tmp(media_root):
    return media_root
