"""The holdback wired to sales and to the license lifecycle: a paid `destroy-models` item holds
back part of the fee in the ledger; when licensing says the destruction duty is met, it becomes
the buying team's credit (shown on its license list); when the duty is breached for good, it
goes to the creator. Nothing is mocked: licensing's hooks are called as its sweep calls them,
and every assertion reads the ledger or a page.

Figures: price 10,000, fee 20% (2,000), holdback 10% (1,000)."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from licensing import registry
from licensing.terms import LicenseTerms, OnExpiry, Use
from payouts.models import AccountKind, LedgerEntry
from payouts.selectors.ledger import creator_balances, trial_balance
from payouts.selectors.team_credit import team_credit_balances
from tests.factories import BuyerFactory, CreatorFactory, team_of

from .factories import listed_work
from .lifecycle import DESTROY, paid_order

pytestmark = pytest.mark.django_db
K = AccountKind
PRICE, SHARE, HOLDBACK = 10_000, 8_000, 1_000


@pytest.fixture(autouse=True)
def fees(settings, media_root):
    settings.PLATFORM_FEE_BPS = 2000
    settings.LICENSE_HOLDBACK_BPS = 1000


@pytest.fixture
def ada():
    return CreatorFactory()


@pytest.fixture
def buyer():
    return BuyerFactory()


def held_back(item_ref: str) -> int:
    total = LedgerEntry.objects.filter(item_ref=item_ref, account__kind=K.HOLDBACK).aggregate(
        s=Sum("amount")
    )["s"]
    return -(total or 0)


def balanced() -> bool:
    return all(sum(column.values()) == 0 for column in trial_balance().values())


@pytest.fixture
def sold(buyer, ada):
    """One `destroy-models` item and one `stop-training` item in a paid order."""
    stop = LicenseTerms(frozenset({Use.GENERATIVE}), True, 36, OnExpiry.STOP_TRAINING)
    destroy = listed_work(ada, preset=DESTROY, price=PRICE)
    keep = listed_work(ada, terms=stop, price=PRICE)
    order = paid_order(buyer, [destroy, keep], build=False)
    items = {i.work_id: i for i in order.items.all()}
    return {"order": order, "destroy": items[destroy.id], "stop": items[keep.id]}


def test_a_paid_destroy_models_item_holds_back_part_of_the_fee(sold, ada):
    assert held_back(sold["destroy"].item_ref) == HOLDBACK
    assert held_back(sold["stop"].item_ref) == 0  # no destruction duty, nothing held back
    assert creator_balances(ada).held == 2 * SHARE  # the creator's share never changes
    assert balanced()


def test_destruction_met_releases_the_holdback_to_the_teams_credit(client, sold, buyer, ada):
    ref = sold["destroy"].item_ref
    registry.destruction_met_send([ref, sold["stop"].item_ref, "test_item:99"])

    assert held_back(ref) == 0
    assert team_credit_balances(team_of(buyer)) == {"USD": HOLDBACK}
    assert creator_balances(ada).available == 0  # the creator's money is untouched
    assert balanced()
    # A later sweep calls the hook again: nothing moves twice.
    registry.destruction_met_send([ref])
    registry.destruction_breached_send([ref])  # too late: it was released
    assert team_credit_balances(team_of(buyer)) == {"USD": HOLDBACK}
    assert creator_balances(ada).available == 0

    client.force_login(buyer)
    page = client.get("/licenses/").content.decode()
    assert 'data-testid="team-credit"' in page and 'data-testid="credit-USD">$10.00<' in page


def test_destruction_breached_gives_the_holdback_to_the_creator(client, sold, buyer, ada):
    ref = sold["destroy"].item_ref
    registry.destruction_breached_send([ref])

    assert held_back(ref) == 0
    assert creator_balances(ada).available == HOLDBACK
    assert team_credit_balances(team_of(buyer)) == {}
    assert balanced()
    registry.destruction_breached_send([ref])
    registry.destruction_met_send([ref])
    assert creator_balances(ada).available == HOLDBACK
    assert team_credit_balances(team_of(buyer)) == {}

    client.force_login(buyer)
    assert 'data-testid="team-credit"' not in client.get("/licenses/").content.decode()


def test_each_items_holdback_goes_to_the_team_that_bought_it(ada):
    first, second = BuyerFactory(), BuyerFactory()
    one = paid_order(first, [listed_work(ada, preset=DESTROY, price=PRICE)], build=False)
    two = paid_order(second, [listed_work(ada, preset=DESTROY, price=2 * PRICE)], build=False)
    registry.destruction_met_send([i.item_ref for o in (one, two) for i in o.items.all()])
    assert team_credit_balances(team_of(first)) == {"USD": HOLDBACK}
    assert team_credit_balances(team_of(second)) == {"USD": 2 * HOLDBACK}
