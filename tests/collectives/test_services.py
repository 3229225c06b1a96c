"""Collectives: founding, membership, the pool, votes, floors and strikes, as services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Notification
from collectives.models import Assignment, Ballot, ProposalKind, ProposalStatus
from collectives.selectors.collectives import collective_sales, sales_summary
from collectives.services.membership import collective_found, collective_join, collective_leave
from collectives.services.pool import work_unassign, works_assign
from collectives.services.votes import ballot_cast, proposal_close, proposal_open
from config.errors import ApplicationError
from licensing.models import Offer
from licensing.selectors.offers import compatible_offers, sellable_offers
from licensing.services.offers import offer_create
from licensing.terms import PRESETS
from marketplace.services.datasets import dataset_refresh
from tests.factories import BuyerFactory, CreatorFactory, DatasetFactory, ListedWorkFactory
from tests.factories.accounts import team_of
from tests.factories.licensing import CONTEXT, DEFAULT_PRESET
from tests.factories.marketplace import OrderFactory, generative_use

from .conftest import pass_proposal

TERMS = PRESETS[DEFAULT_PRESET].terms  # generative, commercial, 36 months


def offer(work, price, terms=TERMS):
    return offer_create(
        work=work,
        actor=work.owner,
        terms=terms,
        price_amount=price,
        currency="USD",
        consent=True,
        context=CONTEXT,
    )


def on_sale(work, **kwargs) -> bool:
    return sellable_offers(**kwargs).filter(work=work).exists()


# --- Founding and membership -----------------------------------------------------------------


def test_only_creators_found_collectives(db):
    with pytest.raises(ApplicationError) as exc:
        collective_found(founder=BuyerFactory(), name="Buyers United", charter="x")
    assert exc.value.status == 403


def test_a_taken_name_is_refused_with_409(trio):
    with pytest.raises(ApplicationError) as exc:
        collective_found(
            founder=CreatorFactory(), name="Northern Light Photographers", charter="Again."
        )
    assert (exc.value.code, exc.value.status) == ("name_taken", 409)


@pytest.mark.parametrize("quorum", [0, 101, "50", True])
def test_a_quorum_outside_1_to_100_is_refused(db, quorum):
    with pytest.raises(ApplicationError) as exc:
        collective_found(
            founder=CreatorFactory(), name="Odd Quorum", charter="x", quorum_percent=quorum
        )
    assert "quorum_percent" in exc.value.fields


def test_joining_twice_keeps_one_membership(trio):
    creator = trio.creators[1]
    first = collective_join(collective=trio.collective, user=creator)
    assert collective_join(collective=trio.collective, user=creator).id == first.id


def test_leaving_ends_pooled_works_after_the_notice_period_not_at_once(trio):
    creator, work = trio.creators[1], trio.works[1]
    pass_proposal(
        trio.collective,
        trio.creators,
        ProposalKind.FLOOR_SET,
        {"use": "ai-train-generative", "currency": "USD", "amount": 3000},
    )
    member = collective_leave(collective=trio.collective, user=creator)
    assert member.leaves_at - member.leave_requested_at == timedelta(days=30)
    assignment = Assignment.objects.get(work=work)
    assert assignment.ends_at == member.leaves_at
    # During the notice the floor still holds for new sales...
    assert not on_sale(work)
    with pytest.raises(ApplicationError):
        offer(work, 1600)
    # ...and after it, the work is the creator's alone again.
    Assignment.objects.filter(id=assignment.id).update(ends_at=timezone.now())
    assert on_sale(work)


def test_leaving_when_not_a_member_is_refused(trio):
    with pytest.raises(ApplicationError) as exc:
        collective_leave(collective=trio.collective, user=CreatorFactory())
    assert exc.value.code == "not_member"


# --- The pool ----------------------------------------------------------------------------------


def test_pooling_needs_explicit_consent(trio, media_root):
    work = ListedWorkFactory(owner=trio.creators[0])
    with pytest.raises(ApplicationError) as exc:
        works_assign(
            collective=trio.collective,
            user=trio.creators[0],
            work_ids=[work.id],
            consent=False,
            context=CONTEXT,
        )
    assert exc.value.code == "consent_required"
    assert not Assignment.objects.filter(work=work).exists()


def test_a_member_cannot_pool_someone_elses_work(trio, media_root):
    stranger_work = ListedWorkFactory(owner=CreatorFactory())
    with pytest.raises(ApplicationError):
        works_assign(
            collective=trio.collective,
            user=trio.creators[0],
            work_ids=[stranger_work.id],
            consent=True,
            context=CONTEXT,
        )


def test_a_work_sits_in_one_pool_at_a_time(trio):
    other = collective_found(founder=trio.creators[0], name="Second Pool", charter="x")
    with pytest.raises(ApplicationError) as exc:
        works_assign(
            collective=other,
            user=trio.creators[0],
            work_ids=[trio.works[0].id],
            consent=True,
            context=CONTEXT,
        )
    assert (exc.value.code, exc.value.status) == ("already_pooled", 409)


def test_the_consent_names_the_collective_and_the_published_formula(trio):
    assignment = Assignment.objects.get(work=trio.works[0])
    assert "Northern Light Photographers" in assignment.consent_text
    assert "Assent keeps 20%" in assignment.consent_text
    assert "takes no share" in assignment.consent_text
    assert len(assignment.consent_text_hash) == 64


def test_taking_a_work_out_applies_after_the_notice(trio):
    assignment = work_unassign(
        collective=trio.collective, user=trio.creators[0], work_id=trio.works[0].id
    )
    assert assignment.ends_at > timezone.now() + timedelta(days=29)


# --- Votes ------------------------------------------------------------------------------------


def floor_proposal(trio, amount=3000):
    return proposal_open(
        collective=trio.collective,
        user=trio.creators[0],
        kind=ProposalKind.FLOOR_SET,
        payload={"use": "ai-train-generative", "currency": "usd", "amount": amount},
    )


def test_a_majority_passes_a_floor_as_soon_as_the_rest_cannot_change_it(trio):
    proposal = floor_proposal(trio)
    assert proposal.summary.startswith("Floor of $30.00")
    ballot_cast(proposal=proposal, user=trio.creators[0], in_favour=True)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.OPEN  # 1 yes, 2 to come: still open
    ballot_cast(proposal=proposal, user=trio.creators[1], in_favour=True)
    proposal.refresh_from_db()
    assert (proposal.status, proposal.yes_count, proposal.electorate) == ("passed", 2, 3)
    assert trio.collective.floors.get().amount == 3000


def test_a_tie_rejects(trio):
    proposal = floor_proposal(trio)
    ballot_cast(proposal=proposal, user=trio.creators[0], in_favour=True)
    ballot_cast(proposal=proposal, user=trio.creators[1], in_favour=False)
    proposal_close(proposal_id=proposal.id)  # window over, one member did not vote
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.REJECTED
    assert not trio.collective.floors.exists()


def test_too_few_ballots_at_the_close_is_no_quorum(trio):
    trio.collective.quorum_percent = 100
    trio.collective.save()
    proposal = floor_proposal(trio)
    ballot_cast(proposal=proposal, user=trio.creators[0], in_favour=True)
    ballot_cast(proposal=proposal, user=trio.creators[1], in_favour=True)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.OPEN  # quorum is everyone
    proposal_close(proposal_id=proposal.id)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.NO_QUORUM


def test_the_same_vote_twice_is_one_ballot_and_a_changed_vote_is_refused(trio):
    proposal = floor_proposal(trio)
    first = ballot_cast(proposal=proposal, user=trio.creators[0], in_favour=False)
    assert ballot_cast(proposal=proposal, user=trio.creators[0], in_favour=False).id == first.id
    with pytest.raises(ApplicationError) as exc:
        ballot_cast(proposal=proposal, user=trio.creators[0], in_favour=True)
    assert (exc.value.code, exc.value.status) == ("already_voted", 409)
    assert Ballot.objects.filter(proposal=proposal).count() == 1


def test_non_members_cannot_propose_or_vote(trio):
    outsider = CreatorFactory()
    assert floor_proposal(trio).status == "open"  # a member may propose
    with pytest.raises(ApplicationError) as exc:
        proposal_open(
            collective=trio.collective,
            user=outsider,
            kind=ProposalKind.STRIKE_USE,
            payload={"use": "ai-input"},
        )
    assert exc.value.status == 403
    proposal = floor_proposal(trio)
    with pytest.raises(ApplicationError) as exc:
        ballot_cast(proposal=proposal, user=outsider, in_favour=True)
    assert exc.value.code == "not_member"


def test_voting_after_the_window_is_refused(trio):
    proposal = floor_proposal(trio)
    proposal.closes_at = timezone.now() - timedelta(seconds=1)
    proposal.save()
    with pytest.raises(ApplicationError) as exc:
        ballot_cast(proposal=proposal, user=trio.creators[0], in_favour=True)
    assert exc.value.code == "vote_closed"


@pytest.mark.parametrize(
    "kind,payload,field",
    [
        ("floor_set", {"use": "ai-dreaming", "currency": "USD", "amount": 100}, "use"),
        ("floor_set", {"use": "ai-input", "currency": "XXX", "amount": 100}, "currency"),
        ("floor_set", {"use": "ai-input", "currency": "USD", "amount": -1}, "amount"),
        ("floor_set", {"use": "ai-input", "currency": "USD", "amount": 1.5}, "amount"),
        ("strike_team", {"team": "nobody"}, "team"),
        ("strike_end", {"strike_id": 999}, "strike_id"),
        ("rules_set", {"quorum_percent": 0}, "quorum_percent"),
        ("coup", {}, "kind"),
    ],
)
def test_bad_proposals_are_refused_naming_the_field(trio, kind, payload, field):
    with pytest.raises(ApplicationError) as exc:
        proposal_open(collective=trio.collective, user=trio.creators[0], kind=kind, payload=payload)
    assert field in exc.value.fields


# --- Floors -----------------------------------------------------------------------------------


def test_an_offer_below_the_floor_is_refused_with_the_reason(trio):
    pass_proposal(
        trio.collective,
        trio.creators,
        ProposalKind.FLOOR_SET,
        {"use": "ai-train-generative", "currency": "USD", "amount": 3000},
    )
    with pytest.raises(ApplicationError) as exc:
        offer(trio.works[0], 2999)
    assert exc.value.code == "price_below_collective_floor"
    assert "Northern Light Photographers" in exc.value.message
    assert "$30.00" in exc.value.message
    assert offer(trio.works[0], 3000).price_amount == 3000
    # Another currency has no floor; a work outside the pool has none either.
    assert offer(ListedWorkFactory(owner=trio.creators[0]), 200).price_amount == 200


def test_a_raised_floor_takes_existing_offers_off_sale_and_tells_the_creator(trio):
    assert on_sale(trio.works[1])
    pass_proposal(
        trio.collective,
        trio.creators,
        ProposalKind.FLOOR_SET,
        {"use": "ai-train-generative", "currency": "USD", "amount": 2000},
    )
    # Off sale, not repriced: the offer still says 15.00 and is still the creator's.
    assert not on_sale(trio.works[1])
    assert Offer.objects.get(work=trio.works[1]).price_amount == 1500
    notes = Notification.objects.filter(user=trio.creators[1])
    assert notes.count() == 1
    assert "off sale" in notes.get().subject and "nothing was repriced" in notes.get().body


def test_a_monthly_minimum_counts_the_term(trio):
    pass_proposal(
        trio.collective,
        trio.creators,
        ProposalKind.MONTHLY_MINIMUM_SET,
        {"currency": "USD", "amount": 50},  # 36 months -> 18.00
    )
    assert not on_sale(trio.works[0])
    with pytest.raises(ApplicationError):
        offer(trio.works[0], 1799)
    offer(trio.works[0], 1800)
    assert on_sale(trio.works[0])


def test_removing_a_floor_puts_offers_back_on_sale(trio):
    payload = {"use": "ai-train-generative", "currency": "USD", "amount": 2000}
    pass_proposal(trio.collective, trio.creators, ProposalKind.FLOOR_SET, payload)
    assert not on_sale(trio.works[0])
    pass_proposal(trio.collective, trio.creators, ProposalKind.FLOOR_SET, {**payload, "amount": 0})
    assert on_sale(trio.works[0])


# --- Strikes ----------------------------------------------------------------------------------


def test_a_strike_against_a_team_drops_pooled_works_from_its_quote_only(trio, media_root):
    buyer, other_buyer = BuyerFactory(), BuyerFactory()
    outside = ListedWorkFactory(owner=CreatorFactory())
    dataset = DatasetFactory(user=buyer, works=[*trio.works, outside])
    assert dataset.items.count() == 4
    team = team_of(buyer)
    pass_proposal(trio.collective, trio.creators, ProposalKind.STRIKE_TEAM, {"team": team.slug})
    intended = generative_use()
    assert not compatible_offers(intended=intended, organization_id=team.id).filter(
        work__in=trio.works
    )
    assert (
        compatible_offers(intended=intended, organization_id=team_of(other_buyer).id)
        .filter(work__in=trio.works)
        .count()
        == 3
    )
    changes = dataset_refresh(dataset=dataset)
    assert {c.work_id for c in changes} == {w.id for w in trio.works}
    assert all(c.change == "dropped" for c in changes)
    assert "collective" in changes[0].reason
    assert list(dataset.items.values_list("work_id", flat=True)) == [outside.id]


def test_a_strike_against_a_use_withholds_from_buyers_wanting_it(trio):
    pass_proposal(
        trio.collective, trio.creators, ProposalKind.STRIKE_USE, {"use": "ai-train-generative"}
    )
    assert not compatible_offers(intended=generative_use()).filter(work__in=trio.works).exists()
    # The offers themselves stay on sale for other uses they cover.
    assert on_sale(trio.works[0])


def test_ending_a_strike_restores_sales(trio):
    team = team_of(BuyerFactory())
    proposal = pass_proposal(
        trio.collective, trio.creators, ProposalKind.STRIKE_TEAM, {"team": team.slug}
    )
    strike = trio.collective.strikes.get(proposal=proposal)
    pass_proposal(trio.collective, trio.creators, ProposalKind.STRIKE_END, {"strike_id": strike.id})
    assert (
        compatible_offers(intended=generative_use(), organization_id=team.id)
        .filter(work__in=trio.works)
        .count()
        == 3
    )


def test_no_generative_use_by_commercial_buyers(trio):
    pass_proposal(
        trio.collective, trio.creators, ProposalKind.NO_COMMERCIAL_GENERATIVE, {"enabled": True}
    )
    assert (
        not compatible_offers(intended=generative_use(commercial=True))
        .filter(work__in=trio.works)
        .exists()
    )
    assert (
        compatible_offers(intended=generative_use(commercial=False))
        .filter(work__in=trio.works)
        .count()
        == 3
    )


# --- Sales ------------------------------------------------------------------------------------


def test_the_collective_sees_sales_of_pooled_works_and_which_teams_bought(trio, media_root):
    buyer = BuyerFactory()
    outside = ListedWorkFactory(owner=trio.creators[0])  # not pooled
    OrderFactory(user=buyer, works=[trio.works[0], trio.works[1], outside], paid=True, build=False)
    sold = collective_sales(trio.collective)
    assert sorted(i.work_id for i in sold) == sorted([trio.works[0].id, trio.works[1].id])
    summary = sales_summary(trio.collective)
    assert summary.revenue == [
        {"currency": "USD", "total": 3000, "creators_share": 2400, "count": 2}
    ]
    assert summary.teams == [{"name": team_of(buyer).name, "count": 2}]


def test_a_ballot_row_cannot_be_changed_after_it_is_cast(trio):
    proposal = floor_proposal(trio)
    ballot = ballot_cast(proposal=proposal, user=trio.creators[0], in_favour=False)
    ballot.in_favour = True
    with pytest.raises(PermissionError):
        ballot.save()
    assert Ballot.objects.get(id=ballot.id).in_favour is False
