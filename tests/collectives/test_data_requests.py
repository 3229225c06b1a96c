"""A creator's answer to a buyer's data request is a sale at the request's price: their
collective's floor holds there too, and a strike against the team hides the request's fit."""

from __future__ import annotations

import pytest
from django.test import Client

from collectives.models import ProposalKind
from collectives.services.pool import works_assign
from config.errors import ApplicationError
from marketplace.selectors.data_requests import matching_works
from tests.factories import BuyerFactory
from tests.factories.accounts import team_of
from tests.factories.licensing import CONTEXT
from tests.marketplace.data_requests import fitting_work, offer_into, post_request

from .conftest import pass_proposal


@pytest.fixture
def harbour(trio, media_root):
    """A fitting work of the first member, pooled, and a $10.00 request of a team."""
    work = fitting_work(trio.creators[0], price=2500)
    works_assign(
        collective=trio.collective,
        user=trio.creators[0],
        work_ids=[work.id],
        consent=True,
        context=CONTEXT,
    )
    buyer = BuyerFactory()
    return work, buyer, post_request(buyer)


def test_an_answer_below_the_collective_floor_is_refused(trio, harbour):
    work, _, data_request = harbour
    pass_proposal(
        trio.collective,
        trio.creators,
        ProposalKind.FLOOR_SET,
        {"use": "ai-train-generative", "currency": "USD", "amount": 2000},
    )
    with pytest.raises(ApplicationError) as exc:
        offer_into(data_request, work)  # the request pays $10.00
    assert exc.value.code == "price_below_collective_floor"


def test_without_a_floor_the_pooled_work_answers_the_request(trio, harbour):
    work, _, data_request = harbour
    assert offer_into(data_request, work).price_amount == 1000


def test_a_strike_against_the_team_leaves_no_work_fitting_its_request(trio, harbour):
    work, buyer, data_request = harbour
    assert work in matching_works(data_request=data_request, creator=trio.creators[0])
    pass_proposal(
        trio.collective, trio.creators, ProposalKind.STRIKE_TEAM, {"team": team_of(buyer).slug}
    )
    assert work not in matching_works(data_request=data_request, creator=trio.creators[0])


def test_members_see_the_open_requests_their_pool_fits(trio, harbour):
    _, _, data_request = harbour
    client = Client()
    client.force_login(trio.creators[2])  # another member: the fitting work is Ada's
    body = client.get(f"/collectives/{trio.collective.slug}/").content.decode()
    assert data_request.title in body and "1 pooled work fits" in body
