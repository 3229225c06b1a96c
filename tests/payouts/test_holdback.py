"""The holdback on sales whose terms carry `destroy-models`: part of the platform fee kept in a
holdback account until the team's destruction duty is met (released to the team's credit) or
breached (forfeited to the creator); refunds and disputes take back whatever it became.

Every assertion reads the ledger (balances by account and item) or a page; nothing is mocked.
Figures: price 10,000, fee 20% (2,000), holdback 10% (1,000): the creator's share is 8,000 and
the platform's fee revenue 1,000 while the holdback stands (`holdback_fees`, in
tests/fixtures/payouts.py). A creator reading a forfeit in a real browser is in
tests/e2e/test_payouts_pages.py."""

from __future__ import annotations

import threading
import time
from collections import defaultdict

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection, connections, transaction
from django.db.models import Sum

from payouts.checks import holdback_within_fee
from payouts.models import AccountKind, LedgerEntry
from payouts.selectors.earnings import creator_transactions
from payouts.selectors.ledger import available_buckets, creator_balances, trial_balance
from payouts.selectors.team_credit import team_credit_balances
from payouts.services.events import (
    SaleItem,
    dispute_opened_post,
    dispute_won_post,
    hold_release,
    refund_post,
    sale_post,
)
from payouts.services.freezes import freeze_create, freeze_lift
from payouts.services.holdback import holdback_forfeit, holdback_release
from payouts.services.ledger import Line, creator_account, platform_account, post
from tests.factories import CreatorFactory, OrganizationFactory
from tests.payouts.factories import next_ref, sell, sell_destroy_models

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("holdback_fees")]
K = AccountKind
PRICE, SHARE, FEE, HOLDBACK = 10_000, 8_000, 2_000, 1_000


@pytest.fixture
def team(db):
    return OrganizationFactory()


def by_account(item_ref: str) -> dict[str, int]:
    """The item's money per account kind, as raw signed sums (zero sums left out)."""
    rows = (
        LedgerEntry.objects.filter(item_ref=item_ref)
        .values("account__kind")
        .annotate(total=Sum("amount"))
    )
    return {r["account__kind"]: r["total"] for r in rows if r["total"]}


def assert_balanced() -> None:
    for currency, column in trial_balance().items():
        assert sum(column.values()) == 0, (currency, column)
    per_txn: dict = defaultdict(int)
    for txn, currency, amount in LedgerEntry.objects.values_list(
        "transaction_id", "currency", "amount"
    ):
        per_txn[txn, currency] += amount
    assert not [k for k, v in per_txn.items() if v], per_txn


def available_for(creator, item_ref: str) -> int:
    return sum(b.amount for b in available_buckets(creator, "USD") if b.item_ref == item_ref)


# --- the sale -----------------------------------------------------------------------------------


def test_a_sale_without_holdback_posts_as_before(creator):
    item = sell(creator, PRICE)
    assert by_account(item) == {
        K.PLATFORM_CASH: PRICE,
        K.CREATOR_HELD: -SHARE,
        K.FEE_REVENUE: -FEE,
    }
    assert holdback_release(item_ref=item, organization_id=OrganizationFactory().id) is None
    assert holdback_forfeit(item_ref=item) is None
    assert_balanced()


def test_a_destroy_models_sale_holds_back_part_of_the_fee_not_of_the_share(creator):
    item = sell_destroy_models(creator)
    assert by_account(item) == {
        K.PLATFORM_CASH: PRICE,
        K.CREATOR_HELD: -SHARE,  # the creator's share is unchanged
        K.FEE_REVENUE: -(FEE - HOLDBACK),
        K.HOLDBACK: -HOLDBACK,
    }
    assert creator_balances(creator, "USD").held == SHARE
    assert_balanced()


def test_the_holdback_is_rounded_down_and_mixed_orders_balance(creator):
    other = CreatorFactory()
    order = next_ref("order")
    sale_post(
        order_ref=order,
        items=[
            SaleItem(creator.id, f"{order}:a", 999, "USD", 1, holdback_bps=1000),
            SaleItem(other.id, f"{order}:b", 101, "EUR", 2),
        ],
    )
    assert by_account(f"{order}:a") == {
        K.PLATFORM_CASH: 999,
        K.CREATOR_HELD: -799,
        K.FEE_REVENUE: -(200 - 99),
        K.HOLDBACK: -99,  # floor(999 × 10%)
    }
    assert K.HOLDBACK not in by_account(f"{order}:b")
    assert_balanced()


def test_a_holdback_larger_than_the_fee_is_refused(creator):
    with pytest.raises(ValueError):
        sale_post(
            order_ref=next_ref("order"),
            items=[SaleItem(creator.id, next_ref("order_item"), PRICE, "USD", holdback_bps=2500)],
        )
    assert not LedgerEntry.objects.exists()


# --- release and forfeit ------------------------------------------------------------------------


def test_release_moves_the_holdback_to_the_teams_credit(creator, team):
    item = sell_destroy_models(creator)
    journal, created = holdback_release(item_ref=item, organization_id=team.id)
    assert created and journal.idempotency_key == f"holdback-release:{item}"
    assert by_account(item) == {
        K.PLATFORM_CASH: PRICE,
        K.CREATOR_HELD: -SHARE,
        K.FEE_REVENUE: -(FEE - HOLDBACK),
        K.TEAM_CREDIT: -HOLDBACK,
    }
    assert team_credit_balances(team) == {"USD": HOLDBACK}
    # Not the creator's money: their balances and their transactions are untouched.
    assert creator_balances(creator, "USD").held == SHARE
    assert [t.kind for t in creator_transactions(creator=creator)] == ["sale"]
    assert_balanced()


def test_release_is_idempotent_and_excludes_a_forfeit(creator, team):
    item = sell_destroy_models(creator)
    first, _ = holdback_release(item_ref=item, organization_id=team.id)
    entries = LedgerEntry.objects.count()
    again, created = holdback_release(item_ref=item, organization_id=team.id)
    assert (again, created) == (first, False)
    assert holdback_forfeit(item_ref=item) is None
    assert LedgerEntry.objects.count() == entries
    assert team_credit_balances(team) == {"USD": HOLDBACK}


def test_forfeit_gives_the_holdback_to_the_creator_as_available_money(creator, team):
    item = sell_destroy_models(creator)
    journal, created = holdback_forfeit(item_ref=item)
    assert created and journal.idempotency_key == f"holdback-forfeit:{item}"
    assert by_account(item) == {
        K.PLATFORM_CASH: PRICE,
        K.CREATOR_HELD: -SHARE,
        K.FEE_REVENUE: -(FEE - HOLDBACK),
        K.CREATOR_AVAILABLE: -HOLDBACK,
    }
    balances = creator_balances(creator, "USD")
    assert (balances.held, balances.available) == (SHARE, HOLDBACK)
    assert available_for(creator, item) == HOLDBACK
    # Replaying posts nothing; the release, coming second, does nothing.
    entries = LedgerEntry.objects.count()
    assert holdback_forfeit(item_ref=item) == (journal, False)
    assert holdback_release(item_ref=item, organization_id=team.id) is None
    assert LedgerEntry.objects.count() == entries
    assert team_credit_balances(team) == {}
    assert_balanced()


def test_forfeit_pays_what_the_creator_owes_first(creator):
    item = sell_destroy_models(creator)
    hold_release(item_ref=item)
    # The creator owes 500 (a claw-back after a payout, say): posted as a debt.
    post(
        idempotency_key="test-debt",
        kind="test",
        lines=[
            Line(creator_account(creator, K.CREATOR_DEBT), 500, "USD"),
            Line(platform_account(K.PLATFORM_CASH), -500, "USD"),
        ],
    )
    holdback_forfeit(item_ref=item)
    balances = creator_balances(creator, "USD")
    assert (balances.owed, balances.available) == (0, SHARE + HOLDBACK - 500)
    assert_balanced()


def test_a_frozen_works_forfeit_is_held_until_the_freeze_is_lifted(creator, staff):
    item = sell_destroy_models(creator, work_id=42)
    freeze = freeze_create(actor=staff, reason="Rights claim", work_id=42)
    holdback_forfeit(item_ref=item)
    assert by_account(item)[K.CREATOR_HELD] == -(SHARE + HOLDBACK)
    assert K.CREATOR_AVAILABLE not in by_account(item)
    assert hold_release(item_ref=item) == (None, False)  # frozen: stays held
    freeze_lift(freeze=freeze, actor=staff)
    _, created = hold_release(item_ref=item)
    assert created
    assert available_for(creator, item) == SHARE + HOLDBACK
    assert creator_balances(creator, "USD").held == 0
    assert_balanced()


def test_an_item_without_a_sale_settles_nothing(team):
    assert holdback_release(item_ref="order_item:none", organization_id=team.id) is None
    assert holdback_forfeit(item_ref="order_item:none") is None


# --- refunds --------------------------------------------------------------------------------------


def test_refund_before_settlement_takes_the_holdback_back_and_nothing_is_settled_later(
    creator, team
):
    item = sell_destroy_models(creator)
    refund_post(refund_ref="re_1", item_ref=item)
    assert by_account(item) == {}
    assert holdback_release(item_ref=item, organization_id=team.id) is None
    assert holdback_forfeit(item_ref=item) is None
    assert team_credit_balances(team) == {}
    assert_balanced()


def test_refund_after_release_takes_it_from_the_teams_credit(creator, team):
    kept = sell_destroy_models(creator)
    item = sell_destroy_models(creator)
    holdback_release(item_ref=kept, organization_id=team.id)
    holdback_release(item_ref=item, organization_id=team.id)
    assert team_credit_balances(team) == {"USD": 2 * HOLDBACK}
    refund_post(refund_ref="re_1", item_ref=item)
    assert by_account(item) == {}
    assert team_credit_balances(team) == {"USD": HOLDBACK}
    assert creator_balances(creator, "USD").held == SHARE  # the kept item's share
    assert_balanced()


def test_refund_after_forfeit_takes_the_holdback_back_from_the_creator(creator):
    item = sell_destroy_models(creator)
    hold_release(item_ref=item)
    holdback_forfeit(item_ref=item)
    assert creator_balances(creator, "USD").available == SHARE + HOLDBACK
    refund_post(refund_ref="re_1", item_ref=item)
    assert by_account(item) == {}
    balances = creator_balances(creator, "USD")
    assert (balances.held, balances.available, balances.owed) == (0, 0, 0)
    assert_balanced()


def test_refund_after_a_forfeit_that_was_spent_leaves_a_debt(creator):
    item = sell_destroy_models(creator)
    holdback_forfeit(item_ref=item)  # available 1,000; the share still held
    other = sell(CreatorFactory(), 100)  # an unrelated sale, so the cash column is not empty
    # The creator's available 1,000 was paid out (as a payout run would move it).
    post(
        idempotency_key="test-payout",
        kind="payout_paid",
        lines=[
            Line(creator_account(creator, K.CREATOR_AVAILABLE), HOLDBACK, "USD", item, 7),
            Line(creator_account(creator, K.CREATOR_PAID), -HOLDBACK, "USD"),
        ],
    )
    refund_post(refund_ref="re_1", item_ref=item)
    balances = creator_balances(creator, "USD")
    assert (balances.held, balances.available, balances.owed) == (0, 0, HOLDBACK)
    assert by_account(other)[K.PLATFORM_CASH] == 100
    assert_balanced()


# --- disputes -------------------------------------------------------------------------------------


def test_dispute_while_held_then_won_holds_it_back_again_and_it_can_be_released(creator, team):
    item = sell_destroy_models(creator)
    dispute_opened_post(dispute_ref="du_1", item_ref=item)
    assert by_account(item) == {}
    assert holdback_release(item_ref=item, organization_id=team.id) is None  # nothing held
    dispute_won_post(dispute_ref="du_1", item_ref=item)
    assert by_account(item) == {
        K.PLATFORM_CASH: PRICE,
        K.CREATOR_HELD: -SHARE,
        K.FEE_REVENUE: -(FEE - HOLDBACK),
        K.HOLDBACK: -HOLDBACK,
    }
    _, created = holdback_release(item_ref=item, organization_id=team.id)
    assert created and team_credit_balances(team) == {"USD": HOLDBACK}
    assert_balanced()


def test_dispute_after_release_takes_and_returns_the_teams_credit(creator, team):
    item = sell_destroy_models(creator)
    holdback_release(item_ref=item, organization_id=team.id)
    dispute_opened_post(dispute_ref="du_1", item_ref=item)
    assert team_credit_balances(team) == {}
    assert by_account(item) == {}
    won, created = dispute_won_post(dispute_ref="du_1", item_ref=item)
    assert created
    assert team_credit_balances(team) == {"USD": HOLDBACK}
    assert dispute_won_post(dispute_ref="du_1", item_ref=item) == (won, False)
    assert team_credit_balances(team) == {"USD": HOLDBACK}
    assert_balanced()


def test_dispute_after_forfeit_returns_it_to_the_creators_held_money(creator):
    item = sell_destroy_models(creator)
    holdback_forfeit(item_ref=item)
    dispute_opened_post(dispute_ref="du_1", item_ref=item)
    assert by_account(item) == {}
    dispute_won_post(dispute_ref="du_1", item_ref=item)
    assert by_account(item)[K.CREATOR_HELD] == -(SHARE + HOLDBACK)
    _, created = hold_release(item_ref=item)
    assert created and available_for(creator, item) == SHARE + HOLDBACK
    assert_balanced()


# --- team credit, the system check, the creator's page --------------------------------------------


def test_team_credit_balances_per_currency_and_per_team(creator, team):
    other_team = OrganizationFactory()
    holdback_release(item_ref=sell_destroy_models(creator), organization_id=team.id)
    holdback_release(item_ref=sell_destroy_models(creator, 5_000, "EUR"), organization_id=team.id)
    holdback_release(item_ref=sell_destroy_models(creator), organization_id=other_team.id)
    assert team_credit_balances(team) == {"EUR": 500, "USD": HOLDBACK}
    assert team_credit_balances(other_team) == {"USD": HOLDBACK}
    assert team_credit_balances(OrganizationFactory()) == {}


def test_the_system_check_refuses_a_holdback_above_the_fee(settings):
    assert holdback_within_fee() == []
    settings.LICENSE_HOLDBACK_BPS = 2000  # equal to the fee: allowed
    assert holdback_within_fee() == []
    settings.LICENSE_HOLDBACK_BPS = 2001
    errors = holdback_within_fee()
    assert [e.id for e in errors] == ["payouts.E001"]
    with pytest.raises(SystemCheckError, match="LICENSE_HOLDBACK_BPS"):
        call_command("check", "--tag", "payouts")


def test_the_earnings_page_shows_a_forfeit_but_never_a_released_holdback(client, creator, team):
    released = sell_destroy_models(creator)
    holdback_release(item_ref=released, organization_id=team.id)
    forfeited = sell_destroy_models(creator)
    holdback_forfeit(item_ref=forfeited)
    client.force_login(creator)
    html = client.get("/studio/earnings/").content.decode()
    kinds = [chunk.split('"')[0] for chunk in html.split('data-kind="')[1:]]
    assert kinds == ["holdback_forfeit", "sale", "sale"]
    assert "Compensation: model not destroyed" in html
    assert "Holdback released" not in html
    balances = creator_balances(creator, "USD")
    assert (balances.held, balances.available) == (2 * SHARE, HOLDBACK)


def test_the_team_credit_panel_says_what_is_owed_each_way_and_when_empty():
    from django.template.loader import render_to_string

    html = render_to_string("payouts/_team_credit.html", {"team_credit": {"USD": 1250}})
    assert "$12.50" in html and "owed to your team" in html
    assert "cannot yet be spent at checkout" in html
    html = render_to_string("payouts/_team_credit.html", {"team_credit": {"EUR": -300}})
    assert "\u2212€3.00" in html and "your team owes Assent" in html
    html = render_to_string("payouts/_team_credit.html", {"team_credit": {}})
    assert "No credit yet" in html


def test_the_staff_ledger_names_the_team_whose_credit_an_entry_is(client, staff_with_totp, team):
    holdback_release(item_ref=sell_destroy_models(CreatorFactory()), organization_id=team.id)
    client.force_login(staff_with_totp)
    html = client.get("/staff/ledger/").content.decode()
    assert "Team: credit" in html and team.name in html
    assert "Holdback (destruction duty)" in html
    assert 'data-currency="USD" data-balanced="yes"' in html


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has no concurrent writers to race"
)
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_release_and_a_forfeit_at_the_same_moment_settle_the_holdback_once(team):
    """The forfeit arrives while the release's transaction is still open: it waits on the
    holdback lock, then sees the release and does nothing."""
    creator = CreatorFactory()
    item = sell_destroy_models(creator)
    release, forfeit = _race(
        lambda: holdback_release(item_ref=item, organization_id=team.id),
        lambda: holdback_forfeit(item_ref=item),
    )

    assert release[1] is True and forfeit is None
    assert team_credit_balances(team) == {"USD": HOLDBACK}
    assert creator_balances(creator, "USD").available == 0
    assert K.HOLDBACK not in by_account(item)
    assert_balanced()


def _race(holder, waiter):
    """Runs `holder` in a transaction on one thread and, while that transaction is still open,
    `waiter` on another until it blocks on a row lock; then lets the holder commit. Returns
    what the holder returned and what the waiter returned (or the exception it raised)."""
    held, go_on = threading.Event(), threading.Event()
    results: dict = {}

    def first():
        try:
            with transaction.atomic():
                results["holder"] = holder()
                held.set()
                go_on.wait(10)
        finally:
            connections.close_all()

    def second():
        try:
            results["waiter"] = waiter()
        except Exception as exc:  # the caller asserts what it should be
            results["waiter"] = exc
        finally:
            connections.close_all()

    holding = threading.Thread(target=first)
    holding.start()
    assert held.wait(10)
    waiting = threading.Thread(target=second)
    waiting.start()
    try:
        _wait_until_someone_waits_on_a_lock()
    finally:
        go_on.set()
        holding.join(10)
        waiting.join(10)
    return results["holder"], results["waiter"]


def _wait_until_someone_waits_on_a_lock(seconds: float = 10) -> None:
    """Until another session of this database is blocked on a row lock (the forfeit)."""
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
    raise AssertionError("the second session never waited on a row lock")


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has no concurrent writers to race"
)
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_refund_and_a_dispute_at_the_same_moment_take_the_share_back_once():
    """No holdback here: the dispute arrives while the refund's transaction is still open; it
    waits on the item's lock, then sees the refund and is refused."""
    creator = CreatorFactory()
    item = sell(creator, PRICE, work_id=7)
    refund, dispute = _race(
        lambda: refund_post(refund_ref=next_ref("re"), item_ref=item),
        lambda: dispute_opened_post(dispute_ref=next_ref("dp"), item_ref=item),
    )

    assert refund[1] is True
    assert isinstance(dispute, ValueError)
    assert by_account(item) == {}  # the sale taken back once: nothing left, nothing owed
    assert_balanced()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has no concurrent writers to race"
)
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_hold_release_during_a_refund_waits_and_releases_nothing():
    """The release arrives while the refund's transaction is still open: it waits on the item's
    lock, then sees nothing held, so the refunded share is not also made available."""
    creator = CreatorFactory()
    item = sell(creator, PRICE, work_id=7)
    refund, release = _race(
        lambda: refund_post(refund_ref=next_ref("re"), item_ref=item),
        lambda: hold_release(item_ref=item),
    )

    assert refund[1] is True and release == (None, False)
    assert creator_balances(creator, "USD").available == 0
    assert by_account(item) == {}
    assert_balanced()
