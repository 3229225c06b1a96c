"""Offers and consent: nothing is on sale without the creator's explicit yes, every yes and no
is recorded for good, offers never change once made, and only the work's creator touches them."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from licensing import documents
from licensing.models import ConsentAction, ConsentRecord, Offer, OfferStatus
from licensing.selectors.offers import sellable_offers
from licensing.terms import PRESETS, LicenseTerms
from tests.factories import BuyerFactory, CreatorFactory, StaffFactory, WorkFactory
from tests.uploads.images import jpeg_bytes, photo
from tests.uploads.works import upload_work
from uploads.models import Work, WorkStatus
from uploads.services.works import work_review_decide

pytestmark = pytest.mark.django_db

GENERATIVE = "generative-commercial-3y"
CUSTOM_TERMS = {
    "uses": ["ai-input", "ai-evaluate"],
    "commercial": False,
    "term_months": 18,
    "on_expiry": "stop-training",
    "attribution_required": True,
}
AGENT = "Mozilla/5.0 (X11; Linux x86_64) AssentTests/1.0"


def approve(work) -> Work:
    return work_review_decide(work=work, approve=True, reason="", actor=StaffFactory())


def offers_url(work) -> str:
    return f"/api/v1/works/{work.id}/offers/"


def post_offer(api_client, work, **body):
    payload = {"preset": GENERATIVE, "price": 1250, "currency": "USD", "consent": True, **body}
    payload = {k: v for k, v in payload.items() if v is not None}
    return api_client.post(offers_url(work), payload, format="json", HTTP_USER_AGENT=AGENT)


def expected_text_hash(terms: LicenseTerms, work: Work) -> str:
    return documents.text_hash(
        documents.license_text(terms, work=work, creator_name=work.rights_holder)
    )


@pytest.fixture
def work(creator, media_root):
    # As intake leaves an upload: held for review, its rights holder the creator's name.
    return WorkFactory(
        owner=creator,
        seed=0,
        title="Dusk over the bay",
        rights_holder=creator.creator_profile.display_name,
        status=WorkStatus.PENDING_REVIEW,
    )


@pytest.fixture
def creator_api(api_client, creator):
    api_client.force_authenticate(creator)
    return api_client


# --- Making an offer is giving consent ---------------------------------------------------------


def test_offer_with_a_preset_records_the_consent_exactly(creator_api, creator, work):
    assert work.status == WorkStatus.PENDING_REVIEW
    response = post_offer(creator_api, work)
    assert response.status_code == 201, response.json()
    body = response.json()
    terms = PRESETS[GENERATIVE].terms
    assert body["status"] == "active"
    assert body["preset"] == GENERATIVE
    assert body["terms"]["hash"] == terms.hash
    assert (body["price"], body["currency"], body["price_display"]) == (1250, "USD", "$12.50")

    offer = Offer.objects.get()
    assert offer.id == body["id"] and offer.work_id == work.id
    assert offer.terms == terms and offer.terms_hash == terms.hash
    assert (offer.price_amount, offer.currency, offer.status) == (1250, "USD", "active")

    record = ConsentRecord.objects.get()
    assert record.action == ConsentAction.GIVEN
    assert (record.user_id, record.work_id, record.offer_id) == (creator.id, work.id, offer.id)
    assert record.work_title == "Dusk over the bay"
    assert record.terms == terms.canonical()
    assert LicenseTerms.from_dict(record.terms) == terms
    assert record.terms_hash == terms.hash
    assert record.license_text_version == django_settings.LICENSE_TEXT_VERSION
    assert record.license_text_hash == expected_text_hash(terms, work)
    assert (record.price_amount, record.currency) == (1250, "USD")
    assert "$12.50" in record.summary
    assert record.ip_address == "127.0.0.1"
    assert record.user_agent == AGENT
    assert abs((timezone.now() - record.at).total_seconds()) < 60


def test_offer_with_custom_terms(creator_api, work):
    response = post_offer(
        creator_api, work, preset=None, terms=CUSTOM_TERMS, price=700, currency="EUR"
    )
    assert response.status_code == 201, response.json()
    terms = LicenseTerms.from_dict(CUSTOM_TERMS)
    offer = Offer.objects.get()
    assert offer.terms == terms and offer.preset == ""
    assert sorted(offer.uses) == ["ai-evaluate", "ai-input"]
    assert (offer.commercial, offer.term_months, offer.on_expiry) == (False, 18, "stop-training")
    assert offer.attribution_required is True
    record = ConsentRecord.objects.get()
    assert record.terms == terms.canonical() and record.terms_hash == terms.hash
    assert record.license_text_hash == expected_text_hash(terms, work)
    assert (record.price_amount, record.currency) == (700, "EUR")
    assert response.json()["price_display"] == "€7.00"


def test_consent_records_where_it_came_from_not_what_the_client_claims(creator_api, work):
    response = creator_api.post(
        offers_url(work),
        {"preset": GENERATIVE, "price": 1250, "currency": "USD", "consent": True},
        format="json",
        REMOTE_ADDR="203.0.113.7",
        HTTP_X_FORWARDED_FOR="198.51.100.99",
        HTTP_USER_AGENT="x" * 1000,
    )
    assert response.status_code == 201
    record = ConsentRecord.objects.get()
    assert record.ip_address == "203.0.113.7"
    assert record.user_agent == "x" * 400


@pytest.mark.parametrize("consent", [False, "false", "no", 0, None])
def test_no_consent_means_no_offer(creator_api, work, consent):
    """False, or missing altogether: nothing goes on sale and nothing is recorded."""
    response = post_offer(creator_api, work, consent=consent)
    assert response.status_code == 400
    assert response.json()["code"] == "consent_required"
    assert "consent" in response.json()["fields"]
    assert not Offer.objects.exists()
    assert not ConsentRecord.objects.exists()


def test_no_consent_box_on_the_web_means_no_offer(client, creator, work):
    client.force_login(creator)
    url = f"/studio/works/{work.id}/offers/new/"
    form = {"preset": GENERATIVE, "price": "12.50", "currency": "USD"}
    # Reviewing the summary offers nothing yet.
    review = client.post(url, {**form, "step": "review"})
    assert review.status_code == 200
    assert "$12.50" in review.content.decode()
    assert not Offer.objects.exists()
    # Confirming without ticking the box offers nothing either.
    page = client.post(url, {**form, "step": "confirm"})
    assert page.status_code == 400
    assert not Offer.objects.exists() and not ConsentRecord.objects.exists()
    page = client.post(url, {**form, "step": "confirm", "consent": "on"})
    assert page.status_code == 400
    assert not Offer.objects.exists() and not ConsentRecord.objects.exists()


def test_change_terms_on_the_consent_page_goes_back_to_the_form(client, creator, work):
    """The consent form carries a hidden step=confirm; the "Change terms" button adds
    step=edit, so the browser posts both (in page order). Nothing is offered, even with the box
    ticked, and the creator gets the terms form back with their choices."""
    client.force_login(creator)
    page = client.post(
        f"/studio/works/{work.id}/offers/new/",
        {
            "preset": GENERATIVE,
            "price": "12.50",
            "currency": "USD",
            "step": ["confirm", "edit"],
            "consent": "yes",
        },
    )
    assert not Offer.objects.exists() and not ConsentRecord.objects.exists()
    assert page.status_code == 200
    assert 'name="step" value="review"' in page.content.decode()  # step 1, the terms form
    assert 'value="12.50"' in page.content.decode()


def test_consent_on_the_web_makes_the_offer(client, creator, work):
    client.force_login(creator)
    response = client.post(
        f"/studio/works/{work.id}/offers/new/",
        {
            "preset": GENERATIVE,
            "price": "12.5",
            "currency": "USD",
            "step": "confirm",
            "consent": "yes",
        },
        HTTP_USER_AGENT=AGENT,
    )
    assert response.status_code == 302
    offer = Offer.objects.get()
    assert (offer.price_amount, offer.currency, offer.preset) == (1250, "USD", GENERATIVE)
    record = ConsentRecord.objects.get()
    assert (record.offer_id, record.action, record.user_agent) == (offer.id, "given", AGENT)
    assert record.ip_address == "127.0.0.1"
    assert record.license_text_hash == expected_text_hash(offer.terms, work)
    page = client.get(response["Location"]).content.decode()
    assert "$12.50" in page


def test_web_custom_terms_go_through_the_same_consent(client, creator, work):
    client.force_login(creator)
    form = {
        "preset": "custom",
        "uses": ["ai-evaluate", "ai-input"],
        "term_months": "18",
        "on_expiry": "stop-training",
        "attribution_required": "on",
        "price": "7",
        "currency": "EUR",
        "step": "confirm",
        "consent": "yes",
    }
    assert client.post(f"/studio/works/{work.id}/offers/new/", form).status_code == 302
    offer = Offer.objects.get()
    assert offer.terms == LicenseTerms.from_dict(CUSTOM_TERMS)
    assert (offer.price_amount, offer.currency, offer.preset) == (700, "EUR", "")


@pytest.mark.parametrize("price", ["Infinity", "NaN", "sNaN", "1e999999999", "12.345", "abc"])
def test_a_price_that_is_not_a_price_is_a_form_error_not_a_server_error(
    client, creator, work, price
):
    client.force_login(creator)
    response = client.post(
        f"/studio/works/{work.id}/offers/new/",
        {
            "preset": GENERATIVE,
            "price": price,
            "currency": "USD",
            "step": "confirm",
            "consent": "yes",
        },
    )
    assert response.status_code in (200, 400)
    assert not Offer.objects.exists()


# --- What is on sale ---------------------------------------------------------------------------


def test_sellable_offers_are_active_offers_on_listed_works(creator_api, creator, work, media_root):
    other = WorkFactory(owner=creator, seed=1, title="Forest", status=WorkStatus.PENDING_REVIEW)
    post_offer(creator_api, work)
    post_offer(creator_api, other)
    # Waiting for review: consented, but not on sale yet.
    assert not sellable_offers().exists()
    approve(work)
    assert list(sellable_offers().values_list("work_id", flat=True)) == [work.id]
    # A rejected work's offer is never sold.
    work_review_decide(work=other, approve=False, reason="Not yours", actor=StaffFactory())
    assert list(sellable_offers().values_list("work_id", flat=True)) == [work.id]


def test_only_the_newest_price_is_on_sale(creator_api, work):
    approve(work)
    first = post_offer(creator_api, work).json()["id"]
    second = post_offer(creator_api, work, price=1500).json()["id"]
    assert list(sellable_offers().values_list("id", flat=True)) == [second]
    assert first != second


# --- Price and currency ------------------------------------------------------------------------


def test_a_price_below_the_floor_is_refused_naming_the_floor(creator_api, work):
    response = post_offer(creator_api, work, price=199)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "price_below_floor"
    assert "$2.00" in body["message"]
    assert "price" in body["fields"]
    assert not Offer.objects.exists() and not ConsentRecord.objects.exists()
    # The floor itself is allowed.
    assert post_offer(creator_api, work, price=200).status_code == 201


def test_the_floor_is_per_currency(creator_api, work):
    response = post_offer(creator_api, work, price=299, currency="JPY")
    assert response.status_code == 400
    assert response.json()["code"] == "price_below_floor"
    assert "¥300" in response.json()["message"]
    # 299 is far above the USD floor: the floor must not be USD's for every currency.
    assert post_offer(creator_api, work, price=300, currency="JPY").status_code == 201


def test_the_floor_follows_the_settings(creator_api, work, settings):
    settings.LICENSE_PRICE_FLOORS = {**settings.LICENSE_PRICE_FLOORS, "USD": 1000}
    response = post_offer(creator_api, work, price=999)
    assert response.json()["code"] == "price_below_floor"
    assert "$10.00" in response.json()["message"]


@pytest.mark.parametrize("currency", ["BTC", "XXX", "usdt", ""])
def test_an_unsupported_currency_is_refused(creator_api, work, currency):
    response = post_offer(creator_api, work, currency=currency)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "currency" in response.json()["fields"]
    assert not Offer.objects.exists()


@pytest.mark.parametrize("price", ["12.50", 12.5, True, -500, 0, 10**12, "lots"])
def test_a_price_that_is_not_whole_minor_units_in_range_is_refused(creator_api, work, price):
    response = post_offer(creator_api, work, price=price)
    assert response.status_code == 400
    assert response.json()["code"] in ("invalid", "price_below_floor")
    assert not Offer.objects.exists()


def test_zero_decimal_currencies(creator_api, work):
    response = post_offer(creator_api, work, price=3000, currency="JPY")
    assert response.status_code == 201
    assert response.json()["price_display"] == "¥3,000"
    record = ConsentRecord.objects.get()
    assert (record.price_amount, record.currency) == (3000, "JPY")
    assert "¥3,000" in record.summary


def test_invalid_terms_name_the_field(creator_api, work):
    for change, field in [
        ({"uses": []}, "uses"),
        ({"term_months": 121}, "term_months"),
        ({"on_expiry": "burn"}, "on_expiry"),
    ]:
        response = post_offer(creator_api, work, preset=None, terms={**CUSTOM_TERMS, **change})
        assert response.status_code == 400
        assert field in str(response.json()["fields"])
    response = post_offer(creator_api, work, preset="everything-forever")
    assert response.status_code == 400 and "preset" in response.json()["fields"]
    response = post_offer(creator_api, work, terms=CUSTOM_TERMS)  # both preset and terms
    assert response.status_code == 400
    response = post_offer(creator_api, work, preset=None)  # neither
    assert response.status_code == 400
    assert not Offer.objects.exists() and not ConsentRecord.objects.exists()


# --- Offers never change -----------------------------------------------------------------------


def test_a_new_price_on_the_same_terms_retires_the_old_offer(creator_api, work):
    first = post_offer(creator_api, work, price=1250).json()
    second = post_offer(creator_api, work, price=1800).json()
    old, new = Offer.objects.get(id=first["id"]), Offer.objects.get(id=second["id"])
    assert old.status == OfferStatus.RETIRED and old.ended_at is not None
    assert old.price_amount == 1250  # the old offer still says what was consented to
    assert new.status == OfferStatus.ACTIVE and new.ended_at is None
    assert new.price_amount == 1800 and new.terms_hash == old.terms_hash
    records = {r.offer_id: r for r in ConsentRecord.objects.all()}
    assert set(records) == {old.id, new.id}
    assert records[old.id].price_amount == 1250 and records[new.id].price_amount == 1800
    assert all(r.action == ConsentAction.GIVEN for r in records.values())
    # Listing shows both, and only one is live.
    listed = creator_api.get(offers_url(work)).json()
    assert sorted((o["status"], o["price"]) for o in listed) == [
        ("active", 1800),
        ("retired", 1250),
    ]


def test_different_terms_are_different_offers_side_by_side(creator_api, work):
    post_offer(creator_api, work)
    post_offer(creator_api, work, preset="evaluation-1y", price=500)
    assert Offer.objects.filter(work=work, status="active").count() == 2
    assert ConsentRecord.objects.count() == 2


def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip(
            "The append-only triggers exist on PostgreSQL only; SQLite relies on the model guards."
        )


def test_the_model_refuses_to_change_an_offers_terms_or_price(creator_api, work):
    """On every database: the ORM refuses before any SQL is sent."""
    offer = Offer.objects.get(id=post_offer(creator_api, work).json()["id"])
    changes = [
        {"price_amount": 99999},
        {"currency": "EUR"},
        {"term_months": 120},
        {"commercial": False},
        {"uses": ["ai-evaluate"]},
        {"on_expiry": "stop-training"},
        {"attribution_required": False},
        {"terms_hash": "0" * 64},
    ]
    for change in changes:
        with pytest.raises(PermissionError):
            Offer.objects.filter(id=offer.id).update(**change)
    offer.price_amount = 1
    with pytest.raises(PermissionError):
        offer.save()
    with pytest.raises(PermissionError):
        offer.save(update_fields=["price_amount"])
    offer.refresh_from_db()
    assert (offer.price_amount, offer.currency, offer.term_months) == (1250, "USD", 36)


COLUMN_CHANGES = [
    ("price_amount", 99999),
    ("currency", "EUR"),
    ("term_months", 120),
    ("commercial", False),
    ("uses", '["ai-evaluate"]'),
    ("on_expiry", "stop-training"),
    ("attribution_required", False),
    ("terms_hash", "0" * 64),
]


def test_the_database_refuses_to_change_an_offers_terms_or_price(creator_api, work):
    """On PostgreSQL a trigger refuses even SQL that bypasses the ORM (SQLSTATE 23000, which
    Django reports as IntegrityError)."""
    _postgres_only()
    from django.db import IntegrityError

    offer = Offer.objects.get(id=post_offer(creator_api, work).json()["id"])
    for column, value in COLUMN_CHANGES:
        cast = "::jsonb" if column == "uses" else ""
        sql = f"UPDATE licensing_offer SET {column} = %s{cast} WHERE id = %s"
        with (
            pytest.raises(IntegrityError) as raised,
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [value, offer.id])
        assert "cannot change" in str(raised.value)
    offer.refresh_from_db()
    assert (offer.price_amount, offer.currency, offer.term_months) == (1250, "USD", 36)
    assert offer.terms == PRESETS[GENERATIVE].terms


def test_status_changes_remain_allowed(creator_api, work):
    offer_id = post_offer(creator_api, work).json()["id"]
    now = timezone.now()
    Offer.objects.filter(id=offer_id).update(status=OfferStatus.RETIRED, ended_at=now)
    offer = Offer.objects.get(id=offer_id)
    assert offer.status == OfferStatus.RETIRED and offer.ended_at == now
    offer.status = OfferStatus.WITHDRAWN
    offer.save(update_fields=["status"])
    offer.refresh_from_db()
    assert offer.status == OfferStatus.WITHDRAWN


# --- Consent records never change ----------------------------------------------------------------


def test_consent_records_cannot_be_changed_or_deleted_through_the_orm(creator_api, work):
    post_offer(creator_api, work)
    record = ConsentRecord.objects.get()
    record.price_amount = 1
    with pytest.raises(PermissionError):
        record.save()
    with pytest.raises(PermissionError):
        record.delete()
    with pytest.raises(PermissionError):
        ConsentRecord.objects.filter(id=record.id).update(price_amount=1)
    with pytest.raises(PermissionError):
        ConsentRecord.objects.filter(id=record.id).delete()
    with pytest.raises(PermissionError):
        ConsentRecord.objects.all().delete()
    with pytest.raises(PermissionError), transaction.atomic():
        ConsentRecord.objects.bulk_update([record], ["price_amount"])
    stored = ConsentRecord.objects.get()
    assert stored.price_amount == 1250


def test_the_database_refuses_raw_changes_to_consent_records(creator_api, work):
    _postgres_only()
    post_offer(creator_api, work)
    record = ConsentRecord.objects.get()
    for sql in (
        "UPDATE licensing_consentrecord SET price_amount = 1 WHERE id = %s",
        "UPDATE licensing_consentrecord SET action = 'withdrawn' WHERE id = %s",
        "DELETE FROM licensing_consentrecord WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError) as raised,
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [record.id])
        assert "append-only" in str(raised.value)
    # Bypassing the model guards with Django's own internals does not work either.
    with pytest.raises(DatabaseError), transaction.atomic():
        ConsentRecord.objects.filter(id=record.id)._raw_delete(connection.alias)
    from django.db.models.query import QuerySet

    with pytest.raises(DatabaseError), transaction.atomic():
        QuerySet.update(ConsentRecord.objects.filter(id=record.id), price_amount=1)
    stored = ConsentRecord.objects.get()
    assert (stored.price_amount, stored.action) == (1250, "given")


# --- Withdrawal ----------------------------------------------------------------------------------


def withdraw_url(work, offer_id) -> str:
    return f"/api/v1/works/{work.id}/offers/{offer_id}/withdraw/"


def test_withdrawing_an_offer_takes_it_off_sale_and_records_the_no(creator_api, creator, work):
    approve(work)
    offer_id = post_offer(creator_api, work).json()["id"]
    assert sellable_offers().filter(id=offer_id).exists()
    response = creator_api.post(withdraw_url(work, offer_id), HTTP_USER_AGENT=AGENT)
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    offer = Offer.objects.get(id=offer_id)
    assert offer.status == OfferStatus.WITHDRAWN and offer.ended_at is not None
    assert not sellable_offers().filter(id=offer_id).exists()
    withdrawn = ConsentRecord.objects.get(action=ConsentAction.WITHDRAWN)
    assert (withdrawn.offer_id, withdrawn.work_id, withdrawn.user_id) == (
        offer_id,
        work.id,
        creator.id,
    )
    assert withdrawn.terms_hash == offer.terms_hash and withdrawn.price_amount == 1250
    assert withdrawn.user_agent == AGENT and withdrawn.ip_address == "127.0.0.1"
    # The yes is still there, next to the no.
    assert ConsentRecord.objects.filter(offer_id=offer_id).count() == 2

    # Withdrawing twice records nothing new.
    again = creator_api.post(withdraw_url(work, offer_id))
    assert again.status_code == 200 and again.json()["status"] == "withdrawn"
    assert ConsentRecord.objects.filter(offer_id=offer_id).count() == 2


def test_withdrawing_a_retired_offer_records_nothing(creator_api, work):
    old = post_offer(creator_api, work, price=1250).json()["id"]
    new = post_offer(creator_api, work, price=1500).json()["id"]
    assert creator_api.post(withdraw_url(work, old)).json()["status"] == "retired"
    assert not ConsentRecord.objects.filter(action="withdrawn").exists()
    assert Offer.objects.get(id=new).status == "active"


def test_withdrawing_a_work_withdraws_every_active_offer(creator_api, work):
    approve(work)
    post_offer(creator_api, work, price=1250)
    post_offer(creator_api, work, price=1300)  # retires the first
    post_offer(creator_api, work, preset="evaluation-1y", price=400)
    response = creator_api.post(f"/api/v1/works/{work.id}/withdraw/")
    assert response.status_code == 200
    assert len(response.json()) == 2
    assert {o["status"] for o in response.json()} == {"withdrawn"}
    assert not Offer.objects.filter(work=work, status="active").exists()
    assert Offer.objects.filter(work=work, status="retired").count() == 1
    assert ConsentRecord.objects.filter(action="withdrawn").count() == 2
    assert not sellable_offers().exists()
    # Again: nothing left to withdraw, nothing recorded.
    assert creator_api.post(f"/api/v1/works/{work.id}/withdraw/").json() == []
    assert ConsentRecord.objects.filter(action="withdrawn").count() == 2


def test_a_withdrawn_work_can_be_offered_again_with_a_new_yes(creator_api, work):
    first = post_offer(creator_api, work).json()["id"]
    creator_api.post(withdraw_url(work, first))
    again = post_offer(creator_api, work)
    assert again.status_code == 201
    assert Offer.objects.get(id=first).status == "withdrawn"
    assert [r.action for r in ConsentRecord.objects.order_by("id")] == [
        "given",
        "withdrawn",
        "given",
    ]


def test_the_withdrawal_pages_list_the_offers_and_say_no_licenses_are_running(
    client, creator_api, creator, work
):
    offer_id = post_offer(creator_api, work).json()["id"]
    client.force_login(creator)
    for url in (
        f"/studio/works/{work.id}/withdraw/",
        f"/studio/works/{work.id}/offers/{offer_id}/withdraw/",
    ):
        page = client.get(url)
        assert page.status_code == 200
        text = page.content.decode()
        assert "$12.50" in text
        assert "no running licenses" in text.lower() or "no licenses" in text.lower()
    assert Offer.objects.get(id=offer_id).status == "active"  # looking withdraws nothing


def test_withdrawing_on_the_web(client, creator_api, creator, work):
    offer_id = post_offer(creator_api, work).json()["id"]
    client.force_login(creator)
    response = client.post(f"/studio/works/{work.id}/offers/{offer_id}/withdraw/")
    assert response.status_code == 302
    assert Offer.objects.get(id=offer_id).status == "withdrawn"
    assert ConsentRecord.objects.filter(action="withdrawn", offer_id=offer_id).count() == 1
    other = post_offer(creator_api, work, preset="evaluation-1y").json()["id"]
    assert client.post(f"/studio/works/{work.id}/withdraw/").status_code == 302
    assert Offer.objects.get(id=other).status == "withdrawn"


# --- Who may do what -----------------------------------------------------------------------------


def _endpoints(work, offer_id):
    body = {"preset": GENERATIVE, "price": 1250, "currency": "USD", "consent": True}
    return [
        ("get", offers_url(work), None),
        ("post", offers_url(work), body),
        ("post", withdraw_url(work, offer_id), None),
        ("post", f"/api/v1/works/{work.id}/withdraw/", None),
    ]


def _nothing_changed(offer_id):
    assert Offer.objects.count() == 1
    assert Offer.objects.get(id=offer_id).status == "active"
    assert ConsentRecord.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "expected"),
    [("other_creator", 404), ("buyer", 403), ("staff", 403), ("anonymous", 401)],
)
def test_only_the_works_creator_reaches_its_offers_through_the_api(
    api_client, creator, work, who, expected
):
    api_client.force_authenticate(creator)
    offer_id = post_offer(api_client, work).json()["id"]
    api_client.force_authenticate(None)
    user = {
        "other_creator": CreatorFactory,
        "buyer": BuyerFactory,
        "staff": StaffFactory,
        "anonymous": lambda: None,
    }[who]()
    if user is not None:
        api_client.force_authenticate(user)
    for method, url, body in _endpoints(work, offer_id):
        response = getattr(api_client, method)(url, body, format="json")
        assert response.status_code == expected, (method, url, response.content)
        assert "code" in response.json()
    consents = api_client.get("/api/v1/consents/")
    if who == "other_creator":
        assert consents.status_code == 200 and consents.json()["results"] == []
    else:
        assert consents.status_code == expected
    _nothing_changed(offer_id)


def test_an_offer_is_reached_only_through_its_own_work(creator_api, creator, work, media_root):
    mine_too = WorkFactory(owner=creator, seed=5, status=WorkStatus.PENDING_REVIEW)
    offer_id = post_offer(creator_api, work).json()["id"]
    assert creator_api.post(withdraw_url(mine_too, offer_id)).status_code == 404
    _nothing_changed(offer_id)


@pytest.mark.parametrize(
    ("who", "expected"), [("other_creator", 404), ("buyer", 403), ("anonymous", 302)]
)
def test_only_the_works_creator_reaches_its_offer_pages(client, creator_api, work, who, expected):
    offer_id = post_offer(creator_api, work).json()["id"]
    user = {"other_creator": CreatorFactory, "buyer": BuyerFactory, "anonymous": lambda: None}[
        who
    ]()
    if user is not None:
        client.force_login(user)
    form = {
        "preset": GENERATIVE,
        "price": "12.50",
        "currency": "USD",
        "step": "confirm",
        "consent": "yes",
    }
    for method, url, data in [
        ("get", f"/studio/works/{work.id}/offers/new/", None),
        ("post", f"/studio/works/{work.id}/offers/new/", form),
        ("get", f"/studio/works/{work.id}/withdraw/", None),
        ("post", f"/studio/works/{work.id}/withdraw/", {}),
        ("get", f"/studio/works/{work.id}/offers/{offer_id}/withdraw/", None),
        ("post", f"/studio/works/{work.id}/offers/{offer_id}/withdraw/", {}),
    ]:
        response = getattr(client, method)(url, data)
        assert response.status_code == expected, (method, url)
        if expected == 302:
            assert "/login/" in response["Location"]
    _nothing_changed(offer_id)


def test_presets_are_public(api_client):
    response = api_client.get("/api/v1/presets/")
    assert response.status_code == 200
    presets = {p["key"]: p for p in response.json()}
    assert set(presets) == set(PRESETS)
    for key, preset in PRESETS.items():
        assert presets[key]["terms"]["hash"] == preset.terms.hash
        assert LicenseTerms.from_dict(presets[key]["terms"]) == preset.terms
        assert presets[key]["name"] == preset.name


def test_the_consent_history_is_the_creators_own(creator_api, creator, work, media_root):
    post_offer(creator_api, work)
    offer_id = Offer.objects.get().id
    creator_api.post(withdraw_url(work, offer_id))
    someone = CreatorFactory()
    creator_api.force_authenticate(someone)
    post_offer(
        creator_api,
        WorkFactory(owner=someone, seed=9, title="Theirs", status=WorkStatus.PENDING_REVIEW),
    )
    creator_api.force_authenticate(creator)
    results = creator_api.get("/api/v1/consents/").json()["results"]
    assert [(r["action"], r["work_title"]) for r in results] == [
        ("withdrawn", "Dusk over the bay"),
        ("given", "Dusk over the bay"),
    ]
    assert results[1]["terms_hash"] == PRESETS[GENERATIVE].terms.hash
    assert results[1]["license_text_hash"] == expected_text_hash(PRESETS[GENERATIVE].terms, work)


# --- Works that cannot be offered ----------------------------------------------------------------


@pytest.mark.parametrize("state", ["processing", "rejected", "failed"])
def test_a_work_that_is_not_offerable_gets_no_offer(creator_api, creator, media_root, state):
    if state == "processing":
        work = upload_work(creator, jpeg_bytes(photo(160, 120, seed=3)), process=False)
    else:
        work = WorkFactory(owner=creator, seed=3, status=WorkStatus.PENDING_REVIEW)
        if state == "rejected":
            work_review_decide(work=work, approve=False, reason="Not yours", actor=StaffFactory())
        else:
            Work.objects.filter(id=work.id).update(status=WorkStatus.FAILED)
    response = post_offer(creator_api, work)
    assert response.status_code == 409
    assert response.json()["code"] == "work_not_offerable"
    assert not Offer.objects.exists() and not ConsentRecord.objects.exists()


def test_deleting_a_work_keeps_its_consent_history(
    client, creator_api, creator, work, django_capture_on_commit_callbacks
):
    offer_id = post_offer(creator_api, work).json()["id"]
    creator_api.post(withdraw_url(work, offer_id))
    post_offer(creator_api, work, preset="evaluation-1y", price=500)
    before = list(ConsentRecord.objects.order_by("id").values())
    assert len(before) == 3
    with django_capture_on_commit_callbacks(execute=True):
        assert creator_api.delete(f"/api/v1/works/{work.id}/").status_code == 204
    assert not Work.objects.filter(id=work.id).exists()
    assert list(ConsentRecord.objects.order_by("id").values()) == before
    # ...and the creator can still read it, through the API and on the page.
    history = creator_api.get("/api/v1/consents/")
    assert history.status_code == 200
    assert [r["work_title"] for r in history.json()["results"]] == ["Dusk over the bay"] * 3
    client.force_login(creator)
    page = client.get("/studio/consents/")
    assert page.status_code == 200
    assert "Dusk over the bay" in page.content.decode()
