"""The creator's earnings page, CSV and API; the staff ledger page (transactions, trial balance,
freezes, payout runs); and who may see what: a creator sees only their own money."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from payouts.models import Freeze, Payout, PayoutRun, PayoutStatus
from payouts.selectors import ledger as ledger_selectors
from payouts.selectors.ledger import creator_balances
from payouts.services.events import hold_release
from payouts.services.freezes import freeze_create
from tests.devtools.helpers import control
from tests.factories import CreatorFactory, PayoutAccountFactory
from tests.payouts.factories import connected_creator, fund_platform, sell, use_local_stripe

pytestmark = pytest.mark.django_db

CREATOR_PAGES = [
    "/studio/earnings/",
    "/studio/earnings.csv",
    "/studio/earnings/connect/return/",
    "/studio/earnings/connect/refresh/",
]
CREATOR_POSTS = ["/studio/earnings/connect/"]
STAFF_PAGES = ["/staff/ledger/"]
STAFF_POSTS = ["/staff/ledger/freezes/", "/staff/ledger/payout-run/"]
APIS = ["/api/v1/earnings/", "/api/v1/payouts/"]


def page(client, path="/studio/earnings/") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def payout(creator, amount, *, status=PayoutStatus.PAID, on=date(2026, 11, 2), **fields):
    run, _ = PayoutRun.objects.get_or_create(scheduled_for=on)
    return Payout.objects.create(
        run=run, creator=creator, amount=amount, currency="USD", status=status, **fields
    )


@pytest.fixture
def earning_creator(db):
    """A creator with two sales: one still held, one released and available."""
    creator = CreatorFactory(email="ada@example.com")
    sell(creator, 2500)  # share 2000, held
    released = sell(creator, 1500)  # share 1200
    hold_release(item_ref=released)
    return creator


# --- who may see what -----------------------------------------------------------------------


@pytest.mark.parametrize("path", CREATOR_PAGES + STAFF_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/?next=")


@pytest.mark.parametrize("path", CREATOR_POSTS + STAFF_POSTS)
def test_anonymous_posts_are_sent_to_sign_in(client, path):
    response = client.post(path)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/?next=")


@pytest.mark.parametrize("path", APIS)
def test_the_api_refuses_anonymous_callers(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("path", CREATOR_PAGES + STAFF_PAGES)
def test_buyers_are_refused(client, buyer, path):
    client.force_login(buyer)
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", CREATOR_POSTS + STAFF_POSTS + ["/staff/ledger/freezes/1/lift/"])
def test_buyers_cannot_post(client, buyer, path):
    client.force_login(buyer)
    assert client.post(path).status_code == 403


@pytest.mark.parametrize("path", APIS)
def test_the_api_refuses_buyers_and_staff(api_client, buyer, staff_with_totp, path):
    for user in (buyer, staff_with_totp):
        api_client.force_authenticate(user)
        response = api_client.get(path)
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_creators_cannot_open_staff_pages(client, creator, path):
    client.force_login(creator)
    response = client.get(path)
    assert response.status_code == 403
    assert "Assent" in response.content.decode()


def test_creators_cannot_freeze_lift_or_run_payouts(client, creator, staff):
    freeze = freeze_create(actor=staff, reason="Claim", creator=creator)
    client.force_login(creator)
    assert (
        client.post(
            "/staff/ledger/freezes/", {"creator_email": creator.email, "reason": "x"}
        ).status_code
        == 403
    )
    assert client.post(f"/staff/ledger/freezes/{freeze.id}/lift/").status_code == 403
    assert client.post("/staff/ledger/payout-run/").status_code == 403
    freeze.refresh_from_db()
    assert freeze.lifted_at is None
    assert Freeze.objects.count() == 1 and PayoutRun.objects.count() == 0


@pytest.mark.parametrize("path", CREATOR_PAGES)
def test_staff_do_not_see_creator_earnings_pages(client, staff_with_totp, path):
    client.force_login(staff_with_totp)
    assert client.get(path).status_code == 403


def test_another_creator_never_sees_someones_money(client, api_client, earning_creator):
    payout(earning_creator, 1200, stripe_transfer_id="tr_ada")
    other = CreatorFactory(email="kenji@example.com")

    client.force_login(other)
    html = page(client)
    assert "No sales yet" in html and "No payouts yet" in html
    assert "$20.00" not in html and "$12.00" not in html and "tr_ada" not in html
    rows = list(
        csv.reader(
            io.StringIO(b"".join(client.get("/studio/earnings.csv").streaming_content).decode())
        )
    )
    assert len(rows) == 1  # the header alone

    api_client.force_authenticate(other)
    body = api_client.get("/api/v1/earnings/").json()
    assert body["balances"] == [
        {"currency": "USD", "held": 0, "available": 0, "in_transit": 0, "paid": 0, "owed": 0}
    ]
    assert api_client.get("/api/v1/payouts/").json()["results"] == []

    # ...while the owner sees theirs.
    api_client.force_authenticate(earning_creator)
    assert api_client.get("/api/v1/earnings/").json()["balances"][0]["held"] == 2000
    assert [
        p["stripe_transfer_id"] for p in api_client.get("/api/v1/payouts/").json()["results"]
    ] == ["tr_ada"]


# --- the creator's page -------------------------------------------------------------------------


def test_a_new_creator_sees_empty_states_and_how_to_get_paid(client, creator):
    client.force_login(creator)
    html = page(client)
    assert "Earnings" in html
    assert "Download CSV" not in html  # nothing to download yet
    assert html.count("$0.00") == 5  # held, available, in transit, paid, owed
    assert "No sales yet" in html
    assert "No payouts yet" in html
    assert 'data-status="not_connected"' in html
    assert "Connect with Stripe" in html
    assert 'action="/studio/earnings/connect/"' in html
    assert "Assent keeps 20% of each sale" in html
    assert 'href="/studio/earnings/" aria-current="page"' in html  # the nav item


def test_balances_lines_and_payouts_are_shown(client, earning_creator):
    PayoutAccountFactory(creator=earning_creator)
    payout(earning_creator, 900, status=PayoutStatus.FAILED, failure_reason="Account closed.")
    payout(earning_creator, 700, on=date(2026, 11, 9), stripe_transfer_id="tr_123")
    client.force_login(earning_creator)
    html = page(client)

    held = html.split('data-balance="held"')[1].split("</div>\n      </div>")[0]
    assert "$20.00" in held
    available = html.split('data-balance="available"')[1]
    assert "$12.00" in available.split("</p>")[0]
    assert 'data-status="enabled"' in html and "Payouts enabled" in html
    # Newest first, one row per transaction: the hold ending (a move, not new money), then
    # the sales (new money, held).
    kinds = [chunk.split('"')[0] for chunk in html.split('data-kind="')[1:]]
    assert kinds == ["hold_release", "sale", "sale"]
    rows = html.split('data-transaction="')[1:]
    assert "Hold ended" in rows[0] and "$12.00" in rows[0] and "moved" in rows[0]
    assert 'Held</span><i class="bi bi-arrow-right"' in rows[0] and ">Available<" in rows[0]
    assert "Sale" in rows[1] and "+$12.00" in rows[1] and "order_item:" in rows[1]
    assert "+$20.00" in rows[2]
    assert "Account closed." in html and "The money is back in your available balance." in html
    assert "tr_123" in html
    assert "No sales yet" not in html and "No payouts yet" not in html


def test_lines_link_to_their_work(client, media_root):
    from tests.uploads.works import upload_work

    creator = CreatorFactory()
    work = upload_work(creator, title="Harbour at dawn")
    sell(creator, 2500, work_id=work.id)
    client.force_login(creator)
    html = page(client)
    assert f'<a href="/studio/works/{work.id}/">Harbour at dawn</a>' in html


def test_the_ledger_lines_are_paginated(client, creator):
    for _ in range(27):  # one line each (the creator's held share): 2 pages of 25
        sell(creator, 300)
    client.force_login(creator)
    first = page(client)
    assert first.count('data-transaction="') == 25 and "Page 1 of 2" in first
    second = page(client, "/studio/earnings/?page=2")
    assert second.count('data-transaction="') == 2


def test_several_currencies_each_get_their_balances(client, api_client, creator):
    sell(creator, 2500, "USD")
    sell(creator, 3000, "EUR")
    client.force_login(creator)
    html = page(client)
    assert 'data-currency="EUR"' in html and 'data-currency="USD"' in html
    assert "€24.00" in html and "$20.00" in html

    api_client.force_authenticate(creator)
    balances = api_client.get("/api/v1/earnings/").json()["balances"]
    assert [(b["currency"], b["held"]) for b in balances] == [("EUR", 2400), ("USD", 2000)]


def test_a_frozen_creator_is_told_why(client, creator, staff):
    freeze_create(
        actor=staff, reason="A rights claim on your work is under review.", creator=creator
    )
    client.force_login(creator)
    html = page(client)
    assert "Your earnings are on hold" in html
    assert "A rights claim on your work is under review." in html


def test_missing_requirements_are_listed_in_words(client, creator):
    PayoutAccountFactory(
        creator=creator,
        payouts_enabled=False,
        details_submitted=False,
        requirements_due=["external_account", "individual.dob.day", "individual.dob.month"],
        disabled_reason="requirements.past_due",
    )
    client.force_login(creator)
    html = page(client)
    assert 'data-status="incomplete"' in html and "Continue setup" in html
    assert "A bank account to receive your payouts" in html
    assert html.count("Your date of birth") == 1


# --- CSV --------------------------------------------------------------------------------------


def test_the_csv_export_has_every_entry_of_the_creator(client, earning_creator):
    CreatorFactory()  # someone else, with nothing in the file
    sell(CreatorFactory(), 9900)
    client.force_login(earning_creator)
    response = client.get("/studio/earnings.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="assent-earnings-')
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))

    assert [(r["what"], r["account"], r["amount"], r["amount_minor"]) for r in rows] == [
        ("Hold ended", "Available", "12.00", "1200"),
        ("Hold ended", "Held", "-12.00", "-1200"),
        ("Sale", "Held", "12.00", "1200"),
        ("Sale", "Held", "20.00", "2000"),
    ]
    assert {r["currency"] for r in rows} == {"USD"}
    assert all(r["item"].startswith("order_item:") for r in rows)
    assert sum(int(r["amount_minor"]) for r in rows) == sum(
        getattr(creator_balances(earning_creator), k) for k in ("held", "available")
    )


def test_csv_cells_never_start_a_formula():
    from payouts.views.earnings import _cell

    assert _cell('=HYPERLINK("http://evil")') == '\'=HYPERLINK("http://evil")'
    assert _cell("+1") == "'+1" and _cell("@x") == "'@x" and _cell("order_item:1") == "order_item:1"


# --- API --------------------------------------------------------------------------------------


def test_earnings_api_gives_balances_and_the_payout_account(api_client, earning_creator):
    PayoutAccountFactory(
        creator=earning_creator,
        stripe_account_id="acct_ada",
        payouts_enabled=False,
        requirements_due=["external_account"],
        disabled_reason="requirements.past_due",
    )
    api_client.force_authenticate(earning_creator)
    body = api_client.get("/api/v1/earnings/").json()
    assert body["balances"] == [
        {"currency": "USD", "held": 2000, "available": 1200, "in_transit": 0, "paid": 0, "owed": 0}
    ]
    account = body["payout_account"]
    assert account["status"] == "incomplete" and account["payouts_enabled"] is False
    assert account["missing"] == ["a bank account to receive your payouts"]
    assert account["requirements_due"] == ["external_account"]
    assert account["stripe_account_id"] == "acct_ada"


def test_earnings_api_without_a_payout_account(api_client, creator):
    api_client.force_authenticate(creator)
    account = api_client.get("/api/v1/earnings/").json()["payout_account"]
    assert account["status"] == "not_connected"
    assert account["stripe_account_id"] is None and account["requirements_due"] == []


def test_payouts_api_is_paginated_and_newest_first(api_client, creator, settings):
    for day in range(1, 4):
        payout(creator, 1000 * day, on=date(2026, 11, day))
    api_client.force_authenticate(creator)
    body = api_client.get("/api/v1/payouts/").json()
    assert body["count"] == 3 and body["next"] is None
    assert [p["amount"] for p in body["results"]] == [3000, 2000, 1000]
    first = body["results"][0]
    assert first["amount_display"] == "$30.00" and first["status"] == "paid"
    assert set(first) == {
        "id",
        "amount",
        "currency",
        "amount_display",
        "status",
        "failure_reason",
        "stripe_transfer_id",
        "created_at",
        "settled_at",
    }


# --- staff --------------------------------------------------------------------------------------


@pytest.fixture
def staff_client(client, staff_with_totp):
    client.force_login(staff_with_totp)
    return client


def test_staff_ledger_shows_transactions_with_entries_and_a_balanced_trial_balance(
    staff_client, earning_creator
):
    sell(CreatorFactory(email="kenji@example.com"), 1000, "EUR")
    html = page(staff_client, "/staff/ledger/")
    assert html.count('class="journal-txn"') == 4
    assert "ada@example.com" in html and "kenji@example.com" in html
    assert "Platform cash (Stripe balance)" in html and "Platform fee revenue" in html
    assert 'data-currency="USD" data-balanced="yes"' in html
    assert 'data-currency="EUR" data-balanced="yes"' in html
    assert "OK · balanced" in html and "NOT BALANCED" not in html
    assert 'href="/staff/ledger/" aria-current="page"' in html  # the nav item


def test_staff_ledger_filters_by_creator_email_and_kind(staff_client, earning_creator):
    sell(CreatorFactory(email="kenji@example.com"), 1000)
    by_ada = page(staff_client, "/staff/ledger/?creator=ADA@example.com")
    assert by_ada.count('class="journal-txn"') == 3
    releases = page(staff_client, "/staff/ledger/?kind=hold_release")
    assert releases.count('class="journal-txn"') == 1
    assert 'data-kind="hold_release"' in releases and 'data-kind="sale"' not in releases
    nobody = page(staff_client, "/staff/ledger/?creator=nobody@example.com")
    assert "No transactions match" in nobody


def test_an_unbalanced_trial_balance_is_flagged(staff_client, monkeypatch):
    monkeypatch.setattr(
        ledger_selectors,
        "trial_balance",
        lambda: {"USD": {"platform_cash": 1000, "fee_revenue": -200, "creator_held": -799}},
    )
    html = page(staff_client, "/staff/ledger/")
    assert 'data-balanced="no"' in html and "NOT BALANCED" in html
    assert "+$0.01" in html


def test_staff_ledger_empty(staff_client):
    html = page(staff_client, "/staff/ledger/")
    assert "Nothing posted yet" in html and "No transactions yet" in html
    assert "No earnings are frozen." in html


def test_staff_freeze_a_creator_then_lift_it(staff_client, staff_with_totp, creator):
    response = staff_client.post(
        "/staff/ledger/freezes/",
        {"creator_email": creator.email.upper(), "reason": "Rights claim #12 under review"},
    )
    assert response.status_code == 302 and response.url == "/staff/ledger/#freezes"
    freeze = Freeze.objects.get()
    assert freeze.creator == creator and freeze.frozen_by == staff_with_totp
    html = page(staff_client, "/staff/ledger/")
    assert "Rights claim #12 under review" in html and f'data-freeze="{freeze.id}"' in html

    response = staff_client.post(f"/staff/ledger/freezes/{freeze.id}/lift/")
    assert response.status_code == 302
    freeze.refresh_from_db()
    assert freeze.lifted_at is not None and freeze.lifted_by == staff_with_totp
    assert "No earnings are frozen." in page(staff_client, "/staff/ledger/")


def test_staff_freeze_a_work(staff_client, media_root):
    from tests.uploads.works import upload_work

    work = upload_work(CreatorFactory())
    response = staff_client.post(
        "/staff/ledger/freezes/", {"work_id": work.id, "reason": "Disputed authorship"}
    )
    assert response.status_code == 302
    assert Freeze.objects.get().work_id == work.id


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"reason": "why"}, "Give a creator&#x27;s email, a work id, or both."),
        ({"creator_email": "nobody@example.com", "reason": "why"}, "No creator has this email."),
        ({"work_id": 999999, "reason": "why"}, "There is no work #999999."),
        ({"creator_email": "ada@example.com"}, "This field is required."),
    ],
)
def test_staff_freeze_form_errors(staff_client, form, error):
    CreatorFactory(email="ada@example.com")
    response = staff_client.post("/staff/ledger/freezes/", form)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert Freeze.objects.count() == 0


def test_a_buyers_email_cannot_be_frozen_as_a_creator(staff_client, buyer):
    response = staff_client.post(
        "/staff/ledger/freezes/", {"creator_email": buyer.email, "reason": "why"}
    )
    assert response.status_code == 400 and Freeze.objects.count() == 0


def test_run_payouts_now_queues_each_pending_payout_after_commit(
    staff_client, staff_with_totp, earning_creator, monkeypatch, django_capture_on_commit_callbacks
):
    from payouts import tasks

    PayoutAccountFactory(creator=earning_creator, payouts_enabled=True)
    queued: list[int] = []
    monkeypatch.setattr(tasks.payout_send_task, "delay", queued.append)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = staff_client.post("/staff/ledger/payout-run/")
        assert queued == []  # nothing is queued before the rows are committed
    assert response.status_code == 302 and response.url == "/staff/ledger/#payouts"
    for callback in callbacks:
        callback()

    run = PayoutRun.objects.get()
    assert run.started_by == staff_with_totp
    (p,) = run.payouts.all()
    assert (p.creator, p.amount, p.status) == (earning_creator, 1200, PayoutStatus.PENDING)
    assert queued == [p.id]


def test_run_payouts_now_with_nobody_eligible_says_so(staff_client, creator):
    response = staff_client.post("/staff/ledger/payout-run/", follow=True)
    assert "nothing to send" in response.content.decode()
    assert PayoutRun.objects.count() == 1 and Payout.objects.count() == 0


def test_run_payouts_now_pays_a_creator_through_the_local_stripe(
    staff_client, settings, stripe_server, stripe_client, django_capture_on_commit_callbacks
):
    """The whole button: the run, the eager worker task, a real transfer on the local server,
    and the creator's page showing the payout and the paid balance."""
    use_local_stripe(settings, stripe_server)
    creator = connected_creator(stripe_client, stripe_server)
    item = sell(creator, 2500)
    hold_release(item_ref=item)
    fund_platform(stripe_server, 10_000)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post("/staff/ledger/payout-run/", follow=True)
    assert "1 payout(s) queued" in response.content.decode()
    (p,) = Payout.objects.all()
    assert p.status == PayoutStatus.PAID and p.stripe_transfer_id.startswith("tr_")
    assert creator_balances(creator).paid == 2000
    transfer = stripe_server.store.objects[p.stripe_transfer_id]
    assert transfer["amount"] == 2000

    staff_client.logout()
    staff_client.force_login(creator)
    html = page(staff_client)
    assert p.stripe_transfer_id in html and "Paid out" in html
    control(stripe_server, "reset")


def test_the_admin_shows_the_money_side_read_only(staff_client, earning_creator):
    from payouts.models import JournalTransaction, StripeEvent

    StripeEvent.objects.create(event_id="evt_admin", type="account.updated", payload={})
    PayoutAccountFactory(creator=earning_creator)
    journal = JournalTransaction.objects.first()
    for path in [
        "/admin/payouts/journaltransaction/",
        f"/admin/payouts/journaltransaction/{journal.id}/change/",
        "/admin/payouts/ledgerentry/",
        "/admin/payouts/ledgeraccount/",
        "/admin/payouts/payoutaccount/",
        "/admin/payouts/freeze/",
        "/admin/payouts/payoutrun/",
        "/admin/payouts/payout/",
        "/admin/payouts/stripeevent/",
    ]:
        assert staff_client.get(path).status_code == 200, path
    assert staff_client.get("/admin/payouts/journaltransaction/add/").status_code == 403
    response = staff_client.post(
        f"/admin/payouts/journaltransaction/{journal.id}/change/", {"kind": "changed"}
    )
    assert response.status_code == 403
    journal.refresh_from_db()
    assert journal.kind != "changed"


def test_staff_can_process_a_failed_event_again_from_the_admin(staff_client, creator):
    from payouts.models import StripeEvent

    row = PayoutAccountFactory(creator=creator, payouts_enabled=False)
    event = StripeEvent.objects.create(
        event_id="evt_retry",
        type="account.updated",
        object_id=row.stripe_account_id,
        payload={
            "id": "evt_retry",
            "type": "account.updated",
            "data": {"object": {"id": row.stripe_account_id, "payouts_enabled": True}},
        },
        error="RuntimeError: earlier failure",
        attempts=1,
    )
    response = staff_client.post(
        "/admin/payouts/stripeevent/",
        {"action": "process_again", "_selected_action": [event.id]},
    )
    assert response.status_code == 302
    event.refresh_from_db()
    row.refresh_from_db()
    assert event.processed_at is not None and event.error == "" and event.attempts == 2
    assert row.payouts_enabled is True
