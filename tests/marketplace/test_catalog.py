"""The catalog: only listed works with a consented, active offer; only the offers that fit the
team's intended use, priced; every facet does what it says; bad filters answer 400, never 500;
a page costs the same number of queries for 1 work as for 50.

Works are made as rows (the catalog reads rows; intake has its own tests), except where the
thumbnail is served, which needs a real upload. Offers are made through offer_create, so each
has its consent record like in life."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.contrib.postgres.search import SearchQuery
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from licensing.consent import ConsentContext
from licensing.models import Offer
from licensing.services.offers import offer_create, offer_withdraw
from licensing.terms import PRESETS, IntendedUse, LicenseTerms, Use, satisfies
from marketplace.selectors.catalog import (
    SEARCH_CONFIG,
    CatalogQuery,
    _fitting_offers,
    catalog_offers,
    catalog_page,
    catalog_query_from_params,
    catalog_works,
    search_document,
)
from tests.factories import BuyerFactory, CreatorFactory, StaffFactory
from tests.uploads.images import jpeg_bytes, photo
from tests.uploads.works import upload_work
from uploads.models import Work, WorkStatus
from uploads.services.works import work_review_decide

pytestmark = pytest.mark.django_db

API = "/api/v1/catalog/"
PAGE = "/catalog/"
GENERATIVE = PRESETS["generative-commercial-3y"].terms  # all uses, commercial, 36 m, destroy
RESEARCH = PRESETS["nongenerative-research-5y"].terms  # nongen + evaluate, non-commercial, 60 m
EVALUATION = PRESETS["evaluation-1y"].terms  # evaluate, commercial, 12 m, stop
FINE_TUNE = PRESETS["fine-tune-commercial-2y"].terms  # fine-tune + evaluate, commercial, 24 m
on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL full-text search and indexes"
)
on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="the embedded fallback")


def listed_work(
    owner, title: str = "A work", *, status=WorkStatus.LISTED, age_days: int = 0, **fields
) -> Work:
    values = {"media_type": "image/jpeg", "width": 1600, "height": 1200, **fields}
    return Work.objects.create(
        owner=owner,
        declared_by=owner,
        title=title,
        rights_holder="Them",
        ai_involvement="none",
        original=f"originals/{uuid.uuid4().hex}.jpg",
        byte_size=1000,
        sha256=uuid.uuid4().hex * 2,
        status=status,
        created_at=timezone.now() - timedelta(days=age_days),
        **values,
    )


def offer(work, terms: LicenseTerms = GENERATIVE, price: int = 1000, currency: str = "USD"):
    return offer_create(
        work=work,
        actor=work.owner,
        terms=terms,
        price_amount=price,
        currency=currency,
        consent=True,
        context=ConsentContext(ip_address="127.0.0.1", user_agent="tests"),
    )


def api(client, **params):
    response = client.get(API, params)
    assert response.status_code == 200, response.content
    return response.json()


def titles(body) -> list[str]:
    return [w["title"] for w in body["results"]]


def offers_of(body, title: str) -> list[tuple[int, str]]:
    work = next(w for w in body["results"] if w["title"] == title)
    return [(o["price_amount"], o["terms"]["hash"]) for o in work["offers"]]


@pytest.fixture
def ada(db):
    return CreatorFactory(profile__display_name="Ada Okafor")


# --- What is on sale ----------------------------------------------------------------------------


def test_only_listed_works_with_an_active_consented_offer_are_shown(client, ada):
    on_sale = listed_work(ada, "On sale")
    offer(on_sale)
    listed_work(ada, "Approved, never offered")
    offer(listed_work(ada, "Waiting for review", status=WorkStatus.PENDING_REVIEW))
    withdrawn = listed_work(ada, "Consent withdrawn")
    offer_withdraw(offer=offer(withdrawn), actor=ada, context=ConsentContext())
    rejected = listed_work(ada, "Rejected later")
    offer(rejected)
    Work.objects.filter(id=rejected.id).update(status=WorkStatus.REJECTED)

    body = api(client)
    assert titles(body) == ["On sale"]
    assert body["count"] == 1
    work = body["results"][0]
    assert work["creator"] == {"id": ada.id, "display_name": "Ada Okafor"}
    assert work["uuid"] == str(on_sale.uuid)
    assert (work["width"], work["height"], work["media_type"]) == (1600, 1200, "image/jpeg")


def test_intended_use_shows_only_the_offers_that_cover_it_cheapest_first(client, ada):
    broad = listed_work(ada, "Broad")
    offer(broad, GENERATIVE, price=3000)
    offer(broad, EVALUATION, price=500)
    research = listed_work(ada, "Research only")
    offer(research, RESEARCH, price=800)

    everything = api(client)
    assert offers_of(everything, "Broad") == [(500, EVALUATION.hash), (3000, GENERATIVE.hash)]

    evaluate = api(client, use="ai-evaluate")
    assert set(titles(evaluate)) == {"Broad", "Research only"}
    assert offers_of(evaluate, "Broad") == [(500, EVALUATION.hash), (3000, GENERATIVE.hash)]

    generative = api(client, use="ai-train-generative")
    assert titles(generative) == ["Broad"]
    assert offers_of(generative, "Broad") == [(3000, GENERATIVE.hash)]

    commercial = api(client, use="ai-evaluate", commercial="true")
    assert titles(commercial) == ["Broad"]

    two_years = api(client, use="ai-evaluate", term_months=24)
    assert offers_of(two_years, "Broad") == [(3000, GENERATIVE.hash)]
    assert offers_of(two_years, "Research only") == [(800, RESEARCH.hash)]

    no_destruction = api(client, use="ai-evaluate", can_destroy_models="false")
    assert offers_of(no_destruction, "Broad") == [(500, EVALUATION.hash)]

    both_uses = api(client, use=["ai-train-nongenerative", "ai-evaluate"])
    assert set(titles(both_uses)) == {"Broad", "Research only"}
    assert titles(api(client, use="ai-train-nongenerative,ai-fine-tune")) == ["Broad"]


def test_the_catalog_agrees_with_satisfies_for_every_intended_use(ada):
    """The SQL filter and terms.satisfies are two statements of one rule: check every shown and
    hidden offer against it, for a spread of intended uses."""
    for i, terms in enumerate([GENERATIVE, RESEARCH, EVALUATION, FINE_TUNE]):
        offer(listed_work(ada, f"Work {i}"), terms, price=1000 + i)
    offer(listed_work(ada, "Not approved yet", status=WorkStatus.PENDING_REVIEW), EVALUATION)
    all_offers = list(Offer.objects.filter(work__status=WorkStatus.LISTED))
    for uses in ({Use.EVALUATE}, {Use.FINE_TUNE}, {Use.NONGENERATIVE, Use.EVALUATE}, set(Use)):
        for commercial in (False, True):
            for months in (1, 12, 13, 36, 60, 61):
                for destroy in (True, False):
                    intended = IntendedUse(frozenset(uses), commercial, months, destroy)
                    query = CatalogQuery(intended=intended)
                    shown = {o.id for o in catalog_offers(query)}
                    expected = {o.id for o in all_offers if satisfies(o.terms, intended)}
                    assert shown == expected, intended
                    works = {w.id for w in catalog_works(query)}
                    assert works == {o.work_id for o in all_offers if o.id in expected}
                    # The join-free copy the counts and price walks use says the same.
                    fitting = _fitting_offers(query).filter(work__status=WorkStatus.LISTED)
                    assert {o.id for o in fitting} == shown


def test_cheapest_offer_is_annotated_for_the_dataset_builder(ada):
    work = listed_work(ada)
    offer(work, GENERATIVE, price=3000)
    cheap = offer(work, EVALUATION, price=500)
    [found] = catalog_works(CatalogQuery())
    assert (found.cheapest_price, found.cheapest_offer_id) == (500, cheap.id)
    evaluation_query = catalog_query_from_params({"use": "ai-train-generative"})
    [found] = catalog_works(evaluation_query)
    assert found.cheapest_price == 3000
    assert list(catalog_works(evaluation_query).values_list("id", flat=True)) == [work.id]


def test_other_currencies_only_when_asked(client, ada):
    dollars = listed_work(ada, "Dollars")
    offer(dollars, price=1200)
    euros = listed_work(ada, "Euros")
    offer(euros, price=1100, currency="EUR")
    assert titles(api(client)) == ["Dollars"]
    body = api(client, currency="eur")
    assert titles(body) == ["Euros"]
    assert body["results"][0]["offers"][0]["price_display"] == "€11.00"
    assert body["filters"]["currency"] == "EUR"


def test_price_range_narrows_works_and_the_offers_shown(client, ada):
    both = listed_work(ada, "Two prices")
    offer(both, EVALUATION, price=500)
    offer(both, GENERATIVE, price=3000)
    offer(listed_work(ada, "Dear"), GENERATIVE, price=9000)

    assert set(titles(api(client, max_price=1000))) == {"Two prices"}
    assert offers_of(api(client, max_price=1000), "Two prices") == [(500, EVALUATION.hash)]
    assert set(titles(api(client, min_price=2000))) == {"Two prices", "Dear"}
    assert offers_of(api(client, min_price=2000), "Two prices") == [(3000, GENERATIVE.hash)]
    # The page's form: prices as people type them, in the chosen currency.
    typed = api(client, price_from="20", price_to="89.99")
    assert titles(typed) == ["Two prices"]
    assert typed["filters"]["min_price"] == "2000" and typed["filters"]["max_price"] == "8999"
    # With a use: the range applies to the offers that fit it.
    assert titles(api(client, use="ai-train-generative", max_price=1000)) == []


def test_tags_must_all_be_present_and_match_whole_tags(client, ada):
    offer(listed_work(ada, "Cats", tags=["cats", "watercolour"]))
    offer(listed_work(ada, "Cats and dogs", tags=["cats", "dogs"]))
    offer(listed_work(ada, "Wildcats", tags=["wildcats", "café"]))
    assert set(titles(api(client, tag="Cats"))) == {"Cats", "Cats and dogs"}
    assert titles(api(client, tag=["cats", "dogs"])) == ["Cats and dogs"]
    assert titles(api(client, tag="cats,watercolour")) == ["Cats"]
    assert titles(api(client, tag="cat")) == []
    assert titles(api(client, tag="Café")) == ["Wildcats"]


def test_media_type_size_and_creator_filters(client, ada):
    grace = CreatorFactory(profile__display_name="Grace Lin")
    offer(listed_work(ada, "Small JPEG", width=800, height=600))
    offer(listed_work(ada, "Wide PNG", media_type="image/png", width=4000, height=1000))
    offer(listed_work(grace, "Big WebP", media_type="image/webp", width=3000, height=3000))

    assert titles(api(client, media_type="image/png")) == ["Wide PNG"]
    assert set(titles(api(client, media_type=["image/png", "image/webp"]))) == {
        "Wide PNG",
        "Big WebP",
    }
    assert set(titles(api(client, min_width=1024))) == {"Wide PNG", "Big WebP"}
    assert titles(api(client, min_width=1024, min_height=1024)) == ["Big WebP"]
    by_grace = api(client, creator=grace.id)
    assert titles(by_grace) == ["Big WebP"]
    assert by_grace["results"][0]["creator"]["display_name"] == "Grace Lin"


def test_sorting(client, ada):
    offer(listed_work(ada, "Old cheap", age_days=3, width=1000, height=1000), price=300)
    offer(listed_work(ada, "Middle dear", age_days=2, width=3000, height=2000), price=5000)
    offer(listed_work(ada, "New middling", age_days=1, width=2000, height=2000), price=1500)
    assert titles(api(client)) == ["New middling", "Middle dear", "Old cheap"]
    assert titles(api(client, sort="price_asc")) == ["Old cheap", "New middling", "Middle dear"]
    assert titles(api(client, sort="price_desc")) == ["Middle dear", "New middling", "Old cheap"]
    assert titles(api(client, sort="largest")) == ["Middle dear", "New middling", "Old cheap"]
    # Relevance without a search has nothing to rank: newest first.
    assert titles(api(client, sort="relevance")) == ["New middling", "Middle dear", "Old cheap"]


def test_creator_email_never_shown(client, db):
    no_profile = CreatorFactory(profile=None, email="private@example.com")
    offer(listed_work(no_profile, "Anonymous"))
    body = api(client)
    assert body["results"][0]["creator"]["display_name"] == f"Creator #{no_profile.id}"
    page = client.get(PAGE)
    assert "private@example.com" not in page.content.decode()


def test_query_round_trips_through_its_parameters():
    query = catalog_query_from_params(
        {
            "use": "ai-evaluate,ai-fine-tune",
            "commercial": "yes",
            "term_months": "18",
            "can_destroy_models": "0",
            "q": "  harbour   at dusk ",
            "tag": ["Sea", "boats"],
            "media_type": "image/png",
            "price_from": "5",
            "max_price": "2000",
            "currency": "gbp",
            "min_width": "1024",
            "creator": "7",
            "sort": "price_desc",
            "page": "3",
        }
    )
    assert query.intended == IntendedUse(frozenset({Use.EVALUATE, Use.FINE_TUNE}), True, 18, False)
    assert (query.q, query.tags, query.currency) == ("harbour at dusk", ("sea", "boats"), "GBP")
    assert (query.min_price, query.max_price, query.min_width, query.creator) == (
        500,
        2000,
        1024,
        7,
    )
    assert catalog_query_from_params(query.to_params()) == query
    assert catalog_query_from_params({}) == CatalogQuery()
    assert catalog_query_from_params({"q": "boats"}).sort == "relevance"


# --- Large results: capped counts, price order without pricing every match --------------------


@pytest.fixture
def small_cap(monkeypatch):
    """A count cap of 3 stands for the real one, so a handful of works is a "large" result."""
    monkeypatch.setattr("marketplace.selectors.catalog.COUNT_CAP", 3)


def _priced_works(owner):
    # Each work's cheapest offer overall is an evaluation offer; for generative use the
    # cheapest fitting one is another, so the walk must skip offers that do not fit.
    # W5 ties with W1 on both prices: the newer work comes first either way.
    prices = [(700, 4000), (300, 2500), (900, 1500), (250, 3000), (500, 2000), (300, 2500)]
    for i, (evaluation, generative) in enumerate(prices):
        work = listed_work(owner, f"W{i}", age_days=i, tags=["sea"] if i != 2 else ["lake"])
        offer(work, EVALUATION, price=evaluation)
        offer(work, GENERATIVE, price=generative)


def _pages(query, *, per_page=2) -> list[str]:
    titles_seen, number = [], 1
    while True:
        page = catalog_page(query, page=number, per_page=per_page, clamp=False)
        titles_seen += [w.title for w in page.object_list]
        if not page.has_next():
            return titles_seen
        number += 1


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "price_asc"},
        {"sort": "price_desc"},
        {"sort": "price_asc", "use": "ai-train-generative"},
        {"sort": "price_desc", "use": "ai-train-generative", "tag": "sea"},
        {"sort": "price_asc", "max_price": "2600"},
    ],
)
def test_price_order_of_a_large_result_matches_the_exact_order(
    ada, small_cap, params, django_assert_num_queries
):
    _priced_works(ada)
    query = catalog_query_from_params(params)
    exact = [w.title for w in catalog_works(query)]
    assert len(exact) > 3  # more than the cap: the walk is used
    assert exact.index("W5") == exact.index("W1") - 1  # a tie: the newer work first
    assert _pages(query) == exact
    with django_assert_num_queries(4):  # sort keys (the count), the walk, the works, offers
        page = catalog_page(query, per_page=2)
    assert [len(w.catalog_offers) >= 1 for w in page.object_list] == [True, True]
    first = catalog_works(query)[0]
    assert (page.object_list[0].id, page.object_list[0].cheapest_price) == (
        first.id,
        first.cheapest_price,
    )


def test_counts_stop_at_the_cap_and_say_so(client, ada, small_cap, monkeypatch):
    _priced_works(ada)
    body = api(client, per_page=2)
    assert (body["count"], body["count_is_exact"], body["num_pages"]) == (4, False, 2)
    assert body["next"] is not None
    assert api(client, per_page=2, page=3)["count"] == 6  # counted up to the page asked for
    narrow = api(client, tag="lake")
    assert (narrow["count"], narrow["count_is_exact"]) == (1, True)
    monkeypatch.setattr("marketplace.views.catalog.PER_PAGE", 2)
    html = client.get(PAGE).content.decode()
    assert "More than 3 works on sale" in html


@on_postgres
def test_relevance_over_a_large_result_ranks_the_newest_matches(
    client, ada, small_cap, monkeypatch
):
    # "Boat i" mentions boats i more times and is i days old: the more, the better the match.
    for i in range(5):
        offer(listed_work(ada, f"Boat {i}", age_days=i, description="boat " * i))
    pages = [api(client, q="boat", per_page=2, page=n) for n in (1, 2, 3)]
    # The newest three (the cap) ranked, then the rest newest first; each work once.
    seen = [title for p in pages for title in titles(p)]
    assert seen == ["Boat 2", "Boat 1", "Boat 0", "Boat 3", "Boat 4"]
    assert pages[0]["ranked_newest"] == 3 and pages[0]["count_is_exact"] is False
    monkeypatch.setattr("marketplace.views.catalog.PER_PAGE", 2)
    assert (
        "only the newest 3 are sorted by best match"
        in client.get(PAGE, {"q": "boat"}).content.decode()
    )
    narrow = api(client, q="boat", tag="none")
    assert (narrow["count"], narrow["ranked_newest"]) == (0, None)
    everything = api(client, q="boat", per_page=10)  # the page holds every match: all ranked
    assert everything["ranked_newest"] is None and titles(everything)[:2] == ["Boat 4", "Boat 3"]


# --- Text search --------------------------------------------------------------------------------


def _search_corpus(owner):
    offer(listed_work(owner, "Harbours at dawn", description="Fishing boats leaving the port"))
    offer(listed_work(owner, "City at night", tags=["neon", "rain"]))
    offer(listed_work(owner, "Mountain lake", description="A still lake with a boat"))


@on_postgres
def test_full_text_search_stems_ranks_and_excludes_on_postgres(client, ada):
    _search_corpus(ada)
    assert titles(api(client, q="harbour")) == ["Harbours at dawn"]  # stemmed
    assert set(titles(api(client, q="boat"))) == {"Harbours at dawn", "Mountain lake"}
    assert titles(api(client, q="boat -fishing")) == ["Mountain lake"]
    assert titles(api(client, q="neon")) == ["City at night"]  # tags are searched
    assert titles(api(client, q='"still lake"')) == ["Mountain lake"]
    assert titles(api(client, q="submarine")) == []


@on_postgres
def test_search_and_tag_filters_use_their_indexes_on_postgres(ada):
    """The index expression in migration 0002 must equal the query's, or PostgreSQL scans the
    table: among enough works for an index to pay, the plans must name the indexes."""
    Work.objects.bulk_create(
        Work(
            owner=ada,
            declared_by=ada,
            title=f"Study {i}",
            description="oil on canvas",
            tags=["paint", f"t{i}"],
            rights_holder="Ada",
            ai_involvement="none",
            original=f"o/{i}.jpg",
            media_type="image/jpeg",
            byte_size=1,
            width=9,
            height=9,
            sha256=f"{i:064d}",
            status=WorkStatus.LISTED,
        )
        for i in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE uploads_work")
    listed = Work.objects.filter(status=WorkStatus.LISTED)
    search = SearchQuery("t1234", config=SEARCH_CONFIG, search_type="websearch")
    plan = listed.alias(doc=search_document()).filter(doc=search).explain()
    assert "marketplace_catalog_work_search" in plan, plan
    plan = listed.filter(tags__contains=["t1234"]).explain()
    assert "marketplace_catalog_work_tags" in plan, plan


@on_sqlite
def test_plain_search_fallback_on_sqlite(client, ada):
    _search_corpus(ada)
    assert titles(api(client, q="harbour")) == ["Harbours at dawn"]  # a substring
    assert set(titles(api(client, q="boat"))) == {"Harbours at dawn", "Mountain lake"}
    assert titles(api(client, q="boat still")) == ["Mountain lake"]  # every word
    assert titles(api(client, q="neon")) == ["City at night"]
    assert titles(api(client, q="submarine")) == []


# --- Bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, field",
    [
        ({"use": "ai-scrape"}, "use"),
        ({"use": "ai-evaluate", "term_months": "a year"}, "term_months"),
        ({"use": "ai-evaluate", "term_months": "0"}, "term_months"),
        ({"use": "ai-evaluate", "term_months": "121"}, "term_months"),
        ({"use": "ai-evaluate", "commercial": "maybe"}, "commercial"),
        ({"commercial": "true"}, "use"),
        ({"term_months": "12"}, "use"),
        ({"min_price": "-1"}, "min_price"),
        ({"max_price": "12.50"}, "max_price"),
        ({"min_price": "3000", "max_price": "1000"}, "max_price"),
        ({"price_from": "12,50"}, "price_from"),
        ({"price_from": "-3"}, "price_from"),
        ({"price_to": "1.234"}, "price_to"),
        ({"price_from": "5", "min_price": "500"}, "price_from"),
        ({"sort": "cheapest"}, "sort"),
        ({"currency": "XYZ"}, "currency"),
        ({"media_type": "image/gif"}, "media_type"),
        ({"min_width": "wide"}, "min_width"),
        ({"creator": "ada"}, "creator"),
        ({"creator": "0"}, "creator"),
        ({"q": "x" * 201}, "q"),
        ({"tag": [f"t{i}" for i in range(11)]}, "tag"),
        ({"page": "0"}, "page"),
        ({"page": "two"}, "page"),
        ({"per_page": "1000"}, "per_page"),
    ],
)
def test_bad_filters_answer_400_with_a_code_and_the_field(client, params, field):
    response = client.get(API, params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid_filter"
    assert field in body["fields"], body
    assert body["message"]


def test_bad_filters_on_the_page_show_the_message_with_400(client):
    response = client.get(PAGE, {"use": "ai-evaluate", "term_months": "soon"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "These filters cannot be used" in html
    assert "Months needed is a whole number, not “soon”." in html
    assert 'value="soon"' in html  # the form keeps what was sent, to fix it


def test_a_page_past_the_end(client, ada):
    offer(listed_work(ada))
    response = client.get(API, {"page": 5})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert client.get(PAGE, {"page": 5}).status_code == 200  # the page shows the last page
    # However far past: the number is clamped before it reaches the database.
    assert client.get(PAGE, {"page": "9" * 30}).status_code == 200
    assert client.get(API, {"page": "9" * 30}).status_code == 400


# --- Pages, pagination, anonymous access -------------------------------------------------------


def test_api_pagination_links_keep_the_filters(client, ada):
    for i in range(5):
        offer(listed_work(ada, f"Work {i}", age_days=i, tags=["sea"]))
    first = api(client, tag="sea", per_page=2)
    assert (first["count"], first["num_pages"], first["previous"]) == (5, 3, None)
    assert titles(first) == ["Work 0", "Work 1"]
    assert "tag=sea" in first["next"] and "page=2" in first["next"]
    second = client.get(first["next"]).json()
    assert titles(second) == ["Work 2", "Work 3"]
    assert not re.search(r"[?&]page=", second["previous"]) and "tag=sea" in second["previous"]


def test_page_shows_works_offers_and_keeps_filters_across_pages(client, ada):
    for i in range(30):
        offer(listed_work(ada, f"Seascape {i}", age_days=i), EVALUATION, price=700 + i)
    offer(listed_work(ada, "Not for evaluation only"), RESEARCH)
    response = client.get(PAGE, {"use": "ai-evaluate", "commercial": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "31 works" not in html and "30 works match" in html
    assert "Seascape 0" in html and "Not for evaluation only" not in html
    assert "$7.00" in html and "per license" in html
    assert "Showing only offers that allow" in html
    assert "?use=ai-evaluate&amp;commercial=true&amp;page=2" in html
    page_two = client.get(PAGE, {"use": "ai-evaluate", "commercial": "true", "page": 2})
    assert "Seascape 29" in page_two.content.decode()


def test_empty_results_say_what_to_loosen(client, ada):
    offer(listed_work(ada, "Evaluation only"), EVALUATION)
    response = client.get(PAGE, {"use": "ai-train-generative", "tag": "sea"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "No works match these filters" in html
    assert "Loosen them to see more" in html
    assert "Generative training" in html and "#sea" in html
    assert 'href="?tag=sea"' in html  # removing the use keeps the tag


def test_filter_chips_remove_one_value_even_from_a_comma_list(client, ada):
    offer(listed_work(ada, "Broad"), GENERATIVE)
    html = client.get(PAGE, {"use": "ai-evaluate,ai-fine-tune", "tag": "Sea"}).content.decode()
    assert 'href="?use=ai-fine-tune&amp;tag=Sea"' in html  # "Evaluation" removed
    assert 'href="?use=ai-evaluate%2Cai-fine-tune"' in html  # "#sea" removed


def test_popular_tags_come_from_works_on_sale(client, ada):
    offer(listed_work(ada, "On sale", tags=["harbour", "dusk"]))
    offer(listed_work(ada, "Also on sale", tags=["harbour"]))
    listed_work(ada, "Not offered", tags=["secret"])
    html = client.get(PAGE).content.decode()
    assert 'name="tag" value="harbour"' in html and 'name="tag" value="dusk"' in html
    assert "secret" not in html
    assert html.index('value="harbour"') < html.index('value="dusk"')  # most used first


def test_anonymous_and_signed_in_readers_see_the_catalog(client, api_client, ada):
    offer(listed_work(ada, "Public"))
    assert titles(api(api_client)) == ["Public"]
    buyer = BuyerFactory()
    api_client.force_authenticate(buyer)
    assert titles(api(api_client)) == ["Public"]
    client.force_login(buyer)
    assert "Public" in client.get(PAGE).content.decode()


def test_thumbnails_are_public_for_works_on_sale_only(client, api_client, ada, media_root):
    staff = StaffFactory()
    work = upload_work(ada, jpeg_bytes(photo(640, 480, seed=5)), title="Real upload")
    work_review_decide(work=work, approve=True, reason="", actor=staff)
    hidden = upload_work(ada, jpeg_bytes(photo(640, 480, seed=6)), title="Not offered")
    work_review_decide(work=hidden, approve=True, reason="", actor=staff)
    offer(work)

    result = api(api_client)["results"][0]
    assert result["thumbnail_url"].endswith(f"/catalog/works/{work.id}/thumbnail/")
    thumbnail = client.get(result["thumbnail_url"])
    assert thumbnail.status_code == 200
    assert thumbnail["Content-Type"] == "image/jpeg"
    assert b"".join(thumbnail.streaming_content)[:2] == b"\xff\xd8"
    assert client.get(result["preview_url"]).status_code == 200
    assert client.get(f"/catalog/works/{work.id}/original/").status_code == 404
    assert client.get(f"/catalog/works/{hidden.id}/thumbnail/").status_code == 404
    assert f'src="/catalog/works/{work.id}/thumbnail/"' in client.get(PAGE).content.decode()


# --- Query counts -------------------------------------------------------------------------------


def _works_with_offers(owner, count: int):
    for i in range(count):
        work = listed_work(owner, f"Work {i}", tags=["sea", f"t{i % 3}"])
        offer(work, GENERATIVE, price=1000 + i)
        offer(work, EVALUATION, price=500 + i)


# count, works (with cheapest price and creator name), their offers; the page adds the popular
# tags (cached afterwards). A signed-in reader adds the session and the user.
API_QUERIES = 3
PAGE_QUERIES = 4
SIGNED_IN_QUERIES = 2


@pytest.mark.parametrize("works", [1, 50])
def test_api_query_count_is_constant(api_client, ada, django_assert_num_queries, works):
    _works_with_offers(ada, works)
    with django_assert_num_queries(API_QUERIES):
        body = api(api_client, use="ai-evaluate", tag="sea", per_page=50, sort="price_asc")
    assert len(body["results"]) == works
    assert all(len(w["offers"]) == 2 for w in body["results"])


@pytest.mark.parametrize("works", [1, 50])
def test_page_query_count_is_constant(client, ada, django_assert_num_queries, works):
    _works_with_offers(ada, works)
    with django_assert_num_queries(PAGE_QUERIES):
        response = client.get(PAGE, {"use": "ai-evaluate", "sort": "price_desc"})
    assert response.content.decode().count("data-offer-id") == 2 * min(works, 24)


def test_signed_in_buyer_page_costs_the_same_for_1_and_50_works(client, ada):
    """A team member's page also reads the session, the user and what the dataset actions
    need; whatever those are, they must not grow with the number of works."""
    client.force_login(BuyerFactory())
    params = {"q": "work", "creator": ada.id, "use": "ai-evaluate"}

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(PAGE, params).status_code == 200
        return len(context)

    _works_with_offers(ada, 1)
    one = queries()
    _works_with_offers(ada, 49)
    cache.clear()  # the popular tags, read again as on the first view
    assert queries() == one
    # + the creator's name, + actions, + the asking team (a collective may withhold from it)
    assert one <= PAGE_QUERIES + SIGNED_IN_QUERIES + 1 + 2 + 1


def test_catalog_page_helper_prefetches_the_offers(ada, django_assert_num_queries):
    _works_with_offers(ada, 10)
    query = catalog_query_from_params({"use": "ai-fine-tune"})
    with django_assert_num_queries(3):
        page = catalog_page(query, per_page=5)
        assert [len(w.catalog_offers) for w in page.object_list] == [1] * 5
        assert page.paginator.count == 10
