from django.apps import AppConfig


class InsightConfig(AppConfig):
    """What buyers asked for, in aggregate, for creators: demand by use and tag over 90 days,
    with every figure backed by at least five teams."""

    name = "insight"

    def ready(self) -> None:
        from insight.services.recording import demand_listener
        from marketplace import registry

        # ready() may run twice (tests, autoreload).
        if demand_listener not in registry.demand_listeners:
            registry.demand_listeners.append(demand_listener)
