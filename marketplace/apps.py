from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "marketplace"

    def ready(self) -> None:
        from licensing import registry as licensing_registry
        from marketplace import webhooks  # noqa: F401  (registers the Stripe event handlers)
        from marketplace.describers import describe_order_items
        from marketplace.services.holdbacks import holdbacks_forfeit, holdbacks_release
        from payouts import registry
        from uploads.selectors.works import work_ids_for_owner, work_titles

        if describe_order_items not in registry.sale_describers:
            registry.sale_describers.append(describe_order_items)
        # The ledger knows works by id: the earnings page names them, freezes find them.
        if work_titles not in registry.work_describers:
            registry.work_describers.append(work_titles)
        if work_ids_for_owner not in registry.creator_work_finders:
            registry.creator_work_finders.append(work_ids_for_owner)
        # A sale's holdback follows the license's destruction duty.
        if holdbacks_release not in licensing_registry.destruction_met:
            licensing_registry.destruction_met.append(holdbacks_release)
        if holdbacks_forfeit not in licensing_registry.destruction_breached:
            licensing_registry.destruction_breached.append(holdbacks_forfeit)
