"""The Stripe webhook receiver: signatures checked before anything is stored, each event stored
once under its Stripe id and processed once, failures kept and answered 500 so Stripe retries,
and account.updated keeping a creator's payout account current.

Deliveries are signed exactly as Stripe (and the local server) signs them, with
devtools.stripe_local.webhooks.sign."""

from __future__ import annotations

import json
import threading
import time

import pytest
from django.db import connection

from devtools.stripe_local.webhooks import sign
from payouts import webhooks
from payouts.models import PayoutAccount, StripeEvent
from tests.factories import PayoutAccountFactory

pytestmark = pytest.mark.django_db

SECRET = "whsec_test_receiver"
URL = "/webhooks/stripe/"


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = SECRET


_ids = iter(range(1, 1_000_000))


def make_event(event_type: str = "test.ping", obj: dict | None = None, **extra) -> dict:
    n = next(_ids)
    return {
        "id": f"evt_test_{n:06d}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "livemode": False,
        "api_version": "2025-09-30.clover",
        "data": {"object": obj or {"id": f"obj_{n}", "object": "thing"}},
        **extra,
    }


def deliver(client, event: dict | bytes, *, secret: str = SECRET, timestamp=None, header=None):
    payload = event if isinstance(event, bytes) else json.dumps(event, indent=2).encode()
    if header is None:
        header = sign(payload, secret, int(timestamp or time.time()))
    extra = {"HTTP_STRIPE_SIGNATURE": header} if header else {}
    return client.post(URL, data=payload, content_type="application/json", **extra)


@pytest.fixture
def calls(monkeypatch):
    """A handler for `test.ping` that records what it was given."""
    seen: list[dict] = []
    monkeypatch.setitem(webhooks.handlers, "test.ping", seen.append)
    return seen


# --- signatures ----------------------------------------------------------------------------


def test_a_signed_event_is_stored_and_processed(client, calls):
    event = make_event()
    response = deliver(client, event)

    assert response.status_code == 200
    assert response.json() == {"message": "processed", "event": event["id"]}
    row = StripeEvent.objects.get(event_id=event["id"])
    assert row.type == "test.ping"
    assert row.payload == event
    assert row.object_id == event["data"]["object"]["id"]
    assert int(row.created.timestamp()) == event["created"]
    assert row.processed_at is not None and row.error == "" and row.attempts == 1
    assert calls == [event]


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda p, h: (p.replace(b"test.ping", b"test.pong"), h), id="tampered-body"),
        pytest.param(
            lambda p, h: (p, sign(p, "whsec_someone_else", int(time.time()))), id="wrong-secret"
        ),
        pytest.param(
            lambda p, h: (p, sign(p, SECRET, int(time.time()) - 3600)), id="stale-timestamp"
        ),
        pytest.param(lambda p, h: (p, "t=123,v1=deadbeef"), id="garbage-header"),
        pytest.param(lambda p, h: (p, h.split(",v1=")[0]), id="no-v1-signature"),
    ],
)
def test_a_bad_signature_is_refused_and_nothing_is_stored(client, calls, tamper):
    payload = json.dumps(make_event()).encode()
    body, header = tamper(payload, sign(payload, SECRET, int(time.time())))
    response = deliver(client, body, header=header)

    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0
    assert calls == []


def test_a_missing_signature_header_is_refused_and_nothing_is_stored(client, calls):
    response = client.post(URL, data=json.dumps(make_event()), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["message"] == "Missing Stripe-Signature header."
    assert StripeEvent.objects.count() == 0
    assert calls == []


def test_signed_garbage_is_refused(client):
    assert deliver(client, b"not json at all").status_code == 400
    assert deliver(client, json.dumps({"hello": "world"}).encode()).status_code == 400
    assert StripeEvent.objects.count() == 0


def test_without_a_configured_secret_nothing_is_accepted(client, settings, calls):
    """An empty secret is no secret (anyone can sign with it): refuse, and let Stripe retry."""
    settings.STRIPE_WEBHOOK_SECRET = ""
    response = deliver(client, make_event(), secret="")
    assert response.status_code == 503
    assert StripeEvent.objects.count() == 0
    assert calls == []


def test_only_post_is_accepted(client):
    assert client.get(URL).status_code == 405


def test_the_receiver_needs_no_csrf_token_and_no_session(calls):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert deliver(strict, make_event()).status_code == 200
    assert len(calls) == 1


# --- once and only once ----------------------------------------------------------------------


def test_a_duplicate_delivery_is_answered_200_and_not_processed_again(client, calls):
    event = make_event()
    first, second = deliver(client, event), deliver(client, event)

    assert first.status_code == second.status_code == 200
    assert second.json()["message"] == "duplicate"
    assert len(calls) == 1
    row = StripeEvent.objects.get(event_id=event["id"])
    assert row.attempts == 1
    assert StripeEvent.objects.count() == 1


def test_unknown_event_types_are_kept_and_answered_200(client, caplog):
    event = make_event("charge.refund.updated")
    with caplog.at_level("INFO", logger="payouts.webhooks"):
        response = deliver(client, event)
    assert response.status_code == 200
    assert response.json()["message"] == "ignored"
    assert "no handler" in caplog.text
    row = StripeEvent.objects.get(event_id=event["id"])
    assert row.processed_at is not None


def test_a_failing_handler_is_recorded_answered_500_and_processed_on_redelivery(
    client, monkeypatch, creator
):
    """The handler's writes roll back with it; the event row and its error stay; Stripe's
    next delivery (after the bug is fixed) processes it."""
    account = PayoutAccountFactory(creator=creator, payouts_enabled=False)

    def broken(event):
        PayoutAccount.objects.filter(pk=account.pk).update(payouts_enabled=True)
        raise RuntimeError("the handler has a bug")

    monkeypatch.setitem(webhooks.handlers, "test.ping", broken)
    event = make_event()
    response = deliver(client, event)

    assert response.status_code == 500
    row = StripeEvent.objects.get(event_id=event["id"])
    assert row.processed_at is None
    assert row.error == "RuntimeError: the handler has a bug"
    assert row.attempts == 1
    account.refresh_from_db()
    assert account.payouts_enabled is False  # rolled back with the handler

    # Stripe retries; still broken: the attempt is counted.
    assert deliver(client, event).status_code == 500
    assert StripeEvent.objects.get(event_id=event["id"]).attempts == 2

    def fixed(event):
        PayoutAccount.objects.filter(pk=account.pk).update(payouts_enabled=True)

    monkeypatch.setitem(webhooks.handlers, "test.ping", fixed)
    assert deliver(client, event).status_code == 200
    row.refresh_from_db()
    assert row.processed_at is not None and row.error == "" and row.attempts == 3
    account.refresh_from_db()
    assert account.payouts_enabled is True
    assert deliver(client, event).json()["message"] == "duplicate"


def test_register_adds_a_handler_and_refuses_a_second_one_for_the_same_type(monkeypatch):
    monkeypatch.setattr(webhooks, "handlers", {})

    @webhooks.register("order.paid")
    def first(event):
        pass

    assert webhooks.handlers == {"order.paid": first}
    webhooks.register("order.paid")(first)  # the same function again (a re-import): fine
    with pytest.raises(ValueError, match="already has a handler"):

        @webhooks.register("order.paid")
        def second(event):
            pass


def test_account_updated_is_registered_by_the_app():
    assert webhooks.handlers["account.updated"] is webhooks.account_updated


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has no concurrent writers to race"
)
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_deliveries_of_one_event_process_it_once(monkeypatch):
    """Stripe can deliver an event twice at the same moment: the row lock makes the second
    wait for the first and then see it processed."""
    from django.db import connections
    from django.test import Client

    started, release = threading.Event(), threading.Event()
    seen: list[str] = []

    def slow(event):
        seen.append(event["id"])
        started.set()
        release.wait(5)

    monkeypatch.setitem(webhooks.handlers, "test.ping", slow)
    event = make_event()
    answers: list[dict] = []

    def post():
        try:
            answers.append(deliver(Client(), event).json())
        finally:
            connections.close_all()

    first = threading.Thread(target=post)
    first.start()
    assert started.wait(5)
    second = threading.Thread(target=post)
    second.start()
    time.sleep(0.3)  # the second is now waiting on the row lock
    release.set()
    first.join(10)
    second.join(10)

    assert seen == [event["id"]]
    assert sorted(a["message"] for a in answers) == ["duplicate", "processed"]


# --- account.updated -------------------------------------------------------------------------


def account_object(account_id: str, **fields) -> dict:
    requirements = {
        "currently_due": [],
        "past_due": [],
        "eventually_due": [],
        "pending_verification": [],
        "disabled_reason": None,
        **fields.pop("requirements", {}),
    }
    return {
        "id": account_id,
        "object": "account",
        "type": "express",
        "details_submitted": False,
        "charges_enabled": False,
        "payouts_enabled": False,
        "requirements": requirements,
        **fields,
    }


def account_updated(account: dict, *, created: int | None = None) -> dict:
    event = make_event("account.updated", account, account=account["id"])
    if created is not None:
        event["created"] = created
    return event


def test_account_updated_brings_the_payout_account_up_to_date(client, creator):
    row = PayoutAccountFactory(
        creator=creator, details_submitted=False, charges_enabled=False, payouts_enabled=False
    )
    incomplete = account_object(
        row.stripe_account_id,
        details_submitted=True,
        requirements={
            "currently_due": ["individual.dob.day", "external_account"],
            "past_due": ["external_account", "tos_acceptance.date"],
            "disabled_reason": "requirements.past_due",
        },
    )
    assert deliver(client, account_updated(incomplete)).status_code == 200
    row.refresh_from_db()
    assert row.details_submitted is True and row.payouts_enabled is False
    assert row.requirements_due == ["external_account", "individual.dob.day", "tos_acceptance.date"]
    assert row.disabled_reason == "requirements.past_due"

    complete = account_object(
        row.stripe_account_id, details_submitted=True, charges_enabled=True, payouts_enabled=True
    )
    assert deliver(client, account_updated(complete)).status_code == 200
    row.refresh_from_db()
    assert (row.details_submitted, row.charges_enabled, row.payouts_enabled) == (True, True, True)
    assert row.requirements_due == [] and row.disabled_reason == ""


def test_account_updated_for_an_account_that_is_not_ours_changes_nothing(client, creator):
    row = PayoutAccountFactory(creator=creator, payouts_enabled=False)
    event = account_updated(account_object("acct_someone_elses", payouts_enabled=True))
    response = deliver(client, event)
    assert response.status_code == 200
    assert StripeEvent.objects.get(event_id=event["id"]).processed_at is not None
    row.refresh_from_db()
    assert row.payouts_enabled is False


def test_a_late_older_account_updated_does_not_undo_a_newer_one(client, creator):
    """Stripe does not promise order: an event retried later than a newer one is skipped."""
    row = PayoutAccountFactory(creator=creator, payouts_enabled=False)
    now = int(time.time())
    older = account_updated(
        account_object(row.stripe_account_id, requirements={"currently_due": ["external_account"]}),
        created=now - 60,
    )
    newer = account_updated(
        account_object(row.stripe_account_id, details_submitted=True, payouts_enabled=True),
        created=now,
    )
    assert deliver(client, newer).status_code == 200
    assert deliver(client, older).status_code == 200

    row.refresh_from_db()
    assert row.payouts_enabled is True and row.requirements_due == []
    assert StripeEvent.objects.get(event_id=older["id"]).processed_at is not None


def test_the_receiver_is_never_wrapped_in_a_request_transaction():
    """With ATOMIC_REQUESTS on, the view must still commit the event row on its own."""
    from django.urls import resolve

    view = resolve(URL).func
    assert "default" in getattr(view, "_non_atomic_requests", set())
    assert getattr(view, "csrf_exempt", False) is True


# --- bodies that are signed but are not events ----------------------------------------------


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"[1,2,3]", "Invalid payload."),
        (b'"evt_1"', "Invalid payload."),
        (b"null", "Invalid payload."),
        (
            json.dumps({"id": "evt_no_data", "object": "event", "type": "test.ping"}).encode(),
            "Not a Stripe event: `data.object` is missing or not an object.",
        ),
        (
            json.dumps({"id": "evt_bad_data", "type": "test.ping", "data": [1]}).encode(),
            "Not a Stripe event: `data.object` is missing or not an object.",
        ),
        (
            json.dumps({"id": "evt_obj", "type": "test.ping", "data": {"object": "x"}}).encode(),
            "Not a Stripe event: `data.object` is missing or not an object.",
        ),
        (
            json.dumps({"id": 7, "type": "test.ping", "data": {"object": {}}}).encode(),
            "Not a Stripe event: `id` is missing or not a string.",
        ),
        (
            json.dumps({"id": "evt_t", "type": ["x"], "data": {"object": {}}}).encode(),
            "Not a Stripe event: `type` is missing or not a string.",
        ),
    ],
)
def test_a_signed_body_that_is_not_an_event_is_refused_400_and_never_stored(
    client, calls, body, says
):
    response = deliver(client, body)

    assert response.status_code == 400
    assert response.json()["message"] == says
    assert not StripeEvent.objects.exists()  # nothing for a retry to fail on again
    assert calls == []
