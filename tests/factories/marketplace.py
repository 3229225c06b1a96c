"""Datasets made by `dataset_create` and orders frozen by `order_freeze`, paid (as the verified
webhook pays them) with `paid=True`. Checkout through the local Stripe server is tested in
tests/marketplace."""

from __future__ import annotations

import factory
from django.test import TestCase

from marketplace.models import Dataset, Order
from marketplace.services.checkout import order_freeze
from marketplace.services.datasets import dataset_create, intended_use_parse
from marketplace.services.fulfilment import order_paid

from .accounts import BuyerFactory


def generative_use(months: int = 12, commercial: bool = True):
    return intended_use_parse(
        uses=["ai-train-generative"], commercial=commercial, months_needed=months
    )


class DatasetFactory(factory.django.DjangoModelFactory):
    """`DatasetFactory(user=buyer, works=[...])`: a draft dataset of the buyer's first team."""

    class Meta:
        model = Dataset

    user = factory.SubFactory(BuyerFactory)
    organization = factory.LazyAttribute(lambda o: o.user.memberships.first().organization)
    name = "Test set"
    intended = factory.LazyFunction(generative_use)
    works = ()

    @classmethod
    def _create(cls, model_class, *, user, organization, name, intended, works):
        dataset, _ = dataset_create(
            organization=organization,
            user=user,
            name=name,
            intended=intended,
            work_ids=[w.id for w in works],
        )
        return dataset


class OrderFactory(factory.django.DjangoModelFactory):
    """`OrderFactory(dataset=d)`: the dataset frozen into an order awaiting payment;
    `paid=True` pays it (its package built by the eager task unless `build=False`)."""

    class Meta:
        model = Order

    class Params:
        works = ()
        intended = None

    user = factory.SubFactory(BuyerFactory)
    dataset = factory.LazyAttribute(
        lambda o: DatasetFactory(
            user=o.user, works=o.works, **({"intended": o.intended} if o.intended else {})
        )
    )
    paid = False
    build = True

    @classmethod
    def _create(cls, model_class, *, user, dataset, paid, build):
        order = order_freeze(dataset=dataset, user=user)
        if paid:
            with TestCase.captureOnCommitCallbacks(execute=build):
                order_paid(order_id=order.id)
            order.refresh_from_db()
        return order
