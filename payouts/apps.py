from django.apps import AppConfig
from django.core import checks


class PayoutsConfig(AppConfig):
    name = "payouts"

    def ready(self) -> None:
        # Registers this app's Stripe webhook handlers (account.updated); other apps register
        # theirs in their own ready() with payouts.webhooks.register.
        from payouts import webhooks  # noqa: F401
        from payouts.checks import holdback_within_fee

        checks.register(holdback_within_fee, "payouts")
