"""Concurrent joins, leaves and votes on PostgreSQL, from real threads with their own
connections: no half state, one decision, one membership, the rule applied once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from collectives.models import Ballot, Floor, Member, Proposal, ProposalKind
from collectives.services.membership import collective_found, collective_join, collective_leave
from collectives.services.votes import ballot_cast, proposal_open
from tests.factories import CreatorFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite has no concurrent writers to race"
    ),
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def at_once(*calls):
    """Run each call on its own thread, released together; returns results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(10)
            results[i] = call()
        except Exception as exc:  # the test asserts what it should be
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_every_member_voting_at_once_decides_once_and_applies_once():
    creators = [CreatorFactory() for _ in range(7)]
    collective = collective_found(founder=creators[0], name="Race Pool", charter="x")
    for creator in creators[1:]:
        collective_join(collective=collective, user=creator)
    proposal = proposal_open(
        collective=collective,
        user=creators[0],
        kind=ProposalKind.FLOOR_SET,
        payload={"use": "ai-input", "currency": "USD", "amount": 900},
    )
    results = at_once(
        *[lambda c=c: ballot_cast(proposal=proposal, user=c, in_favour=True) for c in creators]
    )
    proposal.refresh_from_db()
    assert proposal.status == "passed"
    # Decided the moment a majority was certain; later ballots were refused as closed, never
    # half-recorded.
    ballots = Ballot.objects.filter(proposal=proposal).count()
    assert proposal.yes_count == ballots >= 4
    refused = [r for r in results if isinstance(r, Exception)]
    assert all(getattr(r, "code", "") == "vote_closed" for r in refused)
    assert ballots + len(refused) == 7
    assert Floor.objects.filter(collective=collective).count() == 1


def test_one_member_voting_twice_at_once_leaves_one_ballot():
    creators = [CreatorFactory() for _ in range(3)]
    collective = collective_found(founder=creators[0], name="Twice Pool", charter="x")
    for creator in creators[1:]:
        collective_join(collective=collective, user=creator)
    proposal = proposal_open(
        collective=collective,
        user=creators[0],
        kind=ProposalKind.STRIKE_USE,
        payload={"use": "ai-input"},
    )
    results = at_once(
        *[lambda: ballot_cast(proposal=proposal, user=creators[1], in_favour=False)] * 4
    )
    assert not [r for r in results if isinstance(r, Exception)]
    assert Ballot.objects.filter(proposal=proposal).count() == 1
    assert len({r.id for r in results}) == 1


def test_joining_twice_at_once_makes_one_membership():
    founder, joiner = CreatorFactory(), CreatorFactory()
    collective = collective_found(founder=founder, name="Join Pool", charter="x")
    results = at_once(*[lambda: collective_join(collective=collective, user=joiner)] * 4)
    assert not [r for r in results if isinstance(r, Exception)]
    assert Member.objects.filter(collective=collective, user=joiner).count() == 1


def test_leaving_while_a_vote_is_counted_keeps_the_electorate_consistent():
    creators = [CreatorFactory() for _ in range(4)]
    collective = collective_found(founder=creators[0], name="Leave Pool", charter="x")
    for creator in creators[1:]:
        collective_join(collective=collective, user=creator)
    proposal = proposal_open(
        collective=collective,
        user=creators[0],
        kind=ProposalKind.STRIKE_USE,
        payload={"use": "ai-evaluate"},
    )
    at_once(
        lambda: ballot_cast(proposal=proposal, user=creators[0], in_favour=True),
        lambda: ballot_cast(proposal=proposal, user=creators[1], in_favour=True),
        lambda: collective_leave(collective=collective, user=creators[3]),
        lambda: ballot_cast(proposal=proposal, user=creators[2], in_favour=True),
    )
    proposal = Proposal.objects.get(id=proposal.id)
    # Whatever the order, the decision counted the members who could vote at that moment.
    assert proposal.status == "passed"
    assert proposal.electorate in (3, 4)
    assert proposal.yes_count == Ballot.objects.filter(proposal=proposal).count()
