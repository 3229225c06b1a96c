"""Payout runs against the local Stripe server (devtools/stripe_local), through the app's own
gateway: real Express accounts, real transfers and reversals with idempotency keys, real
balances. Every assertion reads our database or the server's state; nothing is mocked. The
one patch (the crash tests) replaces our own function at the edge between the Stripe call and
our commit, to stand in for a worker killed there."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from payouts.models import AccountKind, JournalTransaction, LedgerEntry, Payout, PayoutStatus
from payouts.selectors.ledger import creator_balances, raw_balance, trial_balance
from payouts.services import payout_runs, recovery
from payouts.services.events import (
    dispute_lost_post,
    dispute_opened_post,
    dispute_won_post,
    hold_release,
    refund_post,
)
from payouts.services.freezes import freeze_create, freeze_lift
from payouts.services.ledger import platform_account
from payouts.services.payout_runs import payout_run_create, payout_send
from payouts.services.recovery import transfer_reversal_recover
from payouts.stripe_gateway import StripeUnavailable
from payouts.tasks import payout_run_task
from tests.devtools.helpers import control
from tests.factories import CreatorFactory, PayoutAccountFactory
from tests.payouts.factories import connected_creator, fund_platform, sell, use_local_stripe

K = AccountKind
TODAY = timezone.localdate


class WorkerKilled(Exception):
    """Stands in for a worker dying (SIGKILL, OOM, deploy) at the patched point."""


@pytest.fixture
def app_stripe(settings, stripe_server):
    """The app's gateway pointed at this test's local Stripe server."""
    use_local_stripe(settings, stripe_server)
    settings.PAYOUT_MINIMUM = 1000
    return stripe_server


@pytest.fixture
def funded(app_stripe):
    fund_platform(app_stripe, 1_000_000)
    return app_stripe


# --- Reading the server ------------------------------------------------------------------------


def transfers_to(stripe_client, account_id: str) -> list:
    return stripe_client.v1.transfers.list(params={"destination": account_id, "limit": 100}).data


def all_transfers(stripe_client) -> list:
    return stripe_client.v1.transfers.list(params={"limit": 100}).data


def reversals_of(stripe_client, transfer_id: str) -> list:
    return stripe_client.v1.transfers.reversals.list(transfer_id, params={"limit": 100}).data


def available_on_stripe(stripe_client, account: str | None = None, currency: str = "usd") -> int:
    options = {"stripe_account": account} if account else {}
    balance = stripe_client.v1.balance.retrieve(options=options)
    return sum(b.amount for b in balance.available if b.currency == currency)


def account_id(creator) -> str:
    creator.refresh_from_db()
    return creator.payout_account.stripe_account_id


def ledger_state() -> tuple[int, int, list]:
    """What must not change when something is repeated."""
    return (
        LedgerEntry.objects.count(),
        JournalTransaction.objects.count(),
        sorted(Payout.objects.values_list("id", "status", "amount", "stripe_transfer_id")),
    )


def assert_books_balance() -> None:
    for currency, column in trial_balance().items():
        assert sum(column.values()) == 0, (currency, column)


def released_share(creator, amount: int, currency: str = "USD", **kwargs) -> str:
    item = sell(creator, amount, currency, **kwargs)
    _, created = hold_release(item_ref=item)
    assert created
    return item


def paid_out(creator, *, on=None) -> Payout:
    """Run a payout run and send the creator's payout; it must succeed."""
    run = payout_run_create(on=on)
    payout = payout_send(payout_id=run.payouts.get(creator=creator).id)
    assert payout.status == PayoutStatus.PAID, payout.failure_reason
    return payout


# --- A run ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_run_sends_one_transfer_per_eligible_creator_and_running_again_changes_nothing(
    funded, stripe_client
):
    alice = connected_creator(stripe_client, funded)
    bob = connected_creator(stripe_client, funded)
    released_share(alice, 2500)  # 2000
    released_share(alice, 999)  # 799
    released_share(bob, 10_000)  # 8000
    sell(bob, 5000)  # still held: not paid
    platform_before = available_on_stripe(stripe_client)

    run = payout_run_create()
    payouts = {p.creator_id: p for p in run.payouts.all()}
    assert {c: (p.amount, p.currency, p.status) for c, p in payouts.items()} == {
        alice.id: (2799, "USD", PayoutStatus.PENDING),
        bob.id: (8000, "USD", PayoutStatus.PENDING),
    }
    # The money is in transit from the moment the payout row exists.
    assert creator_balances(alice).in_transit == 2799
    assert creator_balances(alice).available == 0

    for payout in payouts.values():
        sent = payout_send(payout_id=payout.id)
        assert sent.status == PayoutStatus.PAID
        assert sent.stripe_transfer_id.startswith("tr_")
        assert sent.settled_at is not None

    for creator, amount in ((alice, 2799), (bob, 8000)):
        payout = payouts[creator.id]
        payout.refresh_from_db()
        (transfer,) = transfers_to(stripe_client, account_id(creator))
        assert transfer.id == payout.stripe_transfer_id
        assert (transfer.amount, transfer.currency) == (amount, "usd")
        assert transfer.metadata["payout_id"] == str(payout.id)
        assert transfer.transfer_group == f"payout-run-{run.id}"
        assert available_on_stripe(stripe_client, account_id(creator)) == amount
        balances = creator_balances(creator)
        assert (balances.available, balances.in_transit, balances.paid) == (0, 0, amount)
    assert creator_balances(bob).held == 4000
    assert available_on_stripe(stripe_client) == platform_before - 2799 - 8000
    assert raw_balance(platform_account(K.TRANSFERS_OUT), "USD") == 2799 + 8000
    assert_books_balance()

    # The same run again (a second beat, staff pressing the button, a redelivered task), and
    # each send again: no second payout row, no second transfer, no new ledger entries.
    before = ledger_state()
    assert payout_run_create().id == run.id
    for payout in payouts.values():
        assert payout_send(payout_id=payout.id).status == PayoutStatus.PAID
    assert ledger_state() == before
    assert len(all_transfers(stripe_client)) == 2


@pytest.mark.django_db
def test_the_payout_task_run_twice_sends_once(funded, stripe_client):
    """The beat task end to end, through Celery (tasks run eagerly in tests), delivered
    twice. (apply_async also checks the task's time limits: soft must not exceed hard.)"""
    creator = connected_creator(stripe_client, funded)
    released_share(creator, 5000)
    assert payout_run_task.delay().get() == 1
    before = ledger_state()
    assert payout_run_task.delay().get() == 0
    assert ledger_state() == before
    (transfer,) = all_transfers(stripe_client)
    assert transfer.amount == 4000
    assert Payout.objects.get().status == PayoutStatus.PAID


@pytest.mark.django_db
def test_a_later_run_pays_what_was_released_since(funded, stripe_client):
    creator = connected_creator(stripe_client, funded)
    released_share(creator, 5000)
    first = paid_out(creator)
    released_share(creator, 2500)
    # Same day: the run exists and already has this creator's payout.
    assert payout_run_create().payouts.count() == 1
    second = paid_out(creator, on=TODAY() + timedelta(days=7))
    assert (first.amount, second.amount) == (4000, 2000)
    assert sorted(t.amount for t in transfers_to(stripe_client, account_id(creator))) == [
        2000,
        4000,
    ]
    assert creator_balances(creator).paid == 6000


# --- Crash idempotency -----------------------------------------------------------------------


def _killed_before_recording(monkeypatch):
    """The worker dies after Stripe created the transfer and before our code records it."""
    real, calls = payout_runs._payout_paid, []

    def dies_once(payout, *, transfer_id):
        calls.append(transfer_id)
        if len(calls) == 1:
            raise WorkerKilled("killed between the Stripe call and our commit")
        return real(payout, transfer_id=transfer_id)

    monkeypatch.setattr(payout_runs, "_payout_paid", dies_once)
    return calls


def _killed_before_commit(monkeypatch):
    """The worker dies inside our database transaction, after the postings were written and
    before the commit: the transaction rolls back with everything in it."""
    real, calls = payout_runs.post, []

    def posts_then_dies(**kwargs):
        result = real(**kwargs)
        if kwargs["kind"] == "payout_paid":
            calls.append(kwargs["idempotency_key"])
            if len(calls) == 1:
                raise WorkerKilled("killed before the commit")
        return result

    monkeypatch.setattr(payout_runs, "post", posts_then_dies)
    return calls


@pytest.mark.parametrize("crash", [_killed_before_recording, _killed_before_commit])
@pytest.mark.django_db
def test_a_worker_killed_between_the_transfer_and_the_commit_sends_no_second_transfer(
    crash, funded, stripe_client, monkeypatch
):
    creator = connected_creator(stripe_client, funded)
    released_share(creator, 2500)
    payout = payout_run_create().payouts.get()
    calls = crash(monkeypatch)

    with pytest.raises(WorkerKilled):
        payout_send(payout_id=payout.id)
    # Stripe made the transfer; we recorded nothing: still pending, money still in transit.
    (transfer,) = all_transfers(stripe_client)
    payout.refresh_from_db()
    assert (payout.status, payout.stripe_transfer_id) == (PayoutStatus.PENDING, "")
    assert not JournalTransaction.objects.filter(kind="payout_paid").exists()
    assert creator_balances(creator).in_transit == 2000

    # The task is redelivered (acks_late): the same idempotency key replays the transfer.
    sent = payout_send(payout_id=payout.id)
    assert sent.status == PayoutStatus.PAID
    assert len(calls) == 2
    assert (again := all_transfers(stripe_client)) and [t.id for t in again] == [transfer.id]
    assert sent.stripe_transfer_id == transfer.id
    assert JournalTransaction.objects.filter(kind="payout_paid").count() == 1
    balances = creator_balances(creator)
    assert (balances.in_transit, balances.paid) == (0, 2000)
    assert available_on_stripe(stripe_client, account_id(creator)) == 2000

    before = ledger_state()
    payout_send(payout_id=payout.id)
    assert ledger_state() == before
    assert len(all_transfers(stripe_client)) == 1
    assert_books_balance()


@pytest.mark.django_db
def test_stripe_unreachable_leaves_the_payout_pending_and_a_retry_sends_once(funded, stripe_client):
    creator = connected_creator(stripe_client, funded)
    released_share(creator, 2500)
    payout = payout_run_create().payouts.get()
    # Three 500s: the first attempt and both of the library's retries fail.
    control(funded, "faults", {f"fail_next[{n}]": "500" for n in range(3)})
    with pytest.raises(StripeUnavailable):
        payout_send(payout_id=payout.id)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PENDING
    assert creator_balances(creator).in_transit == 2000
    assert all_transfers(stripe_client) == []

    assert payout_send(payout_id=payout.id).status == PayoutStatus.PAID
    assert len(all_transfers(stripe_client)) == 1


# --- Failure -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_refused_transfer_fails_the_payout_with_the_reason_and_returns_the_money(
    app_stripe, stripe_client
):
    creator = connected_creator(stripe_client, app_stripe)
    released_share(creator, 2500)
    fund_platform(app_stripe, 1500)  # less than the 2000 owed
    payout = payout_run_create().payouts.get()

    failed = payout_send(payout_id=payout.id)
    assert failed.status == PayoutStatus.FAILED
    assert "insufficient available funds" in failed.failure_reason
    assert failed.stripe_transfer_id == ""
    assert all_transfers(stripe_client) == []
    balances = creator_balances(creator)
    assert (balances.available, balances.in_transit, balances.paid) == (2000, 0, 0)
    failure = JournalTransaction.objects.get(kind="payout_failed")
    assert failure.reference_id == str(payout.id)
    assert available_on_stripe(stripe_client) == 1500

    # Sending it again changes nothing; the next run pays the money once funds are there.
    before = ledger_state()
    assert payout_send(payout_id=payout.id).status == PayoutStatus.FAILED
    assert ledger_state() == before
    fund_platform(app_stripe, 10_000)
    second = paid_out(creator, on=TODAY() + timedelta(days=1))
    assert second.id != payout.id and second.amount == 2000
    (transfer,) = all_transfers(stripe_client)
    assert transfer.id == second.stripe_transfer_id
    assert creator_balances(creator).paid == 2000
    assert_books_balance()


@pytest.mark.django_db
def test_a_destination_that_cannot_receive_transfers_fails_the_payout(funded, stripe_client):
    creator = connected_creator(stripe_client, funded)
    released_share(creator, 2500)
    # Stripe restricted the account after our last account.updated (payouts_enabled is stale).
    control(funded, f"accounts/{account_id(creator)}", {"state": "restricted"})
    payout = payout_send(payout_id=payout_run_create().payouts.get().id)
    assert payout.status == PayoutStatus.FAILED
    assert "capabilities" in payout.failure_reason
    assert creator_balances(creator).available == 2000
    assert all_transfers(stripe_client) == []


# --- Who gets nothing --------------------------------------------------------------------------


@pytest.mark.django_db
def test_no_payout_below_the_minimum_when_frozen_or_without_payouts_enabled(
    funded, stripe_client, staff, settings
):
    settings.PAYOUT_MINIMUM = 1000
    below = connected_creator(stripe_client, funded)
    released_share(below, 1249)  # 999 available
    at_minimum = connected_creator(stripe_client, funded)
    released_share(at_minimum, 1250)  # 1000 available
    frozen = connected_creator(stripe_client, funded)
    released_share(frozen, 5000)
    freeze_create(actor=staff, reason="Fraud review", creator=frozen)
    not_enabled = connected_creator(stripe_client, funded, payouts_enabled=False)
    released_share(not_enabled, 5000)
    no_account = CreatorFactory()
    released_share(no_account, 5000)

    run = payout_run_create()
    assert list(run.payouts.values_list("creator_id", "amount")) == [(at_minimum.id, 1000)]
    payout_send(payout_id=run.payouts.get().id)
    (transfer,) = all_transfers(stripe_client)
    assert transfer.destination == account_id(at_minimum)
    for creator, available in ((below, 999), (frozen, 4000), (not_enabled, 4000)):
        balances = creator_balances(creator)
        assert (balances.available, balances.in_transit) == (available, 0)
        assert transfers_to(stripe_client, account_id(creator)) == []
    assert creator_balances(no_account).available == 4000


# --- Claw-backs after payout -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_refund_after_payout_reverses_the_transfer_and_clears_the_debt(funded, stripe_client):
    creator = connected_creator(stripe_client, funded)
    refunded = released_share(creator, 999)  # 799
    released_share(creator, 2500)  # 2000
    payout = paid_out(creator)
    assert payout.amount == 2799
    platform_before = available_on_stripe(stripe_client)

    refund_post(refund_ref="re_1", item_ref=refunded)
    assert creator_balances(creator).owed == 799

    assert transfer_reversal_recover(creator=creator, reason_ref="re_1") == 799
    (reversal,) = reversals_of(stripe_client, payout.stripe_transfer_id)
    assert (reversal.amount, reversal.currency) == (799, "usd")
    transfer = stripe_client.v1.transfers.retrieve(payout.stripe_transfer_id)
    assert (transfer.amount_reversed, transfer.reversed) == (799, False)
    assert available_on_stripe(stripe_client, account_id(creator)) == 2000
    assert available_on_stripe(stripe_client) == platform_before + 799

    balances = creator_balances(creator)
    assert (balances.owed, balances.paid, balances.available) == (0, 2000, 0)
    recorded = JournalTransaction.objects.get(kind="transfer_reversal")
    assert recorded.reference_id == reversal.id
    assert raw_balance(platform_account(K.TRANSFERS_OUT), "USD") == 2000
    assert_books_balance()

    # The refund event delivered again: nothing more is reversed or posted.
    before = ledger_state()
    assert refund_post(refund_ref="re_1", item_ref=refunded)[1] is False
    assert transfer_reversal_recover(creator=creator, reason_ref="re_1") == 0
    assert ledger_state() == before
    assert len(reversals_of(stripe_client, payout.stripe_transfer_id)) == 1


def _pay_out_elsewhere(server, account: str, currency: str = "usd") -> None:
    """The connected account's own payout to its bank took its Stripe balance. The local
    server has no bank payouts, so the balance is taken directly from its state."""
    server.store.move(
        account, currency, available=-server.store.balance(account, currency)["available"]
    )


@pytest.mark.django_db
def test_what_the_connected_account_cannot_cover_stays_owed_and_later_earnings_pay_it(
    funded, stripe_client
):
    creator = connected_creator(stripe_client, funded)
    refunded = released_share(creator, 2500)
    payout = paid_out(creator)
    _pay_out_elsewhere(funded, account_id(creator))

    refund_post(refund_ref="re_1", item_ref=refunded)
    assert transfer_reversal_recover(creator=creator, reason_ref="re_1") == 0
    assert reversals_of(stripe_client, payout.stripe_transfer_id) == []
    balances = creator_balances(creator)
    assert (balances.owed, balances.paid) == (2000, 2000)
    assert not JournalTransaction.objects.filter(kind="transfer_reversal").exists()

    # Later earnings pay the debt first; only the rest becomes available and is paid.
    released_share(creator, 1250)  # 1000, all of it to the debt
    assert (creator_balances(creator).available, creator_balances(creator).owed) == (0, 1000)
    assert payout_run_create(on=TODAY() + timedelta(days=1)).payouts.count() == 0
    released_share(creator, 5000)  # 4000: 1000 to the debt, 3000 available
    assert (creator_balances(creator).available, creator_balances(creator).owed) == (3000, 0)
    second = paid_out(creator, on=TODAY() + timedelta(days=2))
    assert second.amount == 3000
    assert sorted(t.amount for t in transfers_to(stripe_client, account_id(creator))) == [
        2000,
        3000,
    ]
    assert_books_balance()


@pytest.mark.django_db
def test_a_lost_dispute_after_payout_reverses_the_transfer(funded, stripe_client):
    creator = connected_creator(stripe_client, funded)
    item = released_share(creator, 2500)
    payout = paid_out(creator)

    dispute_opened_post(dispute_ref="du_1", item_ref=item)
    assert creator_balances(creator).owed == 2000
    before = LedgerEntry.objects.count()
    dispute_lost_post(dispute_ref="du_1", item_ref=item)
    assert LedgerEntry.objects.count() == before
    assert transfer_reversal_recover(creator=creator, reason_ref="du_1") == 2000

    (reversal,) = reversals_of(stripe_client, payout.stripe_transfer_id)
    assert reversal.amount == 2000
    assert stripe_client.v1.transfers.retrieve(payout.stripe_transfer_id).reversed is True
    assert available_on_stripe(stripe_client, account_id(creator)) == 0
    balances = creator_balances(creator)
    assert (balances.owed, balances.paid, balances.available, balances.held) == (0, 0, 0, 0)
    assert raw_balance(platform_account(K.TRANSFERS_OUT), "USD") == 0
    assert_books_balance()


@pytest.mark.django_db
def test_a_lost_dispute_the_account_cannot_cover_is_netted_from_later_earnings(
    funded, stripe_client
):
    creator = connected_creator(stripe_client, funded)
    item = released_share(creator, 2500)
    paid_out(creator)
    _pay_out_elsewhere(funded, account_id(creator))
    dispute_opened_post(dispute_ref="du_1", item_ref=item)
    dispute_lost_post(dispute_ref="du_1", item_ref=item)
    assert transfer_reversal_recover(creator=creator, reason_ref="du_1") == 0
    assert creator_balances(creator).owed == 2000
    released_share(creator, 5000)
    balances = creator_balances(creator)
    assert (balances.available, balances.owed) == (2000, 0)
    assert_books_balance()


@pytest.mark.django_db
def test_a_dispute_won_after_the_reversal_is_earned_and_paid_again(funded, stripe_client):
    creator = connected_creator(stripe_client, funded)
    item = released_share(creator, 2500)
    paid_out(creator)
    dispute_opened_post(dispute_ref="du_1", item_ref=item)
    assert transfer_reversal_recover(creator=creator, reason_ref="du_1") == 2000
    dispute_won_post(dispute_ref="du_1", item_ref=item)
    assert creator_balances(creator).held == 2000
    _, created = hold_release(item_ref=item)
    assert created
    second = paid_out(creator, on=TODAY() + timedelta(days=1))
    assert second.amount == 2000
    assert available_on_stripe(stripe_client, account_id(creator)) == 2000
    balances = creator_balances(creator)
    assert (balances.paid, balances.owed) == (2000, 0)
    assert_books_balance()


# --- Debt, replays and outages ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_failed_payouts_money_pays_the_creators_debt_first(app_stripe, stripe_client):
    """Refunded while its payout was in transit, then the transfer failed: the money coming
    back pays the debt first, so the next run does not pay a creator who owes us."""
    creator = connected_creator(stripe_client, app_stripe)
    item = released_share(creator, 2500)
    payout = payout_run_create().payouts.get()  # 2000 in transit
    refund_post(refund_ref="re_1", item_ref=item)  # nothing held or available: owed 2000
    assert creator_balances(creator).owed == 2000
    assert payout_send(payout_id=payout.id).status == PayoutStatus.FAILED  # no funds
    balances = creator_balances(creator)
    assert (balances.available, balances.in_transit, balances.owed) == (0, 0, 0)
    fund_platform(app_stripe, 10_000)
    assert payout_run_create(on=TODAY() + timedelta(days=1)).payouts.count() == 0
    assert all_transfers(stripe_client) == []
    assert_books_balance()


@pytest.mark.django_db
def test_a_recovery_replayed_after_the_debt_changed_recovers_each_cent_once(funded, stripe_client):
    """A refund webhook delivered again after a second refund grew the debt: the replay must
    neither crash on Stripe's idempotency check nor take anything back twice."""
    creator = connected_creator(stripe_client, funded)
    first = released_share(creator, 999)
    second = released_share(creator, 2500)
    payout = paid_out(creator)
    refund_post(refund_ref="re_1", item_ref=first)
    assert transfer_reversal_recover(creator=creator, reason_ref="re_1") == 799
    refund_post(refund_ref="re_2", item_ref=second)
    transfer_reversal_recover(creator=creator, reason_ref="re_1")  # redelivered
    transfer_reversal_recover(creator=creator, reason_ref="re_2")
    transfer_reversal_recover(creator=creator, reason_ref="re_2")  # redelivered

    reversed_on_stripe = sum(
        r.amount for r in reversals_of(stripe_client, payout.stripe_transfer_id)
    )
    assert reversed_on_stripe == 2799
    assert stripe_client.v1.transfers.retrieve(payout.stripe_transfer_id).reversed is True
    balances = creator_balances(creator)
    assert (balances.owed, balances.paid) == (0, 0)
    assert raw_balance(platform_account(K.TRANSFERS_OUT), "USD") == 0
    assert_books_balance()


@pytest.mark.parametrize("crash", ["before_recording", "before_commit"])
@pytest.mark.django_db
def test_a_recovery_killed_after_the_reversal_reverses_once(
    crash, funded, stripe_client, monkeypatch
):
    creator = connected_creator(stripe_client, funded)
    item = released_share(creator, 2500)
    payout = paid_out(creator)
    refund_post(refund_ref="re_1", item_ref=item)
    real, calls = recovery.post, []

    def dies_once(**kwargs):
        if kwargs["kind"] == "transfer_reversal":
            calls.append(kwargs["idempotency_key"])
            if len(calls) == 1:
                if crash == "before_recording":
                    raise WorkerKilled("killed between the Stripe call and our commit")
                with transaction.atomic():  # the posting is written, then rolled back
                    real(**kwargs)
                    raise WorkerKilled("killed before the commit")
        return real(**kwargs)

    monkeypatch.setattr(recovery, "post", dies_once)
    with pytest.raises(WorkerKilled):
        transfer_reversal_recover(creator=creator, reason_ref="re_1")
    assert len(reversals_of(stripe_client, payout.stripe_transfer_id)) == 1
    assert creator_balances(creator).owed == 2000

    assert transfer_reversal_recover(creator=creator, reason_ref="re_1") == 2000
    (reversal,) = reversals_of(stripe_client, payout.stripe_transfer_id)
    assert reversal.amount == 2000
    assert len(set(calls)) == 1
    assert JournalTransaction.objects.filter(kind="transfer_reversal").count() == 1
    assert (creator_balances(creator).owed, creator_balances(creator).paid) == (0, 0)
    assert_books_balance()


@pytest.mark.django_db
def test_the_next_run_sends_a_payout_an_outage_left_pending(funded, stripe_client):
    creator = connected_creator(stripe_client, funded)
    released_share(creator, 2500)
    earlier = payout_run_create(on=TODAY() - timedelta(days=7)).payouts.get()
    control(funded, "faults", {f"fail_next[{n}]": "500" for n in range(3)})
    with pytest.raises(StripeUnavailable):
        payout_send(payout_id=earlier.id)
    payout_run_task()
    earlier.refresh_from_db()
    assert earlier.status == PayoutStatus.PAID
    assert len(all_transfers(stripe_client)) == 1


@pytest.mark.django_db
def test_payout_accounts_only_count_with_a_real_connected_account(funded, stripe_client):
    """A PayoutAccount whose Stripe id the server does not know fails cleanly, money back."""
    creator = CreatorFactory()
    PayoutAccountFactory(creator=creator, stripe_account_id="acct_doesnotexist0000")
    released_share(creator, 2500)
    payout = payout_send(payout_id=payout_run_create().payouts.get().id)
    assert payout.status == PayoutStatus.FAILED
    assert "No such destination" in payout.failure_reason
    assert creator_balances(creator).available == 2000


# --- Partial recovery ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_recovery_takes_what_the_connected_account_still_holds(funded, stripe_client):
    creator = connected_creator(stripe_client, funded)
    item = released_share(creator, 2500)
    payout = paid_out(creator)
    account = account_id(creator)
    funded.store.move(account, "usd", available=-1500)  # 500 left on the account
    platform_before = available_on_stripe(stripe_client)
    refund_post(refund_ref="re_1", item_ref=item)

    assert transfer_reversal_recover(creator=creator, reason_ref="re_1") == 500
    (reversal,) = reversals_of(stripe_client, payout.stripe_transfer_id)
    assert reversal.amount == 500
    assert available_on_stripe(stripe_client, account) == 0
    assert available_on_stripe(stripe_client) == platform_before + 500
    balances = creator_balances(creator)
    assert (balances.owed, balances.paid) == (1500, 1500)
    assert raw_balance(platform_account(K.TRANSFERS_OUT), "USD") == 1500
    assert_books_balance()

    # The same cause again (a redelivered webhook), even once the account holds money again:
    # nothing more is reversed for it.
    funded.store.move(account, "usd", available=800)
    before = ledger_state()
    assert transfer_reversal_recover(creator=creator, reason_ref="re_1") == 0
    assert ledger_state() == before
    assert len(reversals_of(stripe_client, payout.stripe_transfer_id)) == 1

    # Later earnings pay the rest of the debt first.
    released_share(creator, 2500)  # 2000: 1500 to the debt, 500 available
    balances = creator_balances(creator)
    assert (balances.owed, balances.available) == (0, 500)
    assert_books_balance()


@pytest.mark.django_db
def test_recovery_is_capped_by_what_is_left_of_each_transfer_unreversed(funded, stripe_client):
    """Two payouts; the newer transfer was partly reversed already. The recovery takes what is
    left of the newer one, then the rest from the older one, never more than either holds."""
    creator = connected_creator(stripe_client, funded)
    first_item = released_share(creator, 5000)  # 4000
    older = paid_out(creator)
    second_item = released_share(creator, 1250)  # 1000
    newer = paid_out(creator, on=TODAY() + timedelta(days=7))
    refund_post(refund_ref="re_small", item_ref=second_item)
    assert transfer_reversal_recover(creator=creator, reason_ref="re_small") == 1000
    refund_post(refund_ref="re_big", item_ref=first_item)
    assert creator_balances(creator).owed == 4000

    assert transfer_reversal_recover(creator=creator, reason_ref="re_big") == 4000
    assert [r.amount for r in reversals_of(stripe_client, newer.stripe_transfer_id)] == [1000]
    assert [r.amount for r in reversals_of(stripe_client, older.stripe_transfer_id)] == [4000]
    for payout in (older, newer):
        assert stripe_client.v1.transfers.retrieve(payout.stripe_transfer_id).reversed is True
    balances = creator_balances(creator)
    assert (balances.owed, balances.paid) == (0, 0)
    assert raw_balance(platform_account(K.TRANSFERS_OUT), "USD") == 0
    assert_books_balance()


@pytest.mark.django_db
def test_a_recovery_killed_after_a_partial_reversal_records_it_once(
    funded, stripe_client, monkeypatch
):
    """The account held less than the debt; the worker died after Stripe reversed that part.
    The retry finds the reversal on Stripe by our key, records it, and asks for nothing more
    (the account is empty now)."""
    creator = connected_creator(stripe_client, funded)
    item = released_share(creator, 2500)
    payout = paid_out(creator)
    funded.store.move(account_id(creator), "usd", available=-1200)  # 800 left
    refund_post(refund_ref="re_1", item_ref=item)
    real, calls = recovery.post, []

    def dies_once(**kwargs):
        if kwargs["kind"] == "transfer_reversal":
            calls.append(kwargs["idempotency_key"])
            if len(calls) == 1:
                raise WorkerKilled("killed between the Stripe call and our commit")
        return real(**kwargs)

    monkeypatch.setattr(recovery, "post", dies_once)
    with pytest.raises(WorkerKilled):
        transfer_reversal_recover(creator=creator, reason_ref="re_1")
    assert creator_balances(creator).owed == 2000

    assert transfer_reversal_recover(creator=creator, reason_ref="re_1") == 800
    (reversal,) = reversals_of(stripe_client, payout.stripe_transfer_id)
    assert reversal.amount == 800 and len(set(calls)) == 1
    balances = creator_balances(creator)
    assert (balances.owed, balances.paid) == (1200, 1200)
    assert_books_balance()


# --- Freezes keep a work's money out of payouts -------------------------------------------------


@pytest.mark.django_db
def test_a_work_frozen_after_release_keeps_its_money_out_of_payouts(funded, stripe_client, staff):
    creator = connected_creator(stripe_client, funded)
    released_share(creator, 2500, work_id=7)  # 2000, released before the freeze
    released_share(creator, 5000, work_id=8)  # 4000
    freeze = freeze_create(actor=staff, reason="Rights claim on work 7", work_id=7)
    payout = payout_run_create().payouts.get()
    assert payout.amount == 4000
    assert creator_balances(creator).available == 2000
    sent = payout_send(payout_id=payout.id)
    assert sent.status == PayoutStatus.PAID
    (transfer,) = transfers_to(stripe_client, account_id(creator))
    assert transfer.amount == 4000

    # Still frozen: the next run pays nothing of it.
    assert payout_run_create(on=TODAY() + timedelta(days=7)).payouts.count() == 0
    assert creator_balances(creator).available == 2000

    # Lifted: the money flows again.
    freeze_lift(freeze=freeze, actor=staff)
    later = paid_out(creator, on=TODAY() + timedelta(days=14))
    assert later.amount == 2000
    balances = creator_balances(creator)
    assert (balances.available, balances.paid) == (0, 6000)
    assert sorted(t.amount for t in transfers_to(stripe_client, account_id(creator))) == [
        2000,
        4000,
    ]
    assert_books_balance()


@pytest.mark.django_db
def test_a_claw_back_of_a_frozen_work_takes_its_own_money_and_other_money_is_paid(
    funded, stripe_client, staff
):
    """Upheld claim on work 7: its money, kept back by the freeze, pays its claw-back; a refund
    of another item that was already paid out takes from unfrozen money before frozen money."""
    creator = connected_creator(stripe_client, funded)
    paid_item = released_share(creator, 1250, work_id=9)  # 1000
    paid_out(creator)
    claimed = released_share(creator, 2500, work_id=7)  # 2000
    released_share(creator, 5000, work_id=8)  # 4000
    freeze_create(actor=staff, reason="Rights claim on work 7", work_id=7)

    # Refund of the paid-out item: 1000 from work 8's money, not from frozen work 7's.
    refund_post(refund_ref="re_1", item_ref=paid_item)
    assert creator_balances(creator).available == 5000
    # The claim is upheld: work 7's item is clawed back from its own (frozen) money.
    refund_post(refund_ref="claim_1", item_ref=claimed)
    balances = creator_balances(creator)
    assert (balances.available, balances.owed) == (3000, 0)
    payout = payout_run_create(on=TODAY() + timedelta(days=1)).payouts.get()
    assert payout.amount == 3000
    assert creator_balances(creator).available == 0
    assert_books_balance()


@pytest.mark.django_db
def test_a_frozen_creator_is_paid_nothing_until_lifted(funded, stripe_client, staff):
    creator = connected_creator(stripe_client, funded)
    released_share(creator, 2500, work_id=7)
    freeze = freeze_create(actor=staff, reason="Fraud review", creator=creator)
    assert payout_run_create().payouts.count() == 0
    freeze_lift(freeze=freeze, actor=staff)
    assert paid_out(creator, on=TODAY() + timedelta(days=1)).amount == 2000


@pytest.mark.django_db
def test_a_failed_payout_returns_each_works_money_so_a_freeze_since_still_holds_it(
    app_stripe, stripe_client, staff
):
    """Frozen while its payout was in transit, and the transfer failed: the money returns to
    the items it came from, so work 7's is kept back by the freeze and the rest is paid."""
    creator = connected_creator(stripe_client, app_stripe)
    released_share(creator, 2500, work_id=7)  # 2000
    released_share(creator, 5000, work_id=8)  # 4000
    payout = payout_run_create().payouts.get()
    assert payout.amount == 6000
    freeze_create(actor=staff, reason="Rights claim on work 7", work_id=7)
    assert payout_send(payout_id=payout.id).status == PayoutStatus.FAILED  # no funds
    assert creator_balances(creator).available == 6000
    fund_platform(app_stripe, 100_000)
    assert paid_out(creator, on=TODAY() + timedelta(days=1)).amount == 4000
    assert creator_balances(creator).available == 2000
    assert_books_balance()
