"""Grants, declarations and hook recorders for the lifecycle tests (expiry, destruction,
attestations), over tests/factories. Declarations are made as rows; the declaration service is
tested on its own."""

from __future__ import annotations

from datetime import date

from licensing import registry
from licensing.services.offers import offer_withdraw
from tests.factories import (
    CONTEXT,
    LicenseGrantFactory,
    ModelDeclarationFactory,
    OfferFactory,
    team_of,
)

DESTROY = "generative-commercial-3y"  # 36 months, destroy-models
STOP = "nongenerative-research-5y"  # 60 months, stop-training


def grant_for(buyer, works, *, starts_at):
    """A license for the buyer's team on each work's live offer."""
    return LicenseGrantFactory(organization=team_of(buyer), works=works, starts_at=starts_at)


def license_on(buyer, work, terms, *, starts_at, ref):
    """The team licenses `work` on `terms` (the creator's new offer, replacing the current one)
    from `starts_at`."""
    offer_withdraw(offer=work.offers.get(status="active"), actor=work.owner, context=CONTEXT)
    offer = OfferFactory(work=work, terms=terms, preset="", price_amount=900)
    grant = LicenseGrantFactory(
        organization=team_of(buyer),
        source_reference=f"test:{ref}",
        offers=[offer],
        starts_at=starts_at,
    )
    return grant.items.get()


def attest_page(declaration) -> str:
    """The page where an owner of the declaring team attests the model's destruction."""
    return f"/team/models/{declaration.uuid}/attest/"


def attestation_on_file(declaration, user, **fields):
    """A destruction attestation for `declaration`, signed by `user`, made as a row (the
    attestation service is tested on its own); `fields` override the defaults."""
    from licensing.models import DestructionAttestation

    values = {
        "destroyed_on": date(2027, 5, 1),
        "method": "Weights deleted",
        "statement": "s",
        "signature": "0" * 64,
    }
    return DestructionAttestation.objects.create(
        declaration=declaration, attested_by=user, **{**values, **fields}
    )


def declare(buyer, items, *, name="Orbit", version="1", started=date(2026, 1, 1)):
    return ModelDeclarationFactory(
        declared_by=buyer,
        items=items,
        name=name,
        version=version,
        purpose="Image generator",
        training_started_on=started,
        training_ended_on=started,
    )


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
