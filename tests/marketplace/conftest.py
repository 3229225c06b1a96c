import pytest

from tests.devtools.conftest import stripe_client, stripe_server, webhook_sink  # noqa: F401


@pytest.fixture(autouse=True)
def _files_in_tmp(media_root):
    """Originals and packages in a temporary folder per test."""
    return media_root
