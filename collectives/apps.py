from django.apps import AppConfig


class CollectivesConfig(AppConfig):
    name = "collectives"

    def ready(self) -> None:
        # Licensing asks us before an offer is made (floors) and when it lists what may be sold
        # (floors, strikes); it cannot import this app, which stands above it.
        from collectives import rules
        from licensing import registry

        if rules.offer_check not in registry.offer_checks:
            registry.offer_checks.append(rules.offer_check)
        if rules.sale_exclusion not in registry.sale_exclusions:
            registry.sale_exclusions.append(rules.sale_exclusion)
