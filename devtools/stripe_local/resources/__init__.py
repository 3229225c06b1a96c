"""One class per Stripe resource; `register_all` routes each class's verbs and extra routes
on a server, in one loop (see base.py for what a class declares)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .accounts import Account, AccountLink
from .balance import Balance, BalanceTransaction
from .checkout import CheckoutSession
from .control import Control
from .events import Event, WebhookEndpoint
from .express import Capability, ExternalAccount, LoginLink
from .payments import Charge, Dispute, PaymentIntent, PaymentMethod, Refund
from .transfers import Transfer, TransferReversal

if TYPE_CHECKING:
    from ..server import StripeLocal

RESOURCES = (
    Event,
    WebhookEndpoint,
    Control,
    CheckoutSession,
    PaymentIntent,
    Charge,
    PaymentMethod,
    Refund,
    Dispute,
    Account,
    AccountLink,
    Balance,
    Transfer,
    TransferReversal,
    LoginLink,
    Capability,
    ExternalAccount,
    BalanceTransaction,
)


def register_all(server: StripeLocal) -> None:
    for cls in RESOURCES:
        resource = cls(server)
        for method, path, handler, api in resource.endpoints():
            server.add_route(method, path, handler, api=api)
