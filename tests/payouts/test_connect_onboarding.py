"""Connect onboarding end to end against the local Stripe server: the creator's Express account
is made once, the account link sends them to the hosted onboarding page, and when they come
back (or when Stripe's account.updated webhook arrives first) their payout account says what
Stripe says, in words a creator understands."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest

from config.errors import ApplicationError
from payouts.models import PayoutAccount, StripeEvent
from payouts.selectors.connect import (
    AccountStatus,
    payout_account_state,
    requirement_phrase,
    requirements_in_words,
)
from payouts.services.connect import (
    payout_account_get_or_create,
    payout_account_onboarding_link,
    payout_account_refresh,
)
from tests.devtools.helpers import control, fetch
from tests.factories import CreatorFactory, PayoutAccountFactory

pytestmark = pytest.mark.django_db

CONNECT = "/studio/earnings/connect/"
RETURN = "/studio/earnings/connect/return/"
REFRESH = "/studio/earnings/connect/refresh/"


@pytest.fixture
def signed_in(client, creator):
    client.force_login(creator)
    return client


def start(client, server) -> str:
    """The creator presses "Connect with Stripe": the onboarding page's URL."""
    response = client.post(CONNECT)
    assert response.status_code == 302, response.content
    assert response.url.startswith(f"{server.public_url}/connect/onboarding/")
    return response.url


def finish(url: str, action: str = "complete") -> str:
    """On the hosted page: open it, then press one of its buttons. Where Stripe sends the
    browser next (a path on our site)."""
    status, _, html = fetch(url)
    assert status == 200 and 'name="action"' in html
    status, headers, _ = fetch(url, {"action": action})
    assert status == 303
    location = urlsplit(headers["Location"])
    assert location.netloc == "testserver"  # back to us, as the return_url we gave
    return location.path


def stripe_accounts(server) -> list[dict]:
    return server.store.all("account")


# --- starting -------------------------------------------------------------------------------


def test_connect_creates_the_express_account_once_and_sends_the_creator_to_stripe(
    signed_in, creator, local_stripe
):
    url = start(signed_in, local_stripe)

    row = PayoutAccount.objects.get(creator=creator)
    (account,) = stripe_accounts(local_stripe)
    assert row.stripe_account_id == account["id"]
    assert account["type"] == "express"
    assert account["email"] == creator.email
    assert account["metadata"] == {"assent_creator_id": str(creator.id)}
    assert account["capabilities"] == {"transfers": "inactive"}
    assert row.payouts_enabled is False and row.details_submitted is False
    assert "external_account" in row.requirements_due

    link = local_stripe.store.objects[url.rsplit("/", 1)[1]]
    assert link["_return_url"] == "http://testserver" + RETURN
    assert link["_refresh_url"] == "http://testserver" + REFRESH

    # Pressing the button again: a new link, the same account.
    second = start(signed_in, local_stripe)
    assert second != url
    assert len(stripe_accounts(local_stripe)) == 1
    assert PayoutAccount.objects.filter(creator=creator).count() == 1


def test_a_crash_before_our_row_was_saved_gets_the_same_account_back(creator, local_stripe):
    """Stripe's idempotency key derives from the creator: asking again after losing the answer
    returns the account Stripe already made, not a second one."""
    first = payout_account_get_or_create(creator=creator)
    PayoutAccount.objects.filter(pk=first.pk).delete()  # as if our commit never happened

    again = payout_account_get_or_create(creator=creator)
    assert again.stripe_account_id == first.stripe_account_id
    assert len(stripe_accounts(local_stripe)) == 1


def test_two_creators_get_two_accounts(local_stripe):
    one, two = CreatorFactory(), CreatorFactory()
    a = payout_account_get_or_create(creator=one)
    b = payout_account_get_or_create(creator=two)
    assert a.stripe_account_id != b.stripe_account_id
    assert len(stripe_accounts(local_stripe)) == 2


def test_only_creators_get_payout_accounts(buyer, staff, local_stripe):
    for user in (buyer, staff):
        with pytest.raises(ApplicationError) as refused:
            payout_account_onboarding_link(
                creator=user, refresh_url="http://x/r", return_url="http://x/d"
            )
        assert refused.value.code == "not_a_creator"
    assert stripe_accounts(local_stripe) == []


def test_stripe_unreachable_is_said_plainly_and_nothing_is_stored(signed_in, creator, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_assent_local"
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    response = signed_in.post(CONNECT, follow=True)
    assert response.redirect_chain[-1][0] == "/studio/earnings/"
    assert "could not reach Stripe" in response.content.decode()
    assert not PayoutAccount.objects.filter(creator=creator).exists()


def test_payments_not_configured_is_said_plainly(signed_in, creator, settings):
    settings.STRIPE_SECRET_KEY = ""
    response = signed_in.post(CONNECT, follow=True)
    assert "Payments are not configured" in response.content.decode()
    assert not PayoutAccount.objects.filter(creator=creator).exists()


def test_connect_is_post_only(signed_in, local_stripe):
    assert signed_in.get(CONNECT).status_code == 405
    assert stripe_accounts(local_stripe) == []


# --- coming back --------------------------------------------------------------------------


def test_onboarding_completed_on_the_hosted_page_then_back_shows_payouts_enabled(
    signed_in, creator, local_stripe
):
    back = finish(start(signed_in, local_stripe), "complete")
    assert back == RETURN

    response = signed_in.get(back, follow=True)
    assert response.redirect_chain == [("/studio/earnings/", 302)]
    html = response.content.decode()
    assert "Your Stripe account is connected. Payouts are enabled." in html
    assert 'data-status="enabled"' in html
    row = PayoutAccount.objects.get(creator=creator)
    assert (row.details_submitted, row.charges_enabled, row.payouts_enabled) == (True, True, True)
    assert row.requirements_due == [] and row.disabled_reason == ""


def test_leaving_early_shows_what_is_missing_in_plain_words(signed_in, creator, local_stripe):
    back = finish(start(signed_in, local_stripe), "abandon")
    response = signed_in.get(back, follow=True)
    html = response.content.decode()

    assert "Stripe setup is not finished yet" in html
    assert 'data-status="incomplete"' in html
    assert "A bank account to receive your payouts" in html
    assert "Your acceptance of Stripe&#x27;s services agreement" in html
    assert "external_account" not in html.split('id="payout-account"')[1].split("</section>")[0]
    assert "Continue setup" in html
    state = payout_account_state(creator=creator)
    assert state.status == AccountStatus.INCOMPLETE and state.action == "Continue setup"


def test_payouts_pending_verification_is_explained(signed_in, creator, local_stripe):
    back = finish(start(signed_in, local_stripe), "pending_verification")
    html = signed_in.get(back, follow=True).content.decode()
    assert 'data-status="verifying"' in html
    assert "Stripe is verifying your details" in html
    assert PayoutAccount.objects.get(creator=creator).payouts_enabled is False


def test_a_used_link_goes_to_refresh_which_makes_a_new_one(signed_in, creator, local_stripe):
    url = start(signed_in, local_stripe)
    assert fetch(url)[0] == 200
    status, headers, _ = fetch(url)  # a second visit: Stripe's links are single-use
    assert status == 303 and headers["Location"] == "http://testserver" + REFRESH

    response = signed_in.get(REFRESH)
    assert response.status_code == 302
    assert response.url.startswith(f"{local_stripe.public_url}/connect/onboarding/")
    assert response.url != url
    assert fetch(response.url)[0] == 200
    assert len(stripe_accounts(local_stripe)) == 1


def test_refresh_and_return_without_an_account_go_to_the_earnings_page(signed_in, local_stripe):
    for path in (REFRESH, RETURN):
        response = signed_in.get(path)
        assert response.status_code == 302 and response.url == "/studio/earnings/"
    assert stripe_accounts(local_stripe) == []


def test_return_when_stripe_is_down_keeps_what_we_knew(signed_in, creator, local_stripe):
    start(signed_in, local_stripe)
    control(local_stripe, "faults", [("fail_next[]", "500")] * 3)  # the call and its 2 retries
    response = signed_in.get(RETURN, follow=True)
    assert "may be a few minutes old" in response.content.decode()
    assert PayoutAccount.objects.get(creator=creator).payouts_enabled is False


def test_refresh_reads_stripe_as_it_is_now(creator, local_stripe):
    row = payout_account_get_or_create(creator=creator)
    control(local_stripe, f"accounts/{row.stripe_account_id}", {"state": "complete"})
    row = payout_account_refresh(payout_account=row)
    assert row.payouts_enabled is True
    control(
        local_stripe,
        f"accounts/{row.stripe_account_id}",
        [("state", "restricted"), ("past_due[]", "individual.verification.document")],
    )
    row = payout_account_refresh(payout_account=row)
    assert row.payouts_enabled is False
    assert row.requirements_due == ["individual.verification.document"]
    state = payout_account_state(payout_account=row)
    assert state.status == AccountStatus.INCOMPLETE
    assert state.missing == ["a photo of your identity document"]


# --- the webhook path: Stripe tells us before the creator comes back -------------------------


@pytest.mark.django_db(transaction=True)
def test_account_updated_webhook_from_the_local_server_enables_payouts(
    live_server, settings, local_stripe
):
    """The local server delivers account.updated, signed, to the live Django server's
    /webhooks/stripe/; without the creator ever visiting the return page, the row changes."""
    secret = "whsec_live_connect_test"
    settings.STRIPE_WEBHOOK_SECRET = secret
    control(
        local_stripe,
        "webhook_endpoints",
        {"url": f"{live_server.url}/webhooks/stripe/", "secret": secret},
    )
    creator = CreatorFactory()
    url = payout_account_onboarding_link(
        creator=creator,
        refresh_url=f"{live_server.url}{REFRESH}",
        return_url=f"{live_server.url}{RETURN}",
    )
    row = PayoutAccount.objects.get(creator=creator)
    assert row.payouts_enabled is False

    assert fetch(url)[0] == 200
    status, headers, _ = fetch(url, {"action": "complete"})
    assert status == 303 and headers["Location"] == f"{live_server.url}{RETURN}"

    wait_until_processed(row)
    assert row.payouts_enabled is True
    assert row.details_submitted is True and row.requirements_due == []

    event = StripeEvent.objects.get(type="account.updated", object_id=row.stripe_account_id)
    assert event.processed_at is not None and event.error == "" and event.attempts == 1
    assert event.payload["account"] == row.stripe_account_id
    deliveries = control_deliveries(local_stripe)
    assert all(d["ok"] for d in deliveries if d["event"] == event.event_id)


def wait_until_processed(row: PayoutAccount, timeout: float = 10.0) -> None:
    """Poll the database until the account.updated event about `row` is processed and the row
    shows payouts enabled (or the time is up). With SQLite the live server shares the test's
    connection, so both are checked: the event row is written last."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row.refresh_from_db()
        done = StripeEvent.objects.filter(
            type="account.updated", object_id=row.stripe_account_id, processed_at__isnull=False
        ).exists()
        if row.payouts_enabled and done:
            return
        time.sleep(0.05)


def control_deliveries(server) -> list[dict]:
    import json

    status, _, text = fetch(f"{server.public_url}/_control/deliveries")
    assert status == 200
    return json.loads(text)["data"]


@pytest.mark.django_db(transaction=True)
def test_a_webhook_that_failed_is_retried_by_the_local_server_until_it_lands(
    live_server, settings, local_stripe, monkeypatch
):
    """Our handler fails once (500): the local server retries with backoff and the second
    delivery is processed; the event row shows both attempts."""
    from payouts import webhooks

    local_stripe.webhooks.backoff_base = 0.05
    secret = "whsec_live_retry_test"
    settings.STRIPE_WEBHOOK_SECRET = secret
    control(
        local_stripe,
        "webhook_endpoints",
        {"url": f"{live_server.url}/webhooks/stripe/", "secret": secret},
    )
    failures = [RuntimeError("database hiccup")]
    real = webhooks.handlers["account.updated"]

    def flaky(event):
        if failures:
            raise failures.pop()
        real(event)

    monkeypatch.setitem(webhooks.handlers, "account.updated", flaky)
    row = payout_account_get_or_create(creator=CreatorFactory())
    control(local_stripe, f"accounts/{row.stripe_account_id}", {"state": "complete"})

    wait_until_processed(row)
    assert row.payouts_enabled is True
    event = StripeEvent.objects.get(type="account.updated", object_id=row.stripe_account_id)
    assert event.attempts == 2 and event.error == "" and event.processed_at is not None


# --- words ----------------------------------------------------------------------------------


def test_requirement_keys_in_plain_words():
    assert requirement_phrase("external_account") == "a bank account to receive your payouts"
    assert requirement_phrase("individual.dob.day") == "your date of birth"
    assert requirement_phrase("tos_acceptance.date") == (
        "your acceptance of Stripe's services agreement"
    )
    assert requirement_phrase("individual.verification.document") == (
        "a photo of your identity document"
    )
    assert requirement_phrase("company.tax_id") == "your company's tax ID"
    assert requirement_phrase("person_1AbC.relationship.title") == "relationship title"
    assert requirement_phrase("something_new") == "something new"
    # Several keys for one thing are one line, in a stable order.
    assert requirements_in_words(
        [
            "individual.dob.year",
            "tos_acceptance.ip",
            "individual.dob.day",
            "external_account",
            "tos_acceptance.date",
        ]
    ) == [
        "a bank account to receive your payouts",
        "your acceptance of Stripe's services agreement",
        "your date of birth",
    ]


@pytest.mark.parametrize(
    ("fields", "status", "action"),
    [
        ({"payouts_enabled": True}, AccountStatus.ENABLED, ""),
        (
            {"payouts_enabled": True, "requirements_due": ["individual.id_number"]},
            AccountStatus.ENABLED,
            "Update details",
        ),
        (
            {
                "payouts_enabled": False,
                "details_submitted": False,
                "requirements_due": ["external_account"],
            },
            AccountStatus.INCOMPLETE,
            "Continue setup",
        ),
        (
            {
                "payouts_enabled": False,
                "details_submitted": True,
                "disabled_reason": "requirements.pending_verification",
            },
            AccountStatus.VERIFYING,
            "",
        ),
        (
            {
                "payouts_enabled": False,
                "details_submitted": True,
                "disabled_reason": "rejected.fraud",
            },
            AccountStatus.RESTRICTED,
            "",
        ),
    ],
)
def test_payout_account_state(creator, fields, status, action):
    row = PayoutAccountFactory(creator=creator, **fields)
    state = payout_account_state(creator=creator)
    assert state.status == status and state.action == action and state.account == row
    assert state.explanation


def test_no_account_is_not_connected(creator):
    state = payout_account_state(creator=creator)
    assert state.status == AccountStatus.NOT_CONNECTED
    assert state.action == "Connect with Stripe" and state.account is None
