"""Pricing by length (issue 20): on an audio work's offer form the creator may type a price per
minute, on a text's a price per 1,000 words; the server turns it into the work's price
(lengths rounded up to the unit), shows it as "$12.00 · $4.00 a minute" to the creator, and
that price is what the offer stores and what teams see. No rate is stored."""

from __future__ import annotations

import re
from html import unescape

import pytest

from licensing.models import Offer
from licensing.pricing import RateNotApplicable, price_from_rate, rate_price, rate_units
from tests.factories import CreatorFactory, WorkFactory
from tests.uploads.media_works import audio_work, text_work
from uploads.models import Work, WorkStatus

pytestmark = pytest.mark.django_db

NET_URL = "/studio/offers/net/"
GENERATIVE = "generative-commercial-3y"


def _unsaved(kind: str, **fields) -> Work:
    return Work(kind=kind, **fields)


# --- The function ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("duration_ms", "minutes"),
    [(1, 1), (59_999, 1), (60_000, 1), (60_001, 2), (180_000, 3), (192_400, 4), (3_600_000, 60)],
)
def test_audio_is_priced_per_minute_begun(duration_ms, minutes):
    work = _unsaved("audio", duration_ms=duration_ms)
    assert rate_units(work) == minutes
    assert price_from_rate(work, 400) == 400 * minutes


@pytest.mark.parametrize(
    ("words", "thousands"),
    [(1, 1), (999, 1), (1000, 1), (1001, 2), (4210, 5), (100_000, 100)],
)
def test_text_is_priced_per_thousand_words_begun(words, thousands):
    work = _unsaved("text", word_count=words)
    assert rate_units(work) == thousands
    assert price_from_rate(work, 250) == 250 * thousands


def test_a_rate_of_nothing_prices_nothing_and_a_negative_one_is_refused():
    work = _unsaved("audio", duration_ms=180_000)
    assert price_from_rate(work, 0) == 0
    with pytest.raises(ValueError, match="negative"):
        price_from_rate(work, -1)


@pytest.mark.parametrize(
    ("work", "message"),
    [
        (_unsaved("image", width=800, height=600), "Images have one price"),
        (_unsaved("audio", duration_ms=None), "length is not known"),
        (_unsaved("text", word_count=None), "word count is not known"),
    ],
)
def test_no_rate_applies_without_a_length(work, message):
    with pytest.raises(RateNotApplicable, match=message):
        price_from_rate(work, 400)


def test_the_creator_reads_the_price_and_the_rate():
    priced = rate_price(_unsaved("audio", duration_ms=180_000), rate_amount=400, currency="USD")
    assert priced.summary == "$12.00 · $4.00 a minute"
    assert priced.reckoning == "3 minutes at $4.00 a minute"
    assert priced.price_typed == "12.00"
    text = rate_price(_unsaved("text", word_count=4210), rate_amount=300, currency="EUR")
    assert text.summary == "€15.00 · €3.00 per 1,000 words"
    assert text.reckoning == "5,000 words at €3.00 per 1,000 words"
    yen = rate_price(_unsaved("audio", duration_ms=61_000), rate_amount=500, currency="JPY")
    assert yen.summary == "¥1,000 · ¥500 a minute"


# --- The form --------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _files_in_tmp(media_root):
    return media_root


@pytest.fixture
def signed_in(client, creator):
    client.force_login(creator)
    return client


def _form_url(work) -> str:
    return f"/studio/works/{work.id}/offers/new/"


def _figures(html: str) -> dict[str, str]:
    found = dict(re.findall(r"<dd data-net-(price|fee|amount)>([^<]*)</dd>", html))
    return {"price": found.get("price"), "fee": found.get("fee"), "net": found.get("amount")}


def test_an_audio_works_form_offers_a_price_per_minute(signed_in, creator):
    work = audio_work(owner=creator, duration_ms=180_000)
    html = signed_in.get(_form_url(work)).content.decode()
    assert re.search(r'<label[^>]*for="id_rate">Price per minute', html)
    assert 'name="rate"' in html
    assert "This recording is 3:00 long" in html
    assert f'data-work-id="{work.id}"' in html


def test_a_texts_form_offers_a_price_per_thousand_words(signed_in, creator):
    work = text_work(owner=creator, word_count=4210)
    html = signed_in.get(_form_url(work)).content.decode()
    assert re.search(r'<label[^>]*for="id_rate">Price per 1,000 words', html)
    assert "This text is 4,210 words" in html


def test_an_images_form_has_no_rate(signed_in, creator):
    work = WorkFactory(owner=creator)
    html = signed_in.get(_form_url(work)).content.decode()
    assert 'name="rate"' not in html and "data-work-id" not in html


def test_the_figures_for_a_typed_rate_are_the_price_it_sets(signed_in, creator, settings):
    settings.PLATFORM_FEE_BPS = 2000
    work = audio_work(owner=creator, duration_ms=180_000)
    response = signed_in.get(
        NET_URL, {"rate": "4", "price": "25", "currency": "USD", "work": work.id}
    )
    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert "$12.00 · $4.00 a minute" in html
    assert "3 minutes at $4.00 a minute" in html
    assert 'data-rate-price="12.00"' in html  # the script puts it in the price box
    assert _figures(html) == {"price": "$12.00", "fee": "−$2.40", "net": "$9.60"}


def test_a_rate_for_someone_elses_work_is_not_worked_out(signed_in):
    other = audio_work(owner=CreatorFactory(), duration_ms=180_000)
    html = signed_in.get(
        NET_URL, {"rate": "4", "price": "25", "currency": "USD", "work": other.id}
    ).content.decode()
    assert "a minute" not in html and _figures(html)["price"] == "$25.00"


@pytest.mark.parametrize(
    ("rate", "message"),
    [
        ("0.50", "At this rate the work costs $1.50; the lowest price is $2.00 per license."),
        ("4,00", "Use a point for decimals"),
        ("lots", "Enter a price such as 12 or 12.50."),
    ],
)
def test_a_rate_that_gives_no_price_says_why(signed_in, creator, rate, message):
    work = audio_work(owner=creator, duration_ms=180_000)
    html = unescape(
        signed_in.get(NET_URL, {"rate": rate, "currency": "USD", "work": work.id}).content.decode()
    )
    assert message in html and _figures(html)["price"] is None
    page = signed_in.post(
        _form_url(work),
        {"preset": GENERATIVE, "price": "", "rate": rate, "currency": "USD", "step": "review"},
    )
    assert page.status_code == 200
    assert message in unescape(page.content.decode())
    assert not Offer.objects.exists()


def test_a_price_or_a_rate_is_needed(signed_in, creator):
    work = text_work(owner=creator)
    page = signed_in.post(
        _form_url(work),
        {"preset": GENERATIVE, "price": "", "rate": "", "currency": "USD", "step": "review"},
    )
    assert "Type a price per license, or a rate per 1,000 words." in unescape(page.content.decode())


def test_the_rate_sets_the_price_the_offer_stores_and_teams_see(signed_in, creator, client):
    work = audio_work(owner=creator, title="Night song", duration_ms=192_400)
    form = {"preset": GENERATIVE, "price": "25", "rate": "4", "currency": "USD"}

    review = signed_in.post(_form_url(work), {**form, "step": "review"})
    html = unescape(review.content.decode())
    assert review.status_code == 200
    assert "$16.00" in html and "$4.00 a minute" in html  # 3:12 is four minutes begun
    assert 'name="rate" value="4"' in html  # carried to the confirmation
    assert not Offer.objects.exists()

    done = signed_in.post(_form_url(work), {**form, "step": "confirm", "consent": "yes"})
    assert done.status_code == 302
    offer = Offer.objects.get()
    assert (offer.price_amount, offer.currency) == (1600, "USD")
    assert not hasattr(offer, "rate")  # one price, no rate kept
    page = unescape(signed_in.get(done["Location"]).content.decode())
    assert "is offered at $16.00 per license ($4.00 a minute)." in page

    # Teams see the work's price, not the rate.
    client.logout()
    card = unescape(client.get("/catalog/").content.decode())
    assert "$16.00" in card and "a minute" not in card
    body = client.get(f"/api/v1/catalog/works/{work.id}/").json()
    assert [o["price_amount"] for o in body["offers"]] == [1600]


def test_a_text_rate_prices_by_thousands_of_words(signed_in, creator):
    work = text_work(owner=creator, word_count=4210, status=WorkStatus.PENDING_REVIEW)
    response = signed_in.post(
        _form_url(work),
        {
            "preset": GENERATIVE,
            "price": "",
            "rate": "3",
            "currency": "EUR",
            "step": "confirm",
            "consent": "yes",
        },
    )
    assert response.status_code == 302
    assert Offer.objects.get().price_amount == 1500


def test_a_rate_posted_for_an_image_is_ignored(signed_in, creator):
    work = WorkFactory(owner=creator)
    response = signed_in.post(
        _form_url(work),
        {
            "preset": GENERATIVE,
            "price": "12.50",
            "rate": "100",
            "currency": "USD",
            "step": "confirm",
            "consent": "yes",
        },
    )
    assert response.status_code == 302
    assert Offer.objects.get().price_amount == 1250


def test_a_rate_that_prices_past_the_ceiling_is_refused_on_the_form(signed_in, creator):
    """A typo in a rate multiplies: an hour at $999,999 a minute is no real price, and the form
    says so before the consent step."""
    work = audio_work(owner=creator, duration_ms=3_600_000)
    page = signed_in.post(
        _form_url(work),
        {"preset": GENERATIVE, "rate": "999999", "currency": "USD", "step": "review"},
    )
    assert page.status_code == 200
    assert "At this rate the work costs $59,999,940.00: check the rate." in unescape(
        page.content.decode()
    )
    assert not Offer.objects.exists()
