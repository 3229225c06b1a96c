"""The ledger: double entry, append-only, idempotent, held by PostgreSQL itself; and the
business events posted to it (sale, hold release, freeze, refund, dispute, debt netting).

Every assertion reads the database (entries, balances, the trial balance) or the local Stripe
server; nothing is mocked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from payouts.models import AccountKind, JournalTransaction, LedgerEntry, PayoutStatus
from payouts.selectors.ledger import (
    Bucket,
    available_buckets,
    creator_balances,
    raw_balance,
    trial_balance,
)
from payouts.services.events import (
    SaleItem,
    dispute_lost_post,
    dispute_opened_post,
    dispute_won_post,
    hold_release,
    holds_release_due,
    refund_post,
    sale_post,
    split_amount,
)
from payouts.services.freezes import freeze_create, freeze_lift
from payouts.services.ledger import (
    Line,
    UnbalancedTransaction,
    creator_account,
    platform_account,
    post,
    take_from,
)
from payouts.services.payout_runs import payout_run_create, payout_send
from payouts.tasks import holds_release_due_task
from tests.factories import CreatorFactory, PayoutAccountFactory
from tests.payouts.factories import connected_creator, fund_platform, sell, use_local_stripe

K = AccountKind

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="The ledger's database invariants (deferred balance trigger, append-only triggers) "
    "are PostgreSQL triggers; SQLite relies on payouts/services/ledger.py and the model guards, which "
    "the other tests cover. Run with DATABASE_URL=postgres://... to check them.",
)


def entry_count() -> int:
    return LedgerEntry.objects.count()


def assert_books_balance() -> None:
    """Every journal transaction sums to zero per currency, and so does the trial balance."""
    for currency, by_kind in trial_balance().items():
        assert sum(by_kind.values()) == 0, (currency, by_kind)
    per_txn: dict[tuple[int, str], int] = {}
    for txn_id, currency, amount in LedgerEntry.objects.values_list(
        "transaction_id", "currency", "amount"
    ):
        per_txn[txn_id, currency] = per_txn.get((txn_id, currency), 0) + amount
    assert all(total == 0 for total in per_txn.values()), per_txn


def cash(currency: str = "USD") -> int:
    return raw_balance(platform_account(K.PLATFORM_CASH), currency)


def fee_revenue(currency: str = "USD") -> int:
    return -raw_balance(platform_account(K.FEE_REVENUE), currency)


def released(days: int) -> int:
    """Run the beat task's work as if `days` had passed."""
    return holds_release_due(now=timezone.now() + timedelta(days=days))


# --- post: balanced, integer, idempotent ---------------------------------------------------


@pytest.mark.django_db
def test_post_refuses_unbalanced_lines_before_touching_the_database():
    cash_account, fees = platform_account(K.PLATFORM_CASH), platform_account(K.FEE_REVENUE)
    attempts = [
        [Line(cash_account, 100, "USD"), Line(fees, -99, "USD")],
        # Balanced in total, not per currency.
        [Line(cash_account, 100, "USD"), Line(fees, -100, "EUR")],
        [Line(cash_account, 100, "USD")],
    ]
    for number, lines in enumerate(attempts):
        with pytest.raises(UnbalancedTransaction):
            post(idempotency_key=f"bad:{number}", kind="test", lines=lines)
    with pytest.raises(UnbalancedTransaction, match="integers"):
        post(
            idempotency_key="bad:float",
            kind="test",
            lines=[Line(cash_account, 100.5, "USD"), Line(fees, -100.5, "USD")],
        )
    assert not JournalTransaction.objects.exists()
    assert entry_count() == 0


@pytest.mark.django_db
def test_post_balanced_lines_per_currency_and_drops_zero_lines():
    cash_account, fees = platform_account(K.PLATFORM_CASH), platform_account(K.FEE_REVENUE)
    journal, created = post(
        idempotency_key="ok:1",
        kind="test",
        lines=[
            Line(cash_account, 100, "usd"),
            Line(fees, -100, "USD"),
            Line(cash_account, 7, "EUR"),
            Line(fees, -7, "EUR"),
            Line(fees, 0, "USD"),
        ],
        reference_type="order",
        reference_id=42,
    )
    assert created
    assert journal.reference_id == "42"
    assert sorted(journal.entries.values_list("currency", "amount")) == [
        ("EUR", -7),
        ("EUR", 7),
        ("USD", -100),
        ("USD", 100),
    ]
    assert_books_balance()


@pytest.mark.django_db
def test_posting_the_same_key_twice_returns_the_first_transaction():
    cash_account, fees = platform_account(K.PLATFORM_CASH), platform_account(K.FEE_REVENUE)
    first, created = post(
        idempotency_key="event:1",
        kind="test",
        lines=[Line(cash_account, 500, "USD"), Line(fees, -500, "USD")],
    )
    assert created
    before = entry_count()
    # Even with other lines: the key names the event, and the event happened once.
    again, created_again = post(
        idempotency_key="event:1",
        kind="test",
        lines=[Line(cash_account, 900, "USD"), Line(fees, -900, "USD")],
    )
    assert (again.id, created_again) == (first.id, False)
    assert entry_count() == before
    assert JournalTransaction.objects.count() == 1
    assert cash() == 500


@pytest.mark.django_db
def test_the_model_refuses_to_change_or_delete_an_entry():
    post(
        idempotency_key="event:1",
        kind="test",
        lines=[
            Line(platform_account(K.PLATFORM_CASH), 500, "USD"),
            Line(platform_account(K.FEE_REVENUE), -500, "USD"),
        ],
    )
    entry = LedgerEntry.objects.get(amount=500)
    entry.amount = 1
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    entry.refresh_from_db()
    assert entry.amount == 500
    assert entry_count() == 2


@pytest.mark.django_db
def test_a_zero_entry_is_refused_by_the_database():
    journal = JournalTransaction.objects.create(idempotency_key="zero", kind="test")
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            transaction=journal,
            account=platform_account(K.PLATFORM_CASH),
            amount=0,
            currency="USD",
        )


# --- PostgreSQL holds the invariants itself -------------------------------------------------


def _raw_entry_sql(txn_id: int, account_id: int, amount: int) -> tuple[str, list]:
    return (
        "INSERT INTO payouts_ledgerentry (transaction_id, account_id, amount, currency, "
        "item_ref, work_id) VALUES (%s, %s, %s, %s, '', NULL)",
        [txn_id, account_id, amount, "USD"],
    )


@on_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_refuses_an_unbalanced_bulk_create_at_commit():
    """The balance check is a deferred constraint trigger: it runs at COMMIT, so this needs a
    real transaction (transaction=True), not the test's savepoint."""
    cash_account = platform_account(K.PLATFORM_CASH)
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        journal = JournalTransaction.objects.create(idempotency_key="bulk", kind="test")
        LedgerEntry.objects.bulk_create(
            [LedgerEntry(transaction=journal, account=cash_account, amount=250, currency="USD")]
        )
        # Inside the transaction the row is there: the check waits for the commit.
        assert LedgerEntry.objects.filter(transaction=journal).count() == 1
    assert not JournalTransaction.objects.filter(idempotency_key="bulk").exists()
    assert entry_count() == 0


@on_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_refuses_unbalanced_raw_sql_at_commit_and_accepts_balanced_rows_one_by_one():
    cash_account, fees = platform_account(K.PLATFORM_CASH), platform_account(K.FEE_REVENUE)
    # Balanced, inserted row by row: unbalanced between the statements, fine at commit.
    with transaction.atomic():
        journal = JournalTransaction.objects.create(idempotency_key="raw:ok", kind="test")
        with connection.cursor() as cursor:
            cursor.execute(*_raw_entry_sql(journal.id, cash_account.id, 300))
            cursor.execute(*_raw_entry_sql(journal.id, fees.id, -300))
    assert entry_count() == 2

    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        journal = JournalTransaction.objects.create(idempotency_key="raw:bad", kind="test")
        with connection.cursor() as cursor:
            cursor.execute(*_raw_entry_sql(journal.id, cash_account.id, 300))
            cursor.execute(*_raw_entry_sql(journal.id, fees.id, -299))
    assert entry_count() == 2
    assert not JournalTransaction.objects.filter(idempotency_key="raw:bad").exists()

    # An entry added later to an already balanced transaction unbalances it: refused too.
    ok = JournalTransaction.objects.get(idempotency_key="raw:ok")
    with (
        pytest.raises(IntegrityError, match="does not balance"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(*_raw_entry_sql(ok.id, cash_account.id, 1))
    assert entry_count() == 2


@on_postgres
@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_refuses_raw_updates_and_deletes_of_entries_and_transactions():
    sell(CreatorFactory(), 999)
    entries, journals = entry_count(), JournalTransaction.objects.count()
    refused = [
        "UPDATE payouts_ledgerentry SET amount = amount + 1",
        "UPDATE payouts_ledgerentry SET currency = 'EUR'",
        "DELETE FROM payouts_ledgerentry",
        "UPDATE payouts_journaltransaction SET memo = 'edited'",
        "UPDATE payouts_journaltransaction SET idempotency_key = idempotency_key || ':2'",
        "DELETE FROM payouts_journaltransaction",
    ]
    for sql in refused:
        with (
            pytest.raises(IntegrityError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    # The ORM's bulk paths skip the model's guards; the triggers still refuse them.
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.update(amount=1)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.all().delete()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        JournalTransaction.objects.update(kind="edited")
    assert (entry_count(), JournalTransaction.objects.count()) == (entries, journals)
    assert sorted(LedgerEntry.objects.values_list("amount", flat=True)) == [-799, -200, 999]


@on_postgres
@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_amounts_are_integers():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_name = 'payouts_ledgerentry' AND column_name = 'amount'"
        )
        assert cursor.fetchone() == ("bigint",)
    journal = JournalTransaction.objects.create(idempotency_key="text", kind="test")
    with (
        pytest.raises(DataError, match="bigint"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO payouts_ledgerentry (transaction_id, account_id, amount, currency, "
            "item_ref) VALUES (%s, %s, '1.5', 'USD', '')",
            [journal.id, platform_account(K.PLATFORM_CASH).id],
        )


# --- Splitting a price -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "bps", "share", "fee"),
    [
        (999, 2000, 799, 200),  # 799.2 → 799; the 0.2 goes to the platform
        (1000, 2000, 800, 200),
        (1, 2000, 0, 1),
        (101, 1500, 85, 16),  # 85.85 → 85
        (2500, 0, 2500, 0),
        (2500, 10_000, 0, 2500),
    ],
)
def test_split_amount_adds_up_and_gives_the_remainder_to_the_platform(amount, bps, share, fee):
    assert split_amount(amount, bps) == (share, fee)


def test_split_amount_uses_the_published_fee_by_default(settings):
    settings.PLATFORM_FEE_BPS = 2000
    assert split_amount(999) == (799, 200)
    settings.PLATFORM_FEE_BPS = 1000
    assert split_amount(999) == (899, 100)


@given(amount=st.integers(min_value=1, max_value=10**12), bps=st.integers(0, 10_000))
def test_split_amount_always_adds_up_exactly(amount, bps):
    share, fee = split_amount(amount, bps)
    assert share + fee == amount
    assert 0 <= share <= amount
    # The share is rounded down, never up: the platform never takes less than its fee.
    assert share * 10_000 <= amount * (10_000 - bps) < (share + 1) * 10_000


# --- Sale and hold release --------------------------------------------------------------------


@pytest.mark.django_db
def test_a_sale_holds_each_creators_share_and_books_the_fee():
    alice, bob = CreatorFactory(), CreatorFactory()
    items = [
        SaleItem(alice.id, "order_item:a1", 999, "USD", work_id=1),
        SaleItem(alice.id, "order_item:a2", 2500, "USD", work_id=2),
        SaleItem(bob.id, "order_item:b1", 101, "USD", work_id=3),
    ]
    journal, created = sale_post(order_ref="order:1", items=items)
    assert created and journal.kind == "sale" and journal.reference_id == "order:1"
    assert creator_balances(alice).held == 799 + 2000
    assert creator_balances(bob).held == 80
    assert creator_balances(alice).available == 0
    assert cash() == 999 + 2500 + 101
    assert fee_revenue() == 200 + 500 + 21
    # Each item's entries carry its ref and work, so refunds and freezes find its money.
    assert set(LedgerEntry.objects.filter(item_ref="order_item:a1").values_list("work_id")) == {
        (1,)
    }
    assert_books_balance()

    before = entry_count()
    again, created_again = sale_post(order_ref="order:1", items=items)
    assert (again.id, created_again) == (journal.id, False)
    assert entry_count() == before


@pytest.mark.django_db
def test_holds_are_released_after_the_hold_period(settings):
    settings.EARNINGS_HOLD_DAYS = 14
    creator = CreatorFactory()
    item = sell(creator, 999)
    assert released(days=0) == 0
    assert released(days=13) == 0
    assert creator_balances(creator).held == 799
    assert released(days=14) == 1
    balances = creator_balances(creator)
    assert (balances.held, balances.available) == (0, 799)
    assert JournalTransaction.objects.get(kind="hold_release").reference_id == item
    # The beat task running again (or a replayed release) posts nothing.
    before = entry_count()
    assert released(days=30) == 0
    assert hold_release(item_ref=item) == (None, False)
    assert entry_count() == before
    assert_books_balance()


@pytest.mark.django_db
def test_the_beat_task_releases_what_is_due(settings):
    """Through Celery (eager in tests): apply_async also checks the task's time limits."""
    settings.EARNINGS_HOLD_DAYS = 0
    creator = CreatorFactory()
    sell(creator, 999)
    assert holds_release_due_task.delay().get() == 1
    assert holds_release_due_task.delay().get() == 0
    assert creator_balances(creator).available == 799


@pytest.mark.django_db
def test_the_hold_period_is_a_setting(settings):
    settings.EARNINGS_HOLD_DAYS = 3
    creator = CreatorFactory()
    sell(creator, 5000)
    assert released(days=2) == 0
    assert released(days=3) == 1
    assert creator_balances(creator).available == 4000


@pytest.mark.django_db
def test_releases_per_item_and_per_currency():
    creator = CreatorFactory()
    usd, eur = sell(creator, 1000), sell(creator, 2000, "EUR")
    hold_release(item_ref=eur)
    assert creator_balances(creator, "EUR").available == 1600
    assert creator_balances(creator, "USD").held == 800
    hold_release(item_ref=usd)
    assert creator_balances(creator, "USD").available == 800
    assert trial_balance().keys() == {"USD", "EUR"}
    assert_books_balance()


# --- Freezes -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_creator_freeze_blocks_release_and_payout_until_lifted(staff):
    creator = CreatorFactory()
    PayoutAccountFactory(creator=creator)
    first = sell(creator, 5000)
    hold_release(item_ref=first)
    second = sell(creator, 2500)
    freeze = freeze_create(actor=staff, reason="Chargeback pattern", creator=creator)

    assert hold_release(item_ref=second) == (None, False)
    assert released(days=30) == 0
    assert creator_balances(creator).held == 2000
    # Available money is not paid out either: no payout row, nothing in transit.
    run = payout_run_create(on=timezone.localdate())
    assert not run.payouts.exists()
    assert creator_balances(creator).available == 4000

    freeze_lift(freeze=freeze, actor=staff)
    assert released(days=30) == 1
    balances = creator_balances(creator)
    assert (balances.held, balances.available) == (0, 6000)
    run = payout_run_create(on=timezone.localdate() + timedelta(days=1))
    assert run.payouts.get().amount == 6000
    assert creator_balances(creator).in_transit == 6000
    assert_books_balance()


@pytest.mark.django_db
def test_a_work_freeze_blocks_only_that_works_earnings(staff):
    creator = CreatorFactory()
    frozen_item = sell(creator, 1000, work_id=7)
    other_item = sell(creator, 3000, work_id=8)
    freeze = freeze_create(actor=staff, reason="Rights claim", work_id=7)
    assert released(days=30) == 1
    balances = creator_balances(creator)
    assert (balances.held, balances.available) == (800, 2400)
    assert raw_balance(creator_account(creator, K.CREATOR_HELD), "USD", item_ref=other_item) == 0
    # The frozen work keeps earning (a sale is posted) but stays held.
    sell(creator, 1000, work_id=7)
    assert released(days=30) == 0
    assert creator_balances(creator).held == 1600

    freeze_lift(freeze=freeze, actor=staff)
    assert released(days=30) == 2
    assert creator_balances(creator).available == 2400 + 1600
    assert hold_release(item_ref=frozen_item) == (None, False)
    assert_books_balance()


@pytest.mark.django_db
def test_available_money_is_kept_per_item_and_a_refund_spares_a_frozen_works_money(staff, settings):
    """Refund of an item whose money already left for a payout: the share is taken from the
    creator's other available money, a work that is not frozen first, so what the frozen work
    earned stays there in case its claim is upheld."""
    settings.PAYOUT_MINIMUM = 500
    creator = CreatorFactory()
    PayoutAccountFactory(creator=creator)
    paid_item = sell(creator, 1000, work_id=9)  # 800
    frozen_item = sell(creator, 2500, work_id=7)  # 2000
    assert released(days=30) == 2
    freeze_create(actor=staff, reason="Rights claim on work 7", work_id=7)
    # The run moves work 9's money to in transit and leaves work 7's available.
    assert payout_run_create(on=timezone.localdate()).payouts.get().amount == 800
    later_item = sell(creator, 5000, work_id=8)  # 4000
    hold_release(item_ref=later_item)
    assert {(b.item_ref, b.amount) for b in available_buckets(creator, "USD")} == {
        (frozen_item, 2000),
        (later_item, 4000),
    }

    refund_post(refund_ref="re_1", item_ref=paid_item)
    assert [(b.item_ref, b.work_id, b.amount) for b in available_buckets(creator, "USD")] == [
        (frozen_item, 7, 2000),
        (later_item, 8, 3200),
    ]
    balances = creator_balances(creator)
    assert (balances.available, balances.in_transit, balances.owed) == (5200, 800, 0)
    assert_books_balance()


def test_take_from_the_items_own_money_then_works_not_frozen_then_frozen_works():
    own, old_frozen, old, new = (
        Bucket("order_item:1", 1, 100, 10),
        Bucket("order_item:2", 2, 100, 11),
        Bucket("order_item:3", 3, 100, 12),
        Bucket("order_item:4", 4, 100, 13),
    )
    buckets = [own, old_frozen, old, new]
    taken = take_from(buckets, 350, frozen_works={2}, own_item="order_item:1")
    assert taken == [(own, 100), (old, 100), (new, 100), (old_frozen, 50)]
    # No item of its own (a failed payout's money paying a debt): oldest first, frozen last.
    assert take_from(buckets, 250, frozen_works={2}) == [(own, 100), (old, 100), (new, 50)]
    assert take_from(buckets, 1000) == [(b, 100) for b in buckets]


# --- Refunds and disputes ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_refund_before_release_takes_the_share_back_from_held():
    creator = CreatorFactory()
    kept = sell(creator, 2500)
    item = sell(creator, 999)
    journal, created = refund_post(refund_ref="re_1", item_ref=item)
    assert created and journal.kind == "refund"
    balances = creator_balances(creator)
    assert (balances.held, balances.available, balances.owed) == (2000, 0, 0)
    assert cash() == 2500
    assert fee_revenue() == 500
    # Refunded is no longer held: the beat task releases the other item only.
    assert released(days=30) == 1
    assert JournalTransaction.objects.get(kind="hold_release").reference_id == kept
    # A redelivered refund event posts nothing.
    before = entry_count()
    assert refund_post(refund_ref="re_1", item_ref=item) == (journal, False)
    assert entry_count() == before
    assert_books_balance()


@pytest.mark.django_db
def test_a_refund_after_release_takes_the_share_back_from_available():
    creator = CreatorFactory()
    item, other = sell(creator, 999), sell(creator, 5000)
    assert released(days=30) == 2
    refund_post(refund_ref="re_1", item_ref=item)
    balances = creator_balances(creator)
    assert (balances.held, balances.available, balances.owed) == (0, 4000, 0)
    assert cash() == 5000 and fee_revenue() == 1000
    assert (
        raw_balance(creator_account(creator, K.CREATOR_AVAILABLE), "USD", item_ref=other) == -4000
    )
    assert_books_balance()


@pytest.mark.django_db
def test_a_refund_after_payout_becomes_debt_and_later_earnings_pay_it_first(
    settings, stripe_server, stripe_client
):
    use_local_stripe(settings, stripe_server)
    fund_platform(stripe_server, 100_000)
    creator = connected_creator(stripe_client, stripe_server)
    item = sell(creator, 2500)
    hold_release(item_ref=item)
    payout = payout_run_create().payouts.get()
    assert payout_send(payout_id=payout.id).status == PayoutStatus.PAID
    assert creator_balances(creator).paid == 2000

    refund_post(refund_ref="re_after_payout", item_ref=item)
    balances = creator_balances(creator)
    assert (balances.held, balances.available, balances.paid, balances.owed) == (0, 0, 2000, 2000)
    assert cash() == 2500 - 2000 - 2500  # sold, paid out, refunded in full
    assert fee_revenue() == 0
    assert_books_balance()

    # Later earnings pay the debt first: 1200 of a 1500 share, then the next one clears it.
    first = sell(creator, 1500)
    hold_release(item_ref=first)
    balances = creator_balances(creator)
    assert (balances.available, balances.owed) == (0, 800)
    second = sell(creator, 2000)
    hold_release(item_ref=second)
    balances = creator_balances(creator)
    assert (balances.available, balances.owed) == (800, 0)
    release = JournalTransaction.objects.get(kind="hold_release", reference_id=second)
    assert sorted(release.entries.values_list("account__kind", "amount")) == [
        (K.CREATOR_AVAILABLE, -800),
        (K.CREATOR_DEBT, -800),
        (K.CREATOR_HELD, 1600),
    ]
    assert_books_balance()


@pytest.mark.django_db
def test_a_dispute_takes_the_share_back_and_a_won_dispute_holds_it_again():
    creator = CreatorFactory()
    item = sell(creator, 999)
    opened, created = dispute_opened_post(dispute_ref="du_1", item_ref=item)
    assert created and opened.kind == "dispute_opened"
    assert creator_balances(creator).held == 0
    assert cash() == 0 and fee_revenue() == 0
    assert released(days=30) == 0

    won, created = dispute_won_post(dispute_ref="du_1", item_ref=item)
    assert created
    assert creator_balances(creator).held == 799
    assert cash() == 999 and fee_revenue() == 200
    # Replays of both events post nothing.
    before = entry_count()
    assert dispute_opened_post(dispute_ref="du_1", item_ref=item) == (opened, False)
    assert dispute_won_post(dispute_ref="du_1", item_ref=item) == (won, False)
    assert entry_count() == before
    assert released(days=30) == 1
    assert creator_balances(creator).available == 799
    assert_books_balance()


@pytest.mark.django_db
def test_a_dispute_after_release_then_won_is_released_a_second_time():
    creator = CreatorFactory()
    item = sell(creator, 999)
    hold_release(item_ref=item)
    dispute_opened_post(dispute_ref="du_1", item_ref=item)
    balances = creator_balances(creator)
    assert (balances.held, balances.available) == (0, 0)
    dispute_won_post(dispute_ref="du_1", item_ref=item)
    assert creator_balances(creator).held == 799
    _, created = hold_release(item_ref=item)
    assert created
    assert creator_balances(creator).available == 799
    assert JournalTransaction.objects.filter(kind="hold_release", reference_id=item).count() == 2
    assert_books_balance()


@pytest.mark.django_db
def test_a_lost_dispute_moves_nothing_more_and_is_recorded():
    creator = CreatorFactory()
    item = sell(creator, 999)
    dispute_opened_post(dispute_ref="du_1", item_ref=item)
    before = entry_count()
    lost, created = dispute_lost_post(dispute_ref="du_1", item_ref=item)
    assert created and lost.kind == "dispute_lost" and lost.reference_id == "du_1"
    assert entry_count() == before
    assert dispute_lost_post(dispute_ref="du_1", item_ref=item) == (lost, False)
    balances = creator_balances(creator)
    assert (balances.held, balances.available, balances.owed) == (0, 0, 0)
    assert cash() == 0 and fee_revenue() == 0
    assert released(days=30) == 0
    assert_books_balance()


@pytest.mark.django_db
def test_a_dispute_won_that_was_never_opened_is_refused():
    item = sell(CreatorFactory(), 999)
    with pytest.raises(LookupError):
        dispute_won_post(dispute_ref="du_unknown", item_ref=item)
    with pytest.raises(LookupError):
        refund_post(refund_ref="re_1", item_ref="order_item:never-sold")
    assert not JournalTransaction.objects.exclude(kind="sale").exists()


# --- Reading -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_creator_balances_and_the_trial_balance_per_currency():
    alice, bob = CreatorFactory(), CreatorFactory()
    a1, a2 = sell(alice, 10_000), sell(alice, 3000, "EUR")
    b1 = sell(bob, 999)
    sell(bob, 400, "EUR")
    hold_release(item_ref=a1)
    hold_release(item_ref=a2)
    refund_post(refund_ref="re_1", item_ref=b1)

    assert creator_balances(alice, "USD") == creator_balances(alice.id, "usd")
    usd, eur = creator_balances(alice, "USD"), creator_balances(alice, "EUR")
    assert (usd.held, usd.available, usd.in_transit, usd.paid, usd.owed) == (0, 8000, 0, 0, 0)
    assert (eur.held, eur.available) == (0, 2400)
    assert creator_balances(bob, "USD").held == 0
    assert creator_balances(bob, "EUR").held == 320

    table = trial_balance()
    assert set(table) == {"USD", "EUR"}
    assert all(sum(column.values()) == 0 for column in table.values())
    assert table["USD"][K.PLATFORM_CASH] == 10_000
    assert table["USD"][K.FEE_REVENUE] == -2000
    assert table["EUR"][K.PLATFORM_CASH] == 3400
    assert table["EUR"][K.CREATOR_HELD] == -320
    assert table["EUR"][K.CREATOR_AVAILABLE] == -2400
    assert_books_balance()


@pytest.mark.django_db
def test_an_empty_ledger_reads_as_zero():
    creator = CreatorFactory()
    assert creator_balances(creator) == creator_balances(creator, "USD")
    assert creator_balances(creator).available == 0
    assert trial_balance() == {}


@pytest.mark.django_db
def test_an_item_refunded_once_is_not_taken_back_again_under_another_reference():
    creator = CreatorFactory()
    item = sell(creator, 1000)
    refund_post(refund_ref="re_first", item_ref=item)
    before = LedgerEntry.objects.count()
    with pytest.raises(ValueError, match="already refunded or under dispute"):
        refund_post(refund_ref="re_second", item_ref=item)
    with pytest.raises(ValueError, match="already refunded or under dispute"):
        dispute_opened_post(dispute_ref="du_late", item_ref=item)
    assert LedgerEntry.objects.count() == before
    # The first refund replayed is still a no-op, not an error.
    refund_post(refund_ref="re_first", item_ref=item)
    assert LedgerEntry.objects.count() == before
