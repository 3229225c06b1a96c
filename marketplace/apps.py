from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "marketplace"

    def ready(self) -> None:
        from . import webhooks  # noqa: F401  (registers the Stripe event handlers)
