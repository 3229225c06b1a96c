from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "marketplace"

    def ready(self) -> None:
        from payouts import registry

        from . import webhooks  # noqa: F401  (registers the Stripe event handlers)
        from .describers import describe_order_items

        if describe_order_items not in registry.sale_describers:
            registry.sale_describers.append(describe_order_items)
