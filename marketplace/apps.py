from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "marketplace"

    def ready(self) -> None:
        from licensing import registry as licensing_registry
        from payouts import registry

        from . import webhooks  # noqa: F401  (registers the Stripe event handlers)
        from .describers import describe_order_items
        from .services.holdbacks import holdbacks_forfeit, holdbacks_release

        if describe_order_items not in registry.sale_describers:
            registry.sale_describers.append(describe_order_items)
        # A sale's holdback follows the license's destruction duty.
        if holdbacks_release not in licensing_registry.destruction_met:
            licensing_registry.destruction_met.append(holdbacks_release)
        if holdbacks_forfeit not in licensing_registry.destruction_breached:
            licensing_registry.destruction_breached.append(holdbacks_forfeit)
