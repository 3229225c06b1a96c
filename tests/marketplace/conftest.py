from tests.devtools.conftest import stripe_client, stripe_server, webhook_sink  # noqa: F401
