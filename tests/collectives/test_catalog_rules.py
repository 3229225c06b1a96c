"""The catalog and checkout respect a collective's rules: a floor takes offers below it off
sale for everyone; a strike hides the pooled works from the struck team only."""

from __future__ import annotations

import pytest

from collectives.models import ProposalKind
from config.errors import ApplicationError
from marketplace.services.checkout import order_freeze
from marketplace.services.renewals import renewal_quote
from tests.factories import BuyerFactory, DatasetFactory, ListedWorkFactory
from tests.factories.accounts import team_of
from tests.factories.marketplace import OrderFactory

from .conftest import pass_proposal


def catalog_ids(api_client, user=None) -> set[int]:
    api_client.force_authenticate(user)
    response = api_client.get("/api/v1/catalog/", {"use": "ai-train-generative", "per_page": 100})
    assert response.status_code == 200, response.content
    return {w["id"] for w in response.json()["results"]}


def test_a_team_strike_hides_pooled_works_from_that_team_only(api_client, trio, media_root):
    struck, other = BuyerFactory(), BuyerFactory()
    pooled = {w.id for w in trio.works}
    assert pooled <= catalog_ids(api_client, struck)
    pass_proposal(
        trio.collective, trio.creators, ProposalKind.STRIKE_TEAM, {"team": team_of(struck).slug}
    )
    assert not pooled & catalog_ids(api_client, struck)
    assert pooled <= catalog_ids(api_client, other)
    assert pooled <= catalog_ids(api_client, None)


def test_a_raised_floor_hides_offers_below_it_from_everyone(api_client, trio, media_root):
    cheap_outside = ListedWorkFactory(price=1500)
    pass_proposal(
        trio.collective,
        trio.creators,
        ProposalKind.FLOOR_SET,
        {"use": "ai-train-generative", "currency": "USD", "amount": 2000},
    )
    ids = catalog_ids(api_client, None)
    assert not {w.id for w in trio.works} & ids
    assert cheap_outside.id in ids


def test_checkout_after_a_strike_drops_the_works_and_says_why(trio, media_root):
    buyer = BuyerFactory()
    dataset = DatasetFactory(user=buyer, works=trio.works)
    pass_proposal(
        trio.collective, trio.creators, ProposalKind.STRIKE_TEAM, {"team": team_of(buyer).slug}
    )
    with pytest.raises(ApplicationError) as exc:
        order_freeze(dataset=dataset, user=buyer)
    dataset.refresh_from_db()
    assert dataset.items.count() == 0
    assert any("collective" in n["reason"] for n in dataset.notices)
    assert exc.value.code in {"quote_changed", "dataset_empty"}


def test_a_team_strike_leaves_nothing_to_renew_for_that_team(trio, media_root):
    buyer = BuyerFactory()
    order = OrderFactory(user=buyer, works=trio.works, paid=True, build=False)
    grant = order.license_grant
    assert len(renewal_quote(grant=grant, user=buyer).renewable) == 3
    pass_proposal(
        trio.collective, trio.creators, ProposalKind.STRIKE_TEAM, {"team": team_of(buyer).slug}
    )
    quote = renewal_quote(grant=grant, user=buyer)
    assert quote.renewable == [] and len(quote.not_renewable) == 3
