"""Offers (consent recorded by `offer_create`, never written as rows), listed works with their
offer, license grants made by `license_grant_create` as a paid order makes them, model
declarations on grant items and destruction attestations."""

from __future__ import annotations

from datetime import date

import factory
from django.utils import timezone

from licensing.consent import ConsentContext
from licensing.models import (
    DestructionAttestation,
    LicenseGrant,
    ModelDeclaration,
    ModelDeclarationItem,
    Offer,
)
from licensing.services.grants import GrantItemSpec, license_grant_create
from licensing.services.offers import offer_create
from licensing.terms import PRESETS

from .accounts import BuyerFactory, OrganizationFactory, team_of
from .uploads import WorkFactory

CONTEXT = ConsentContext(ip_address="127.0.0.1", user_agent="tests")
DEFAULT_PRESET = "generative-commercial-3y"


class OfferFactory(factory.django.DjangoModelFactory):
    """`OfferFactory(work=w)`: the owner consents to the preset's terms at this price. With
    your own `terms=`, pass `preset=""` as a custom offer has none."""

    class Meta:
        model = Offer

    work = factory.SubFactory(WorkFactory)
    actor = factory.SelfAttribute("work.owner")
    preset = DEFAULT_PRESET
    terms = factory.LazyAttribute(lambda o: PRESETS[o.preset or DEFAULT_PRESET].terms)
    price_amount = 1500
    currency = "USD"

    @classmethod
    def _create(cls, model_class, *, work, actor, terms, preset, price_amount, currency):
        return offer_create(
            work=work,
            actor=actor,
            terms=terms,
            preset=preset,
            price_amount=price_amount,
            currency=currency,
            consent=True,
            context=CONTEXT,
        )


class ListedWorkFactory(WorkFactory):
    """A listed work with one offer: `price`, `currency`, and a `preset` or custom `terms`."""

    class Params:
        price = 1500
        currency = "USD"
        preset = DEFAULT_PRESET
        terms = None

    offer = factory.RelatedFactory(
        OfferFactory,
        factory_related_name="work",
        price_amount=factory.SelfAttribute("..price"),
        currency=factory.SelfAttribute("..currency"),
        preset=factory.LazyAttribute(
            lambda o: "" if o.factory_parent.terms else o.factory_parent.preset
        ),
        terms=factory.LazyAttribute(
            lambda o: o.factory_parent.terms or PRESETS[o.factory_parent.preset].terms
        ),
    )


def grant_item_spec(offer: Offer, *, item_ref: str) -> GrantItemSpec:
    """What a paid order item hands the licensing service for one offer."""
    work = offer.work
    return GrantItemSpec(
        work_id=work.id,
        offer_id=offer.id,
        creator_id=work.owner_id,
        work_title=work.title,
        terms=offer.terms.canonical(),
        terms_hash=offer.terms_hash,
        price_amount=offer.price_amount,
        currency=offer.currency,
        item_ref=item_ref,
    )


class LicenseGrantFactory(factory.django.DjangoModelFactory):
    """`LicenseGrantFactory(organization=team, works=[...])`: one item per work on its live
    offer (or per offer in `offers=[...]`), through `license_grant_create`."""

    class Meta:
        model = LicenseGrant

    organization = factory.SubFactory(OrganizationFactory)
    source_reference = factory.Sequence(lambda n: f"test:{n}")
    starts_at = None
    works = ()
    offers = ()

    @classmethod
    def _create(cls, model_class, *, organization, source_reference, starts_at, works, offers):
        offers = list(offers) + [
            Offer.objects.filter(work=work, status="active").latest("id") for work in works
        ]
        grant, _ = license_grant_create(
            organization=organization,
            source_reference=source_reference,
            starts_at=starts_at,
            items=[
                grant_item_spec(offer, item_ref=f"test_item:{source_reference}:{offer.work_id}")
                for offer in offers
            ],
        )
        return grant


class ModelDeclarationFactory(factory.django.DjangoModelFactory):
    """A model a team declares, as a row (the declaration service is tested in
    tests/licensing); `items=[grant items]` it was trained on."""

    class Meta:
        model = ModelDeclaration
        skip_postgeneration_save = True

    declared_by = factory.SubFactory(BuyerFactory)
    organization = factory.LazyAttribute(lambda o: team_of(o.declared_by))
    name = factory.Sequence(lambda n: f"model-{n}")
    version = "1.0"
    purpose = "Image generation"
    is_commercial = True
    is_generative = True
    training_started_on = date(2026, 1, 1)
    training_ended_on = date(2026, 2, 1)

    @factory.post_generation
    def items(self, create, extracted, **kwargs):
        for item in extracted or ():
            ModelDeclarationItem.objects.create(declaration=self, grant_item=item)


class DestructionAttestationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DestructionAttestation

    declaration = factory.SubFactory(ModelDeclarationFactory)
    attested_by = factory.SelfAttribute("declaration.declared_by")
    destroyed_on = factory.LazyFunction(timezone.localdate)
    method = "Weights and checkpoints deleted from every store."
    statement = "We destroyed the model."
    signature = "0" * 64
