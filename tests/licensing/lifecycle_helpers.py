"""Grants, declarations and hook recorders for the lifecycle tests (expiry, destruction,
attestations). Declarations are made as rows here; the declaration service is tested on its
own."""

from __future__ import annotations

import itertools
from datetime import date

from accounts.models import MembershipRole
from licensing import registry
from licensing.grants import GrantItemSpec, license_grant_create
from licensing.models import ModelDeclaration, ModelDeclarationItem
from tests.accounts.factories import BuyerFactory, MembershipFactory

DESTROY = "generative-commercial-3y"  # 36 months, destroy-models
STOP = "nongenerative-research-5y"  # 60 months, stop-training
_n = itertools.count(1)


def team_of(user):
    return user.memberships.get().organization


def member_of(team, role=MembershipRole.MEMBER):
    user = BuyerFactory(membership=None)
    MembershipFactory(user=user, organization=team, role=role)
    return user


def grant_for(buyer, works, *, starts_at):
    ref = next(_n)
    specs = []
    for work in works:
        offer = work.offers.get()
        specs.append(
            GrantItemSpec(
                work_id=work.id,
                offer_id=offer.id,
                creator_id=work.owner_id,
                work_title=work.title,
                terms=offer.terms.canonical(),
                terms_hash=offer.terms_hash,
                price_amount=offer.price_amount,
                currency=offer.currency,
                item_ref=f"test_item:{ref}:{work.id}",
            )
        )
    grant, _ = license_grant_create(
        organization=team_of(buyer),
        source_reference=f"test:{ref}",
        items=specs,
        starts_at=starts_at,
    )
    return grant


def license_on(buyer, work, terms, *, starts_at, ref):
    """The team licenses `work` on `terms` (the creator's new offer, replacing the current one)
    from `starts_at`."""
    from licensing.services import offer_create, offer_withdraw
    from tests.marketplace.factories import CONTEXT

    offer_withdraw(offer=work.offers.get(status="active"), actor=work.owner, context=CONTEXT)
    offer = offer_create(
        work=work,
        actor=work.owner,
        terms=terms,
        price_amount=900,
        currency="USD",
        consent=True,
        context=CONTEXT,
    )
    grant, _ = license_grant_create(
        organization=team_of(buyer),
        source_reference=f"test:{ref}",
        starts_at=starts_at,
        items=[
            GrantItemSpec(
                work_id=work.id,
                offer_id=offer.id,
                creator_id=work.owner_id,
                work_title=work.title,
                terms=offer.terms.canonical(),
                terms_hash=offer.terms_hash,
                price_amount=900,
                currency="USD",
                item_ref=f"test:{ref}:1",
            )
        ],
    )
    return grant.items.get()


def declare(buyer, items, *, name="Orbit", version="1", started=date(2026, 1, 1)):
    declaration = ModelDeclaration.objects.create(
        organization=team_of(buyer),
        declared_by=buyer,
        name=name,
        version=version,
        purpose="Image generator",
        is_commercial=True,
        is_generative=True,
        training_started_on=started,
        training_ended_on=started,
    )
    for item in items:
        ModelDeclarationItem.objects.create(declaration=declaration, grant_item=item)
    return declaration


class HookRecorder:
    """A real in-process registry entry that records what licensing sends."""

    def __init__(self):
        self.met: list[list[str]] = []
        self.breached: list[list[str]] = []
        self.overdue: list[tuple[int, list[int]]] = []

    def on_met(self, refs):
        self.met.append(sorted(refs))

    def on_breached(self, refs):
        self.breached.append(sorted(refs))

    def on_overdue(self, org_id, declaration_ids):
        self.overdue.append((org_id, sorted(declaration_ids)))


def recording_hooks():
    """For a `hooks` fixture: `yield from recording_hooks()`."""
    recorder = HookRecorder()
    pairs = [
        (registry.destruction_met, recorder.on_met),
        (registry.destruction_breached, recorder.on_breached),
        (registry.team_overdue, recorder.on_overdue),
    ]
    for hooks_list, hook in pairs:
        hooks_list.append(hook)
    yield recorder
    for hooks_list, hook in pairs:
        hooks_list.remove(hook)
