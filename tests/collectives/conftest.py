"""Collectives' test helpers: a collective of three creators with one pooled work each."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from collectives.models import Collective
from collectives.services.membership import collective_found, collective_join
from collectives.services.pool import works_assign
from collectives.services.votes import ballot_cast, proposal_open
from tests.factories import CreatorFactory, ListedWorkFactory
from tests.factories.licensing import CONTEXT


@dataclass
class Trio:
    collective: Collective
    creators: list
    works: list


def pass_proposal(collective, creators, kind, payload):
    """Open a proposal and have every creator vote yes; returns it decided."""
    proposal = proposal_open(collective=collective, user=creators[0], kind=kind, payload=payload)
    for creator in creators:
        ballot_cast(proposal=proposal, user=creator, in_favour=True)
        proposal.refresh_from_db()
        if proposal.status != "open":
            break  # decided once the rest could not change it
    assert proposal.status == "passed"
    return proposal


@pytest.fixture
def trio(db, media_root) -> Trio:
    creators = [CreatorFactory() for _ in range(3)]
    collective = collective_found(
        founder=creators[0], name="Northern Light Photographers", charter="We set floors together."
    )
    for creator in creators[1:]:
        collective_join(collective=collective, user=creator)
    works = [
        ListedWorkFactory(owner=c, price=1500, title=f"Fjord {i}") for i, c in enumerate(creators)
    ]
    for creator, work in zip(creators, works, strict=True):
        works_assign(
            collective=collective, user=creator, work_ids=[work.id], consent=True, context=CONTEXT
        )
    return Trio(collective, creators, works)
