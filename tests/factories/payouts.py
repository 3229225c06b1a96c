"""Payout accounts and freezes as our database knows them (ledger rows have no factory: the
ledger is written only by `payouts.services.ledger.post`; tests/payouts/factories.py `sell` goes
through it)."""

from __future__ import annotations

import factory

from payouts.models import Freeze, PayoutAccount

from .accounts import CreatorFactory, StaffFactory


class PayoutAccountFactory(factory.django.DjangoModelFactory):
    """A creator's Connect account as our database knows it. Tests that send money give it a
    real account id from the local Stripe server (`stripe_account_id=...`)."""

    class Meta:
        model = PayoutAccount

    creator = factory.SubFactory(CreatorFactory)
    stripe_account_id = factory.Sequence(lambda n: f"acct_test{n:012d}")
    details_submitted = True
    charges_enabled = True
    payouts_enabled = True


class FreezeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Freeze

    reason = "Rights claim under review"
    frozen_by = factory.SubFactory(StaffFactory)
