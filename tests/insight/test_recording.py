"""Demand is recorded from what teams really do: through marketplace's registry, a catalog
search (page and API), works added to a dataset, an order paid through Stripe; and data
requests, read from their rows. Only team members' first-page searches with a use or tag
count, each once a day; a listener that fails never fails the buyer's request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from insight.models import DemandEvent, DemandFacet, DemandKind
from insight.services.recording import demand_requests_record
from insight.tasks import demand_refresh_task
from marketplace import registry
from marketplace.models import DataRequest, OrderStatus
from marketplace.services.checkout import order_checkout_start
from tests.factories import (
    BuyerFactory,
    CreatorFactory,
    DatasetFactory,
    ListedWorkFactory,
    OrderFactory,
    team_of,
)
from tests.marketplace.data_requests import post_request
from tests.marketplace.factories import deliver_all, pay

pytestmark = pytest.mark.django_db

SEARCH = "/catalog/?use=ai-train-generative&commercial=true&term_months=24&tag=Sea&max_price=900"


@pytest.fixture
def buyer_client(client, buyer):
    client.force_login(buyer)
    return client


def _facets(event) -> set[tuple[str, str]]:
    return set(event.facets.values_list("facet", "value"))


@pytest.mark.parametrize("path", ["/catalog/", "/api/v1/catalog/"])
def test_a_team_members_search_is_recorded_without_its_text(
    buyer_client, buyer, path, django_capture_on_commit_callbacks
):
    query = SEARCH.split("?", 1)[1] + "&q=our+secret+robot"
    with django_capture_on_commit_callbacks(execute=True):
        assert buyer_client.get(f"{path}?{query}").status_code == 200
    event = DemandEvent.objects.get()
    assert event.kind == DemandKind.SEARCH and event.team_id == team_of(buyer).id
    assert (event.uses, event.commercial, event.term_months) == (["ai-train-generative"], True, 24)
    assert (event.tags, event.currency, event.price_amount) == (["sea"], "USD", 900)
    assert _facets(event) == {("use", "ai-train-generative"), ("tag", "sea")}
    assert "secret" not in repr(list(DemandEvent.objects.values()))


def test_the_same_search_counts_once_a_day_and_paging_counts_nothing(
    buyer_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            buyer_client.get(SEARCH)
        buyer_client.get(SEARCH + "&page=2")
        buyer_client.get(SEARCH.replace("max_price=900", "max_price=1200"))
    assert sorted(DemandEvent.objects.values_list("price_amount", flat=True)) == [900, 1200]


@pytest.mark.parametrize("who", ["anonymous", "creator", "no filter"])
def test_only_team_members_searching_by_use_or_tag_are_counted(
    client, buyer, who, django_capture_on_commit_callbacks
):
    path = SEARCH
    if who == "creator":
        client.force_login(CreatorFactory())
    elif who == "no filter":
        client.force_login(buyer)
        path = "/catalog/?q=harbour&sort=newest"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(path).status_code == 200
    assert not DemandEvent.objects.exists()


def test_a_failing_listener_never_fails_the_search(
    buyer_client, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(kind, **facts):
        raise RuntimeError("listener down")

    monkeypatch.setattr(registry, "demand_listeners", [broken, *registry.demand_listeners])
    with django_capture_on_commit_callbacks(execute=True):
        assert buyer_client.get(SEARCH).status_code == 200
    assert DemandEvent.objects.filter(kind=DemandKind.SEARCH).count() == 1  # the others ran


def test_works_added_to_a_dataset_are_a_quote(buyer, django_capture_on_commit_callbacks):
    creator = CreatorFactory()
    works = [
        ListedWorkFactory(owner=creator, tags=["sea", "boats"], price=400),
        ListedWorkFactory(owner=creator, tags=["sea"], price=600),
        ListedWorkFactory(owner=creator, tags=["forest"], price=2000),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        DatasetFactory(user=buyer, works=works)
    event = DemandEvent.objects.get()
    assert (event.kind, event.team_id, event.work_count) == ("quote", team_of(buyer).id, 3)
    assert event.price_amount == 600 and event.tags[0] == "sea"
    assert set(event.tags) == {"sea", "boats", "forest"}
    assert ("use", "ai-train-generative") in _facets(event)


def test_a_paid_order_records_each_work_sold_at_its_price(
    buyer, django_capture_on_commit_callbacks
):
    creator = CreatorFactory()
    works = [
        ListedWorkFactory(owner=creator, tags=["sea"], price=700),
        ListedWorkFactory(owner=creator, tags=["boats"], price=1300, currency="USD"),
    ]
    OrderFactory(user=buyer, works=works, paid=True, build=True)
    sales = DemandEvent.objects.filter(kind=DemandKind.SALE).order_by("price_amount")
    assert [(e.price_amount, e.tags, e.work_count) for e in sales] == [
        (700, ["sea"], 1),
        (1300, ["boats"], 1),
    ]
    assert {e.team_id for e in sales} == {team_of(buyer).id}
    assert DemandFacet.objects.filter(kind="sale", facet="tag", value="boats").count() == 1


@pytest.mark.usefixtures("local_stripe")
def test_an_order_paid_through_stripe_is_recorded_once(
    client, stripe_server, stripe_client, django_capture_on_commit_callbacks
):
    buyer = BuyerFactory()
    work = ListedWorkFactory(tags=["harbour"], price=1200)
    with django_capture_on_commit_callbacks(execute=True):
        dataset = DatasetFactory(user=buyer, works=[work])
    order = order_checkout_start(dataset=dataset, user=buyer, destruction_acknowledged=True)
    assert pay(stripe_server, order) == 303
    with django_capture_on_commit_callbacks(execute=True):
        deliver_all(client, stripe_client)
        deliver_all(client, stripe_client)  # Stripe delivers again: still one sale
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    sale = DemandEvent.objects.get(kind=DemandKind.SALE)
    assert (sale.price_amount, sale.currency, sale.tags) == (1200, "USD", ["harbour"])
    assert sale.created_at == order.paid_at
    assert DemandEvent.objects.filter(kind=DemandKind.QUOTE).count() == 1


def test_data_requests_are_read_from_marketplace_once_each():
    owner = BuyerFactory()
    fixed = post_request(owner)  # 2 harbour works at $10.00 each
    budget = post_request(BuyerFactory(), budget_amount=9000, count_wanted=3, tags=["boats"])
    old = post_request(owner, title="Long ago")
    DataRequest.objects.filter(id=old.id).update(created_at=timezone.now() - timedelta(days=91))
    assert demand_refresh_task.delay().get() == 2
    assert demand_requests_record() == 0  # run again: nothing new
    events = {e.dedupe_key: e for e in DemandEvent.objects.filter(kind=DemandKind.REQUEST)}
    assert set(events) == {f"request:{fixed.id}", f"request:{budget.id}"}
    mine = events[f"request:{fixed.id}"]
    assert (mine.team_id, mine.uses, mine.commercial, mine.term_months) == (
        team_of(owner).id,
        ["ai-train-generative"],
        True,
        12,
    )
    assert (mine.tags, mine.price_amount, mine.work_count) == (["harbour"], 1000, 2)
    # A budget is spread over the works wanted: $90.00 for 3 is $30.00 a work.
    assert events[f"request:{budget.id}"].price_amount == 3000
    later = post_request(owner, title="And one more")
    assert demand_requests_record() == 1
    assert DemandEvent.objects.filter(dedupe_key=f"request:{later.id}").exists()
