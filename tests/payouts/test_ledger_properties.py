"""Property-based test of the ledger: hypothesis drives random sequences of business events
through the real services (and, for payouts, the real local Stripe server) and checks the
books after every step against an independent model.

Events (rules): a sale of 1-3 items for any of 3 creators at 100..100000 in USD or EUR, some
of them under `destroy-models` terms (a holdback of 10% of the price, out of the 20% fee); the
hold release of one item; an item's holdback released to the team's credit or forfeited to
its creator (either one, on any item with a holdback, whatever its state); the beat's release of everything due (before or after the hold
period); a refund (before or after payout); a dispute opened, won or lost; a claw-back on an
upheld rights claim (the work frozen, its items refunded, the creator's debt recovered); a
freeze of a creator or a work, and its lift; a payout run in either currency (money in
transit) and, as a separate step so events can happen in between, sending its transfers,
which Stripe accepts or refuses (payout sent / payout failed); the connected account paying
its balance out to its bank (so a later recovery finds less there than the debt); recovering a
creator's debt by reversing transfers; and replaying any earlier event.

Why payouts are in the machine, through the services and the local server: payout start,
paid, failed and reversal are the events most likely to break conservation (money leaves the
platform's Stripe balance) and "replay changes nothing" (a second transfer), and only the
services plus a real server exercise the idempotency keys on both sides.

Invariants (after every step):
- every journal transaction sums to zero per currency (on PostgreSQL by the database's own
  deferred balance trigger, fired after each step with SET CONSTRAINTS ALL IMMEDIATE since the
  test's transaction never commits; on SQLite by a grouped query); each currency's trial
  balance sums to zero;
- each creator's held and available money per item, and available, in transit, paid and owed
  in all, equal an independent model written from the flows documented in
  payouts/services/events.py and payout_runs.py, and none is negative (in particular no
  available balance is ever negative); a payout pays exactly the money of the creator's works
  that are not frozen;
- money is conserved, per currency, with "active" items = sold and not refunded, not under an
  open or lost dispute:
      platform cash + transfers out          == sum of active items' prices
      fee revenue                            == sum of active items' fees less holdbacks
      held + available + in transit + paid − owed, over creators
                                             == sum of active shares and forfeited holdbacks
  (so a creator's money never includes a released holdback);
- the holdback: per item, the holdback account holds exactly the holdback while the item is
  active and its holdback neither released nor forfeited, else nothing (never negative); the
  team's credit per item is the holdback of an active item released to it; no item is both
  released and forfeited, and none is settled twice;
- our books match the local Stripe server: transfers minus reversals equal transfers out, each
  paid payout has exactly its one transfer, each connected account holds what the model says
  (paid to it, less reversals and its own bank payouts), and the pending payouts are the ones
  the model expects; a recovery takes exactly min(debt, unreversed transfers, account balance);
- replaying an earlier event changes nothing (entries, transactions, payouts, and the server's
  transfers and reversals).

Speed (CI runs thousands of sequences): each step's check reads the books in one round trip
(on PostgreSQL the trigger firing and one query: grouped sums over the entries, and the
payouts); the creators, their Connect accounts (made through the server once) and their
ledger accounts are made once per test, and each example starts from them: the database by a
savepoint rolled back after the example, the local Stripe server by restoring its state as it
was after setup. Every example starts with released earnings, half of them paid out, so that
claw-backs after payout and recoveries need few steps. Where the time went before (about
130 queries per sequence; now about 50): per-example setup through HTTP, an existence check
and a savepoint around every posting, account lookups one by one, and rows rolled back by
earlier examples that PostgreSQL's scans keep reading (see teardown).

Database isolation: the test is a django.test.TestCase (one transaction around the test
method, rolled back at the end). Each example opens its own savepoint (`transaction.savepoint()`
in the machine's __init__) and rolls back to it in teardown() (which hypothesis always
calls, also after a failure), so every example, and every shrinking attempt, starts from an
empty ledger.

Size: LEDGER_PROPERTY_EXAMPLES x LEDGER_PROPERTY_STEPS, default 1500 x 8 (the run CI makes):
about 2,050 sequences and 10,000 steps, each step checked, in about 100 s on PostgreSQL on a
2-core machine (the count is printed with `pytest -s`). Set them higher for a longer run."""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.test import TestCase, override_settings
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from devtools.stripe_local.server import DEFAULT_SECRET_KEY, StripeLocal
from payouts.models import CREATOR_KINDS, AccountKind, Freeze, Payout, PayoutStatus
from payouts.selectors.ledger import trial_balance
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
from payouts.services.holdback import holdback_forfeit, holdback_release
from payouts.services.ledger import creator_account, platform_account, team_account
from payouts.services.payout_runs import payout_run_create, payout_send
from payouts.services.recovery import transfer_reversal_recover
from tests.factories import CreatorFactory, OrganizationFactory, PayoutAccountFactory, StaffFactory

K = AccountKind
CURRENCIES = ("USD", "EUR")
CREATORS = 3  # 0 and 1 have payouts enabled; 2 has a connected account, payouts not enabled
PAYABLE = (0, 1)
WORKS = (0, 1)  # per creator: work id = 100 + 10 * creator + work
MONEY_OUT = {"payout_run", "payout_send", "recover"}
# Hypothesis runs more sequences than max_examples (those it discards along the way are run
# too): 1500 examples make about 2,000 sequences; the test prints the count.
EXAMPLES = int(os.environ.get("LEDGER_PROPERTY_EXAMPLES", "1500"))
STEPS = int(os.environ.get("LEDGER_PROPERTY_STEPS", "8"))
# Tables the examples write, emptied every EMPTY_EVERY examples on PostgreSQL (see teardown).
EMPTIED = (
    "payouts_ledgerentry",
    "payouts_journaltransaction",
    "payouts_payout",
    "payouts_payoutrun",
    "payouts_freeze",
)
EMPTY_EVERY = 100  # a TRUNCATE costs ~0.1-0.2 s; 100 examples leave ~3,000 dead rows
# With this many sequences every kind of event must have happened at least once.
COVERAGE_FROM = 500
MUST_SEE = (
    "sale",
    "release",
    "release_blocked",
    "beat_released",
    "refund",
    "refund_after_payout",
    "dispute_opened",
    "dispute_won",
    "dispute_lost",
    "claw_back",
    "freeze",
    "lift",
    "payout_run",
    "payout_paid",
    "payout_failed",
    "payout_left_frozen_work_out",
    "bank_payout",
    "recovered",
    "recovered_partly",
    "replay",
    "holdback_sale",
    "holdback_released",
    "holdback_forfeited",
    "holdback_forfeited_while_frozen",
    "holdback_not_settled",
)
HOLDBACK_BPS = 1000  # out of the test's 20% fee


@dataclass
class Item:
    ref: str
    creator: int
    work_id: int
    amount: int
    currency: str
    share: int
    fee: int  # the fee revenue posted: the fee less the holdback
    held: int
    available: int = 0  # this item's part of the creator's available money
    seq: int | None = None  # when that part first got money: parts are taken oldest first
    state: str = "sold"  # sold | refunded | disputed | lost
    disputed: bool = False  # one dispute per item, as one charge has one
    generation: int = 0  # times its share was held (a won dispute holds it again)
    dispute_ref: str = ""
    holdback: int = 0  # part of the fee held back (destroy-models terms)
    settled: str = ""  # what became of the holdback: "" (held back), "released", "forfeited"

    @property
    def active(self) -> bool:
        return self.state == "sold"

    @property
    def earned(self) -> int:
        """What its creator earned from it: the share, and a holdback forfeited to them."""
        return self.share + (self.holdback if self.settled == "forfeited" else 0)


@dataclass
class Position:
    in_transit: int = 0
    paid: int = 0
    owed: int = 0
    on_stripe: int = 0  # what the connected account holds at Stripe


@dataclass
class Pending:
    index: int
    currency: str
    amount: int
    parts: list  # (item, amount) the payout took, in the order it took them


@dataclass
class Env:
    creators: list
    accounts: list[str] = field(default_factory=list)
    staff: object = None
    team: object = None  # the buying team, whose credit released holdbacks become
    server: StripeLocal | None = None
    stripe_state: str = ""  # the server's state after setup (Store.snapshot)


class LedgerMachine(RuleBasedStateMachine):
    env: Env  # set by the test before the run
    checks = 0  # invariant checks run: one per example after its setup, one per step
    examples = 0
    seen: Counter = Counter()  # what the run exercised, printed at the end (pytest -s)

    def __init__(self) -> None:
        super().__init__()
        # A bare savepoint, not an atomic block: the payout and refund services open durable
        # blocks, which may nest only in the test's own transaction.
        self._savepoint = transaction.savepoint()
        self.env.server.store.restore(self.env.stripe_state)
        LedgerMachine.examples += 1
        self.items: dict[str, Item] = {}
        self.positions: dict[tuple[int, str], Position] = defaultdict(Position)
        self.freezes: dict[int, tuple[str, int]] = {}  # freeze id -> ("creator"|"work", n)
        self.replays: list[tuple[str, object, object]] = []
        self.pending: dict[int, Pending] = {}  # payout id -> what the model expects of it
        self.counter = 0
        self.day = date(2030, 1, 1)

    def teardown(self) -> None:
        transaction.savepoint_rollback(self._savepoint)
        if connection.vendor == "postgresql" and LedgerMachine.examples % EMPTY_EVERY == 0:
            # A rolled-back row is still in the table, dead, until VACUUM (which cannot run in
            # a transaction), and every scan reads it: over thousands of examples each step
            # got slower. Emptying the tables (inside the test's transaction, rolled back with
            # it) drops them.
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {', '.join(EMPTIED)} CASCADE")

    # --- the model --------------------------------------------------------------------------

    def _ref(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}:{self.counter}"

    def _creator(self, index: int):
        return self.env.creators[index]

    def _index(self, creator_id: int) -> int:
        return next(i for i, c in enumerate(self.env.creators) if c.id == creator_id)

    def _work_frozen(self, work_id) -> bool:
        return ("work", work_id) in self.freezes.values()

    def _creator_frozen(self, index: int) -> bool:
        return ("creator", index) in self.freezes.values()

    def _frozen(self, item: Item) -> bool:
        return self._creator_frozen(item.creator) or self._work_frozen(item.work_id)

    def _items(self, predicate) -> list[Item]:
        return [item for item in self.items.values() if predicate(item)]

    def _credit(self, item: Item, amount: int) -> None:
        item.available += amount
        if amount and item.seq is None:
            self.counter += 1
            item.seq = self.counter

    def _buckets(self, index: int, currency: str) -> list[Item]:
        """The creator's available money per item, oldest first (ledger.available_buckets)."""
        found = self._items(lambda i: (i.creator, i.currency) == (index, currency) and i.available)
        return sorted(found, key=lambda i: i.seq)

    def _take(self, parts: list[tuple[Item, int]], amount: int, own: Item | None = None):
        """ledger.take_from: the item's own money first, then works not frozen, then frozen
        works, each oldest first. Returns [(item, taken)]."""
        order = sorted(parts, key=lambda p: (p[0] is not own, self._work_frozen(p[0].work_id)))
        taken = []
        for item, there in order:
            part = min(amount, there)
            if part > 0:
                taken.append((item, part))
                amount -= part
        return taken

    def _take_back(self, item: Item) -> bool:
        """events._take_back_share; True when part of the share became debt."""
        position = self.positions[item.creator, item.currency]
        from_held = min(item.earned, item.held)
        item.held -= from_held
        rest = item.earned - from_held
        parts = [(i, i.available) for i in self._buckets(item.creator, item.currency)]
        for source, part in self._take(parts, rest, own=item):
            source.available -= part
            rest -= part
        position.owed += rest
        return rest > 0

    def _release_in_model(self, item: Item) -> None:
        self._credit_paying_debt(item, item.held)
        item.held = 0

    def _credit_paying_debt(self, item: Item, amount: int) -> None:
        """Money made available (a hold release, a forfeit) pays the creator's debt first."""
        position = self.positions[item.creator, item.currency]
        repaid = min(amount, position.owed)
        position.owed -= repaid
        self._credit(item, amount - repaid)

    def _payable(self, index: int, currency: str) -> list[Item]:
        if self._creator_frozen(index):
            return []
        return [i for i in self._buckets(index, currency) if not self._work_frozen(i.work_id)]

    def _eligible(self, currency: str) -> dict[int, int]:
        amounts = {i: sum(b.available for b in self._payable(i, currency)) for i in PAYABLE}
        return {i: a for i, a in amounts.items() if a >= django_settings.PAYOUT_MINIMUM}

    def _recoverable(self, index: int, currency: str) -> int:
        """Reversals are capped by the debt, what is left of the transfers unreversed (all
        that was paid and not yet taken back) and what the account holds."""
        position = self.positions[index, currency]
        return min(position.owed, position.paid, position.on_stripe)

    def _snapshot(self):
        """What a replay must not change: the rows it could add, and the payouts' states."""
        store = self.env.server.store
        with connection.cursor() as cursor:
            cursor.execute(SNAPSHOT_SQL)
            rows = cursor.fetchall()
        return rows, len(store.all("transfer")), len(store.all("transfer_reversal"))

    def _step(self, name: str) -> None:
        self.seen[name] += 1

    # --- rules: sales, holds, refunds, disputes ---------------------------------------------

    @initialize(
        amounts=st.lists(st.integers(1250, 100_000), min_size=1, max_size=2),
        currency=st.sampled_from(CURRENCIES),
        paid_out=st.booleans(),
        data=st.data(),
    )
    def released_earnings(self, amounts, currency, paid_out, data):
        """Each example starts with released earnings for the payable creators, and half of
        them with those earnings paid out, so claw-backs after payout, debt and recoveries
        happen within a few steps."""
        lines = [
            (n % len(PAYABLE), n % len(WORKS), a, currency, HOLDBACK_BPS * (a % 2))
            for n, a in enumerate(amounts)
        ]
        self._sell(lines)
        for item in list(self.items.values()):
            _, created = hold_release(item_ref=item.ref)
            assert created
            self._release_in_model(item)
        if paid_out:
            self._payout_run(currency, True, data)

    @rule(
        lines=st.lists(
            st.tuples(
                st.sampled_from((0, 1, 0, 1, 2)),
                st.sampled_from(WORKS),
                st.integers(100, 100_000),
                st.sampled_from(("USD", "USD", "EUR")),
                st.sampled_from((0, 0, HOLDBACK_BPS)),
            ),
            min_size=1,
            max_size=3,
        )
    )
    def an_order_is_paid(self, lines):
        """A sale. (Hypothesis lists rules by name and falls back on the first it may run: a
        sale, which builds up state, rather than the beat, which mostly finds nothing due.)"""
        self._sell(lines)
        self._step("sale")

    def _sell(self, lines):
        order_ref = self._ref("order")
        sold = []
        for creator, work, amount, currency, holdback_bps in lines:
            share, fee = split_amount(amount)
            assert share + fee == amount
            holdback = amount * holdback_bps // 10_000
            assert holdback <= fee
            sold.append(
                Item(
                    ref=self._ref("order_item"),
                    creator=creator,
                    work_id=100 + 10 * creator + work,
                    amount=amount,
                    currency=currency,
                    share=share,
                    fee=fee - holdback,
                    held=share,
                    holdback=holdback,
                )
            )
        sale_items = [
            SaleItem(
                self._creator(i.creator).id,
                i.ref,
                i.amount,
                i.currency,
                i.work_id,
                holdback_bps=HOLDBACK_BPS if i.holdback else 0,
            )
            for i in sold
        ]
        self.seen["holdback_sale"] += sum(bool(i.holdback) for i in sold)
        _, created = sale_post(order_ref=order_ref, items=sale_items)
        assert created
        self.items.update((i.ref, i) for i in sold)
        self.replays.append(
            ("sale", lambda: sale_post(order_ref=order_ref, items=sale_items), lambda: True)
        )

    @precondition(lambda self: any(i.held for i in self.items.values()))
    @rule(data=st.data())
    def release_one(self, data):
        # Any item with a held share, frozen or not (releasing one with nothing held is
        # covered by the replays).
        item = data.draw(st.sampled_from(self._items(lambda i: i.held > 0)))
        expected = not self._frozen(item)
        _, created = hold_release(item_ref=item.ref)
        assert created == expected, (item, self.freezes)
        self._step("release" if created else "release_blocked")
        if created:
            self._release_in_model(item)
            generation = item.generation
            self.replays.append(
                (
                    "release",
                    lambda: hold_release(item_ref=item.ref),
                    # Only a true replay: the share was not held again since (a won dispute).
                    lambda: item.generation == generation,
                )
            )

    @rule(days=st.sampled_from((14, 30, 0, 13)))
    def beat_releases_due(self, days):
        self._beat(days)
        self._step("beat")

    def _beat(self, days: int) -> None:
        """The hourly beat, `days` after now: it releases what is due and not frozen."""
        due = (
            self._items(lambda i: i.held > 0 and not self._frozen(i))
            if days >= django_settings.EARNINGS_HOLD_DAYS
            else []
        )
        assert holds_release_due(now=timezone.now() + timedelta(days=days)) == len(due)
        self.seen["beat_released"] += len(due)
        for item in due:
            self._release_in_model(item)

    @precondition(lambda self: any(i.active for i in self.items.values()))
    @rule(data=st.data())
    def refund(self, data):
        item = data.draw(st.sampled_from(self._items(lambda i: i.active)))
        self._refund(item, self._ref("re"))

    def _refund(self, item: Item, refund_ref: str) -> None:
        _, created = refund_post(refund_ref=refund_ref, item_ref=item.ref)
        assert created
        into_debt = self._take_back(item)
        item.state = "refunded"
        self._step("refund_after_payout" if into_debt else "refund")
        self.replays.append(
            ("refund", lambda: refund_post(refund_ref=refund_ref, item_ref=item.ref), lambda: True)
        )

    @precondition(lambda self: any(i.active and not i.disputed for i in self.items.values()))
    @rule(data=st.data())
    def dispute_opened(self, data):
        item = data.draw(st.sampled_from(self._items(lambda i: i.active and not i.disputed)))
        dispute_ref = self._ref("du")
        _, created = dispute_opened_post(dispute_ref=dispute_ref, item_ref=item.ref)
        assert created
        self._take_back(item)
        item.state, item.disputed, item.dispute_ref = "disputed", True, dispute_ref
        self._step("dispute_opened")
        self.replays.append(
            (
                "dispute_opened",
                lambda: dispute_opened_post(dispute_ref=dispute_ref, item_ref=item.ref),
                lambda: True,
            )
        )

    @precondition(lambda self: any(i.state == "disputed" for i in self.items.values()))
    @rule(data=st.data(), won=st.booleans())
    def dispute_closed(self, data, won):
        item = data.draw(st.sampled_from(self._items(lambda i: i.state == "disputed")))
        ref = item.dispute_ref
        if won:
            _, created = dispute_won_post(dispute_ref=ref, item_ref=item.ref)
            item.held += item.earned
            item.generation += 1
            item.state = "sold"
            replay = lambda: dispute_won_post(dispute_ref=ref, item_ref=item.ref)  # noqa: E731
        else:
            _, created = dispute_lost_post(dispute_ref=ref, item_ref=item.ref)
            item.state = "lost"
            replay = lambda: dispute_lost_post(dispute_ref=ref, item_ref=item.ref)  # noqa: E731
        assert created
        self._step("dispute_won" if won else "dispute_lost")
        self.replays.append(("dispute_" + ("won" if won else "lost"), replay, lambda: True))

    @precondition(lambda self: any(i.holdback for i in self.items.values()))
    @rule(
        data=st.data(),
        outcome=st.sampled_from(("released", "released", "forfeited", "forfeited")),
        freeze_first=st.booleans(),
    )
    def holdback_settled(self, data, outcome, freeze_first):
        """The team's destruction duty for an item is met (its holdback released to the team's
        credit) or breached for good (forfeited to the creator; half the time the work is
        frozen first, so the forfeit stays held). Any item with a holdback, in any state: one
        already settled the other way, refunded or under dispute is left as it is (None); one
        settled this way already is a replay."""
        item = data.draw(st.sampled_from(self._items(lambda i: i.holdback)))
        if outcome == "forfeited" and freeze_first and not self._work_frozen(item.work_id):
            self._freeze(("work", item.work_id))
        if outcome == "released":
            settle = lambda: holdback_release(  # noqa: E731
                item_ref=item.ref, organization_id=self.env.team.id
            )
        else:
            settle = lambda: holdback_forfeit(item_ref=item.ref)  # noqa: E731
        result = settle()
        if item.settled == outcome:
            assert result is not None and result[1] is False
            self._step("holdback_settled_again")
        elif item.settled or not item.active:
            assert result is None, (item, result)
            self._step("holdback_not_settled")
        else:
            assert result is not None and result[1] is True
            item.settled = outcome
            if outcome == "forfeited" and self._frozen(item):
                item.held += item.holdback  # released with the share once the freeze is lifted
                self.seen["holdback_forfeited_while_frozen"] += 1
            elif outcome == "forfeited":
                self._credit_paying_debt(item, item.holdback)
            self._step("holdback_" + outcome)
            self.replays.append(("holdback_" + outcome, settle, lambda: True))

    @precondition(lambda self: any(i.active for i in self.items.values()))
    @rule(data=st.data(), drained=st.sampled_from((0, 60)))
    def claw_back(self, data, drained):
        """A rights claim on a work is upheld: staff freeze the work (if it is not already),
        every active item of it is refunded to its buyer, and the creator's debt is recovered
        from their transfers as far as it can be."""
        work_id = data.draw(st.sampled_from(sorted({i.work_id for i in self.items.values()})))
        items = self._items(lambda i: i.work_id == work_id and i.active)
        index = (items or self._items(lambda i: i.work_id == work_id))[0].creator
        if not self._work_frozen(work_id):
            self._freeze(("work", work_id))
        claim = self._ref("claim")
        for item in items:
            self._refund(item, claim)
        for currency in CURRENCIES:
            if self.positions[index, currency].owed:
                self._recover(index, currency, claim, drained)
        self._step("claw_back")

    # --- rules: freezes -----------------------------------------------------------------------

    @precondition(lambda self: len(self.freezes) < 2)  # mostly unfrozen, so money moves
    @rule(data=st.data(), kind=st.sampled_from(("work", "work", "creator")))
    def freeze(self, data, kind):
        """Freeze a creator, or a work: mostly one that has money held or available, so that
        releases and payouts have something to leave out."""
        if kind == "creator":
            self._freeze(("creator", data.draw(st.integers(0, CREATORS - 1))))
        else:
            earning = sorted({i.work_id for i in self.items.values() if i.held or i.available})
            every = [100 + 10 * c + w for c in range(CREATORS) for w in WORKS]
            self._freeze(("work", data.draw(st.sampled_from(earning or every))))
        self._step("freeze")

    def _freeze(self, what) -> None:
        kind, n = what
        if kind == "creator":
            made = freeze_create(actor=self.env.staff, reason="review", creator=self._creator(n))
        else:
            made = freeze_create(actor=self.env.staff, reason="review", work_id=n)
        self.freezes[made.id] = what

    @precondition(lambda self: self.freezes)
    @rule(data=st.data())
    def lift(self, data):
        freeze_id = data.draw(st.sampled_from(sorted(self.freezes)))
        freeze_lift(freeze=Freeze.objects.get(id=freeze_id), actor=self.env.staff)
        del self.freezes[freeze_id]
        self._step("lift")

    # --- rules: payouts -------------------------------------------------------------------------

    @rule(
        currency=st.sampled_from(("USD", "USD", "EUR")),
        send_now=st.booleans(),
        data=st.data(),
    )
    def payout_run(self, currency, send_now, data):
        """A weekly run (a week after the last). Its payouts are sent at once, or stay pending
        (money in transit) until `send_pending`, so refunds, disputes and freezes can happen in
        between."""
        self._payout_run(currency, send_now, data)

    def _payout_run(self, currency, send_now, data):
        self.day += timedelta(days=7)
        on = self.day
        expected = self._eligible(currency)
        kept_back = any(  # a creator this run pays, or would, has a frozen work's money
            i.available and self._work_frozen(i.work_id) and not self._creator_frozen(i.creator)
            for i in self.items.values()
            if i.creator in PAYABLE and i.currency == currency
        )
        run = payout_run_create(on=on, currency=currency)
        self._step("payout_run")
        created = {self._index(p.creator_id): p for p in run.payouts.all()}
        assert {i: p.amount for i, p in created.items()} == expected
        if kept_back:
            self.seen["payout_left_frozen_work_out"] += 1
        for index, payout in created.items():
            parts = [(i, i.available) for i in self._payable(index, currency)]
            for item, _ in parts:
                item.available = 0
            self.positions[index, currency].in_transit += payout.amount
            self.pending[payout.id] = Pending(index, currency, payout.amount, parts)
        if send_now and self.pending:
            self._send_pending(data)
        self.replays.append(
            (
                "payout_run",
                lambda: payout_run_create(on=on, currency=currency),
                lambda: self._run_is_complete(on, currency),
            )
        )

    def _run_is_complete(self, on: date, currency: str) -> bool:
        """Running a past day again is a pure replay unless someone became eligible since (it
        would then, rightly, pay them)."""
        paid_that_day = Payout.objects.filter(run__scheduled_for=on, currency=currency)
        return set(self._eligible(currency)) <= {
            self._index(c) for c in paid_that_day.values_list("creator_id", flat=True)
        }

    @precondition(lambda self: self.pending)
    @rule(data=st.data())
    def send_pending(self, data):
        self._send_pending(data)

    def _send_pending(self, data) -> None:
        """Send every pending payout (the task's work); Stripe refuses some: the destination
        lost its transfers capability."""
        for payout_id in sorted(self.pending):
            pending = self.pending.pop(payout_id)
            refused = data.draw(st.sampled_from((False, False, True)), label="refused")
            store, account = self.env.server.store, self.env.accounts[pending.index]
            if refused:
                _capability(store, account, "inactive")
            else:
                store.move(None, pending.currency, available=pending.amount)  # a top-up
            sent = payout_send(payout_id=payout_id)
            position = self.positions[pending.index, pending.currency]
            position.in_transit -= pending.amount
            if refused:
                _capability(store, account, "active")
                assert sent.status == PayoutStatus.FAILED and sent.failure_reason
                # The money goes back to its items, paying first what the creator came to owe.
                repaid = dict(
                    (item.ref, part) for item, part in self._take(pending.parts, position.owed)
                )
                position.owed -= sum(repaid.values())
                for item, part in pending.parts:
                    self._credit(item, part - repaid.get(item.ref, 0))
            else:
                assert sent.status == PayoutStatus.PAID, sent.failure_reason
                position.paid += pending.amount
                position.on_stripe += pending.amount
            self._step("payout_" + sent.status)
            self.replays.append(
                ("payout_send", lambda p=payout_id: payout_send(payout_id=p), lambda: True)
            )

    @precondition(lambda self: any(p.on_stripe for p in self.positions.values()))
    @rule(data=st.data(), percent=st.sampled_from((100, 50, 90)))
    def bank_payout(self, data, percent):
        """The connected account's own payout to its bank (Stripe's schedule, not ours) takes
        some of its balance. The local server has no bank payouts: taken from its state."""
        index, currency = data.draw(
            st.sampled_from(sorted(k for k, p in self.positions.items() if p.on_stripe))
        )
        self._bank_payout(index, currency, percent)
        self._step("bank_payout")

    def _bank_payout(self, index: int, currency: str, percent: int) -> None:
        position = self.positions[index, currency]
        amount = max(1, position.on_stripe * percent // 100)
        self.env.server.store.move(self.env.accounts[index], currency, available=-amount)
        position.on_stripe -= amount

    @precondition(lambda self: any(p.owed for p in self.positions.values()))
    @rule(data=st.data(), drained=st.sampled_from((0, 60)))
    def recover_debt(self, data, drained):
        index, currency = data.draw(
            st.sampled_from(sorted(key for key, p in self.positions.items() if p.owed))
        )
        self._recover(index, currency, self._ref("recover"), drained)

    def _recover(self, index: int, currency: str, reason_ref: str, drained: int = 0) -> None:
        """Recover a creator's debt; with `drained`, their account first paid that share of its
        balance out to their bank, so that it may hold less than they owe (a partial
        recovery)."""
        position = self.positions[index, currency]
        if drained and position.on_stripe:
            self._bank_payout(index, currency, drained)
        expected = self._recoverable(index, currency)
        reversals_before = _reversed_total(self.env.server, currency)
        recovered = transfer_reversal_recover(
            creator=self._creator(index), currency=currency, reason_ref=reason_ref
        )
        assert recovered == expected, (recovered, position)
        assert _reversed_total(self.env.server, currency) - reversals_before == recovered
        if 0 < recovered < position.owed:
            self.seen["recovered_partly"] += 1
        position.owed -= recovered
        position.paid -= recovered
        position.on_stripe -= recovered
        self._step("recovered" if recovered else "recover_nothing")
        self.replays.append(
            (
                "recover",
                lambda: transfer_reversal_recover(
                    creator=self._creator(index), currency=currency, reason_ref=reason_ref
                ),
                # The same cause reverses each transfer once; replayed while the creator owes
                # again, it may rightly take that debt from a transfer it did not touch yet.
                lambda: self._recoverable(index, currency) == 0,
            )
        )

    # --- rule: replay -------------------------------------------------------------------------

    @precondition(lambda self: self.replays)
    @rule(data=st.data())
    def replay(self, data):
        self._replay(data.draw(st.sampled_from(self.replays)))

    @precondition(lambda self: any(r[0] in MONEY_OUT for r in self.replays))
    @rule(data=st.data())
    def replay_money_out(self, data):
        """Replays of what moves money at Stripe, drawn more often than their share."""
        self._replay(data.draw(st.sampled_from([r for r in self.replays if r[0] in MONEY_OUT])))

    def _replay(self, event) -> None:
        name, call, still_a_replay = event
        if not still_a_replay():
            self._step("replay_skipped")
            return
        self._step("replay")
        before = self._snapshot()
        call()
        assert self._snapshot() == before, f"replaying {name} changed the books"

    # --- invariants -----------------------------------------------------------------------------
    # One invariant reads the books once per step (two queries) and runs the checks on them.

    @invariant()
    def the_books_hold(self):
        LedgerMachine.checks += 1
        books = _Books.load(self.env.creators)
        if LedgerMachine.checks % 10 == 0:  # now and then: the app's own trial balance agrees
            assert trial_balance() == books.trial
        self._every_transaction_balances(books)
        self._balances_match_the_model_and_none_is_negative(books)
        self._money_is_conserved(books)
        self._holdbacks_are_where_the_model_says(books)
        self._the_books_match_the_stripe_server(books)

    def _every_transaction_balances(self, books: _Books) -> None:
        assert not books.unbalanced, books.unbalanced
        for currency, column in books.trial.items():
            assert sum(column.values()) == 0, (currency, column)

    def _balances_match_the_model_and_none_is_negative(self, books: _Books) -> None:
        for index in range(CREATORS):
            for currency in CURRENCIES:
                raw = books.creators.get((index, currency), {})
                position = self.positions[index, currency]
                mine = self._items(lambda i: (i.creator, i.currency) == (index, currency))
                got = {
                    "held": -raw.get(K.CREATOR_HELD, 0),
                    "available": -raw.get(K.CREATOR_AVAILABLE, 0),
                    "in_transit": -raw.get(K.CREATOR_IN_TRANSIT, 0),
                    "paid": -raw.get(K.CREATOR_PAID, 0),
                    "owed": raw.get(K.CREATOR_DEBT, 0),
                }
                want = {
                    "held": sum(i.held for i in mine),
                    "available": sum(i.available for i in mine),
                    "in_transit": position.in_transit,
                    "paid": position.paid,
                    "owed": position.owed,
                }
                assert got == want, (index, currency)
                assert all(value >= 0 for value in got.values()), (index, currency, got)
        by_item = {
            ref: (-books.per_item.get((K.CREATOR_HELD, ref), 0), item.held)
            for ref, item in self.items.items()
        }
        assert all(got == want for got, want in by_item.values()), by_item
        available = {
            ref: -total
            for (kind, ref), total in books.per_item.items()
            if total and kind == K.CREATOR_AVAILABLE
        }
        assert available == {r: i.available for r, i in self.items.items() if i.available}

    def _money_is_conserved(self, books: _Books) -> None:
        for currency in CURRENCIES:
            column = books.trial.get(currency, {})
            active = [i for i in self.items.values() if i.currency == currency and i.active]
            cash = column.get(K.PLATFORM_CASH, 0)
            transfers_out = column.get(K.TRANSFERS_OUT, 0)
            assert cash + transfers_out == sum(i.amount for i in active), currency
            assert -column.get(K.FEE_REVENUE, 0) == sum(i.fee for i in active), currency
            creators = -sum(column.get(k, 0) for k in CREATOR_KINDS if k != K.CREATOR_DEBT)
            creators -= column.get(K.CREATOR_DEBT, 0)
            # Shares, and forfeited holdbacks: never a released one.
            assert creators == sum(i.earned for i in active), currency
            held_back = sum(i.holdback for i in active if not i.settled)
            assert -column.get(K.HOLDBACK, 0) == held_back, currency
            credit = sum(i.holdback for i in active if i.settled == "released")
            assert -column.get(K.TEAM_CREDIT, 0) == credit, currency
            # Accounts no flow here uses.
            assert column.get(K.REFUNDS, 0) == column.get(K.STRIPE_FEES, 0) == 0

    def _holdbacks_are_where_the_model_says(self, books: _Books) -> None:
        for ref, item in self.items.items():
            held_back = -books.per_item.get((K.HOLDBACK, ref), 0)
            assert held_back >= 0, (ref, held_back)
            assert held_back == (item.holdback if item.active and not item.settled else 0), item
            credit = -books.per_item.get((K.TEAM_CREDIT, ref), 0)
            assert credit == (item.holdback if item.active and item.settled == "released" else 0)
        settled = books.settled
        assert all(count == 1 for count in settled.values()), settled  # each settled once
        released = {ref for kind, ref in settled if kind == "holdback_release"}
        forfeited = {ref for kind, ref in settled if kind == "holdback_forfeit"}
        assert not released & forfeited  # never both
        assert released == {r for r, i in self.items.items() if i.settled == "released"}
        assert forfeited == {r for r, i in self.items.items() if i.settled == "forfeited"}

    def _the_books_match_the_stripe_server(self, books: _Books) -> None:
        store = self.env.server.store
        transfers = store.all("transfer")
        for currency in CURRENCIES:
            sent = [t for t in transfers if t["currency"] == currency.lower()]
            net = sum(t["amount"] - t["amount_reversed"] for t in sent)
            assert net == books.trial.get(currency, {}).get(K.TRANSFERS_OUT, 0), currency
            for index, account in enumerate(self.env.accounts):
                held_there = store.balance(account, currency)["available"]
                assert held_there == self.positions[index, currency].on_stripe, (index, currency)
        pending = {p[0]: p[2] for p in books.payouts if p[1] == PayoutStatus.PENDING}
        assert pending == {i: p.amount for i, p in self.pending.items()}
        paid = {p[0]: p for p in books.payouts if p[1] == PayoutStatus.PAID}
        assert len(transfers) == len(paid)
        by_id = {t["id"]: t for t in transfers}
        for _, _, amount, transfer_id, creator_id in paid.values():
            transfer = by_id[transfer_id]
            assert transfer["amount"] == amount
            assert transfer["destination"] == self.env.accounts[self._index(creator_id)]


# The books in one query: the ledger's sums per currency, account kind and creator (and, for
# held and available money, per item); any transaction that does not balance; the payouts.
PER_ITEM_KINDS = ", ".join(
    f"'{k.value}'" for k in (K.CREATOR_HELD, K.CREATOR_AVAILABLE, K.HOLDBACK, K.TEAM_CREDIT)
)
PER_ITEM = f"CASE WHEN a.kind IN ({PER_ITEM_KINDS}) THEN e.item_ref ELSE '' END"
BOOKS_SQL = f"""
SELECT 'sum', e.currency, a.kind, a.creator_id, {PER_ITEM}, SUM(e.amount)
  FROM payouts_ledgerentry e JOIN payouts_ledgeraccount a ON a.id = e.account_id
 GROUP BY e.currency, a.kind, a.creator_id, {PER_ITEM}
UNION ALL
SELECT 'payout', p.status, p.stripe_transfer_id, p.creator_id, CAST(p.id AS VARCHAR(20)), p.amount
  FROM payouts_payout p
UNION ALL
SELECT 'settled', t.kind, '', NULL, t.reference_id, COUNT(*)
  FROM payouts_journaltransaction t
 WHERE t.kind IN ('holdback_release', 'holdback_forfeit')
 GROUP BY t.kind, t.reference_id
"""
# Transactions that do not balance. On PostgreSQL the balance trigger checks this, fired for
# every transaction posted since the last step (FIRE_TRIGGERS); SQLite has no such trigger.
UNBALANCED_SQL = """
UNION ALL
SELECT 'unbalanced', e.currency, '', NULL, CAST(e.transaction_id AS VARCHAR(20)), SUM(e.amount)
  FROM payouts_ledgerentry e
 GROUP BY e.currency, e.transaction_id
HAVING SUM(e.amount) <> 0
"""
SNAPSHOT_SQL = """
SELECT 'entries', COUNT(*), '', 0, '' FROM payouts_ledgerentry
UNION ALL SELECT 'transactions', COUNT(*), '', 0, '' FROM payouts_journaltransaction
UNION ALL SELECT 'payout', p.id, p.status, p.amount, p.stripe_transfer_id FROM payouts_payout p
ORDER BY 1, 2
"""
# On PostgreSQL, first fire the deferred balance trigger for everything inserted since the
# last step (it runs at commit, which this test never reaches: the TestCase rolls back); in
# the same round trip, as the statements carry no parameters.
FIRE_TRIGGERS = "SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED;"


@dataclass
class _Books:
    """The ledger and payouts as the invariants need them, read in one round trip."""

    trial: dict  # currency -> account kind -> raw sum
    creators: dict  # (creator index, currency) -> account kind -> raw sum
    per_item: dict  # (held, available, holdback or team credit kind, item ref) -> raw sum
    unbalanced: list  # (transaction id, currency, sum) that do not sum to zero
    payouts: list  # (id, status, amount, transfer id, creator id)
    settled: dict  # (holdback_release | holdback_forfeit, item ref) -> transactions

    @classmethod
    def load(cls, creators) -> _Books:
        index = {c.id: i for i, c in enumerate(creators)}
        trial: dict = defaultdict(dict)
        by_creator: dict = defaultdict(dict)
        per_item: dict = defaultdict(int)
        unbalanced, payouts, settled = [], [], {}
        on_postgres = connection.vendor == "postgresql"
        with connection.cursor() as cursor:
            cursor.execute(FIRE_TRIGGERS + BOOKS_SQL if on_postgres else BOOKS_SQL + UNBALANCED_SQL)
            while cursor.description is None and cursor.nextset():
                pass  # past the SET statements' empty results
            rows = cursor.fetchall()
        for section, first, second, creator_id, ref, total in rows:
            if section == "payout":  # (status, transfer id, creator, payout id, amount)
                payouts.append((int(ref), first, total, second, creator_id))
            elif section == "unbalanced":
                unbalanced.append((ref, first, total))
            elif section == "settled":
                settled[first, ref] = total
            else:  # (currency, account kind, creator, item ref, sum)
                trial[first][second] = trial[first].get(second, 0) + total
                if creator_id is not None:
                    per_creator = by_creator[index[creator_id], first]
                    per_creator[second] = per_creator.get(second, 0) + total
                if ref:
                    per_item[second, ref] += total
        return cls(dict(trial), dict(by_creator), dict(per_item), unbalanced, payouts, settled)


def _capability(store, account: str, status: str) -> None:
    """The account's transfers capability as Stripe would change it (an onboarding
    requirement came due, then was met); set directly in the server's state."""
    with store.lock:
        store.objects[account]["capabilities"]["transfers"] = status


def _reversed_total(server, currency: str) -> int:
    return sum(
        r["amount"]
        for r in server.store.all("transfer_reversal")
        if r["currency"] == currency.lower()
    )


class TestLedgerMachine(TestCase):
    def setUp(self):
        server = StripeLocal()
        server.serve(0)
        self.addCleanup(server.shutdown)
        self.enterContext(
            override_settings(
                STRIPE_SECRET_KEY=DEFAULT_SECRET_KEY,
                STRIPE_API_BASE=server.public_url,
                PAYOUT_MINIMUM=1000,
                EARNINGS_HOLD_DAYS=14,
                PLATFORM_FEE_BPS=2000,
            )
        )
        env = Env(
            creators=[CreatorFactory() for _ in range(CREATORS)],
            staff=StaffFactory(),
            team=OrganizationFactory(),
        )
        env.server = server
        # Made once for all examples: each example rolls back to here.
        for index, creator in enumerate(env.creators):
            account = _express_account(server)
            env.accounts.append(account)
            PayoutAccountFactory(
                creator=creator, stripe_account_id=account, payouts_enabled=index in PAYABLE
            )
            for kind in CREATOR_KINDS:
                creator_account(creator, kind)
        for kind in (K.PLATFORM_CASH, K.FEE_REVENUE, K.TRANSFERS_OUT, K.HOLDBACK):
            platform_account(kind)
        team_account(env.team, K.TEAM_CREDIT)
        env.stripe_state = server.store.snapshot()
        LedgerMachine.env = env

    # A failure is shrunk to a short sequence, which can take minutes.
    @pytest.mark.timeout(1800)
    def test_random_event_sequences_keep_the_books(self):
        LedgerMachine.checks = LedgerMachine.examples = 0
        LedgerMachine.seen.clear()
        run_state_machine_as_test(
            LedgerMachine,
            settings=settings(
                max_examples=EXAMPLES,
                stateful_step_count=STEPS,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
                print_blob=True,
            ),
        )
        seen = dict(LedgerMachine.seen)
        steps = LedgerMachine.checks - LedgerMachine.examples
        print(
            f"ledger machine: {LedgerMachine.examples} sequences, {steps} steps, "
            f"{LedgerMachine.checks} invariant checks, {seen}"
        )
        if EXAMPLES >= COVERAGE_FROM:
            assert not [name for name in MUST_SEE if not seen.get(name)], seen


def _express_account(server) -> str:
    import stripe

    from tests.payouts.factories import connected_account

    client = stripe.StripeClient(
        DEFAULT_SECRET_KEY,
        base_addresses={"api": server.public_url, "connect": server.public_url},
        max_network_retries=0,
    )
    return connected_account(client, server)
