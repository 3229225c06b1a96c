"""Ledger benchmark: a million entries on PostgreSQL, a creator's balance and the trial balance
by the database's grouped sums against the naive way (loading entries and summing in Python),
measured in the same run; then a payout run for many creators against the local Stripe server.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/assent_bench \\
        .venv/bin/python bench/ledger.py [--entries 1000000] [--creators 10000] [--payouts 10000]

It migrates that database (it must be a scratch one: the script empties the ledger tables) and
prints its figures; it is a report, not a test."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("LOG_LEVEL", "WARNING")  # the Stripe library logs every request at INFO
os.environ.setdefault("DEBUG", "False")  # DEBUG keeps every query's SQL in memory
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/assent_bench")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Sum  # noqa: E402


def timed(fn, repeat: int = 7) -> tuple[float, object]:
    samples, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), result


def seed(entries: int, creators: int) -> list:
    """Sales spread over the creators, written with COPY-speed bulk inserts (the posting
    service's checks are not what is measured here; its triggers still run)."""
    from accounts.models import User
    from payouts.models import AccountKind, JournalTransaction, LedgerEntry
    from payouts.services.ledger import creator_account, platform_account

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE payouts_ledgerentry, payouts_journaltransaction, payouts_payout, "
            "payouts_payoutrun, payouts_payoutaccount, payouts_ledgeraccount RESTART IDENTITY CASCADE"
        )
    User.objects.filter(email__startswith="bench-").delete()
    users = User.objects.bulk_create(
        User(email=f"bench-{i}@example.com", role="creator") for i in range(creators)
    )
    cash = platform_account(AccountKind.PLATFORM_CASH)
    fees = platform_account(AccountKind.FEE_REVENUE)
    held = [creator_account(u, AccountKind.CREATOR_HELD) for u in users]
    # Three entries per sale: cash +100, held −80, fee −20.
    sales = entries // 3
    batch = 10_000
    for start in range(0, sales, batch):
        count = min(batch, sales - start)
        with transaction.atomic():
            journals = JournalTransaction.objects.bulk_create(
                JournalTransaction(idempotency_key=f"bench-sale:{start + i}", kind="sale")
                for i in range(count)
            )
            rows = []
            for i, journal in enumerate(journals):
                account = held[(start + i) % creators]
                ref = f"bench:{start + i}"
                rows += [
                    LedgerEntry(
                        transaction=journal, account=cash, amount=100, currency="USD", item_ref=ref
                    ),
                    LedgerEntry(
                        transaction=journal,
                        account=account,
                        amount=-80,
                        currency="USD",
                        item_ref=ref,
                    ),
                    LedgerEntry(
                        transaction=journal, account=fees, amount=-20, currency="USD", item_ref=ref
                    ),
                ]
            LedgerEntry.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE payouts_ledgerentry")
    return users


def bench_queries(users) -> dict:
    from payouts.models import LedgerEntry
    from payouts.selectors.ledger import creator_balances, trial_balance

    creator = users[len(users) // 2]
    fast_ms, balances = timed(lambda: creator_balances(creator))

    def naive_balance():
        return -sum(
            e.amount
            for e in LedgerEntry.objects.filter(currency="USD").select_related("account")
            if e.account.creator_id == creator.id and e.account.kind == "creator_held"
        )

    naive_ms, naive_held = timed(naive_balance, repeat=1)
    assert naive_held == balances.held, (naive_held, balances.held)

    trial_ms, table = timed(trial_balance, repeat=3)

    def naive_trial():
        totals = {}
        for currency, kind, amount in LedgerEntry.objects.values_list(
            "currency", "account__kind", "amount"
        ).iterator(chunk_size=20_000):
            totals[(currency, kind)] = totals.get((currency, kind), 0) + amount
        return totals

    naive_trial_ms, naive_table = timed(naive_trial, repeat=1)
    assert sum(table["USD"].values()) == 0
    assert sum(v for (c, _), v in naive_table.items() if c == "USD") == 0
    total = LedgerEntry.objects.aggregate(n=Sum(1))  # noqa: F841 - warms nothing, keeps honest
    return {
        "balance_ms": fast_ms,
        "balance_naive_ms": naive_ms,
        "trial_ms": trial_ms,
        "trial_naive_ms": naive_trial_ms,
        "entries": LedgerEntry.objects.count(),
    }


class QueryCounter:
    """Counts the queries run while it is installed (connection.execute_wrapper)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def bench_payout_run(users, payouts: int) -> dict:
    """Release every held share, then pay `payouts` creators through the local Stripe server."""
    from django.conf import settings
    from django.db.models import Sum

    from devtools.stripe_local.server import DEFAULT_SECRET_KEY, StripeLocal
    from payouts.models import AccountKind, LedgerEntry, Payout, PayoutAccount
    from payouts.services.ledger import Line, creator_accounts, post
    from payouts.services.payout_runs import payout_run_create, payout_send

    server = StripeLocal()
    server.serve(0)
    settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE = DEFAULT_SECRET_KEY, server.public_url
    settings.PAYOUT_MINIMUM = 1
    store = server.store
    chosen = users[:payouts]
    accounts = []
    for user in chosen:  # connected accounts made directly in the server's store (setup only)
        account = store.create(
            "account",
            {
                "type": "express",
                "charges_enabled": True,
                "payouts_enabled": True,
                "capabilities": {"transfers": "active"},
            },
        )
        account["_account"] = account["id"]
        accounts.append(
            PayoutAccount(
                creator=user,
                stripe_account_id=account["id"],
                payouts_enabled=True,
                details_submitted=True,
            )
        )
    PayoutAccount.objects.bulk_create(accounts)
    store.move(None, "usd", available=10**12)
    held_account = creator_accounts(chosen, AccountKind.CREATOR_HELD)
    available_account = creator_accounts(chosen, AccountKind.CREATOR_AVAILABLE)
    held = dict(
        LedgerEntry.objects.filter(account__in=held_account.values())
        .values("account__creator_id")
        .annotate(total=Sum("amount"))
        .values_list("account__creator_id", "total")
    )
    for user in chosen:  # make each creator's held money available in one posting
        post(
            idempotency_key=f"bench-release:{user.id}",
            kind="hold_release",
            lines=[
                Line(held_account[user.id], -held[user.id], "USD"),
                Line(available_account[user.id], held[user.id], "USD"),
            ],
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        run = payout_run_create()
        created_s = time.perf_counter() - started
    create_queries, counter.count = counter.count, 0
    ids = list(run.payouts.values_list("id", flat=True))
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        for payout_id in ids:
            payout_send(payout_id=payout_id)
        send_s = time.perf_counter() - started
    paid = Payout.objects.filter(run=run, status="paid").count()
    transfers = len(store.all("transfer"))
    server.shutdown()
    return {
        "payouts": len(ids),
        "paid": paid,
        "transfers": transfers,
        "create_s": created_s,
        "send_s": send_s,
        "create_queries": create_queries,
        "send_queries": counter.count,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--creators", type=int, default=10_000)
    parser.add_argument("--payouts", type=int, default=10_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/ledger.py measures PostgreSQL: set DATABASE_URL to a scratch database.")
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    users = seed(args.entries, args.creators)
    print(
        f"seeded {args.entries:,} entries for {args.creators:,} creators in "
        f"{time.perf_counter() - started:.1f} s"
    )
    q = bench_queries(users)
    print(f"entries in the ledger: {q['entries']:,}")
    print(f"creator balance (grouped SUM, index):  {q['balance_ms']:8.2f} ms median")
    print(
        f"creator balance (naive, Python sum):  {q['balance_naive_ms']:8.0f} ms"
        f"   ratio {q['balance_naive_ms'] / q['balance_ms']:,.0f}x"
    )
    print(f"trial balance (GROUP BY):              {q['trial_ms']:8.0f} ms median")
    print(
        f"trial balance (naive, Python sum):     {q['trial_naive_ms']:8.0f} ms"
        f"   ratio {q['trial_naive_ms'] / q['trial_ms']:,.1f}x"
    )
    p = bench_payout_run(users, min(args.payouts, args.creators))
    n = max(1, p["payouts"])
    print(
        f"payout run: {p['payouts']:,} payouts created in {p['create_s']:.1f} s "
        f"({p['payouts'] / p['create_s']:,.0f}/s, {p['create_queries'] / n:.1f} queries each); "
        f"{p['paid']:,} paid with {p['transfers']:,} transfers in {p['send_s']:.1f} s "
        f"({p['paid'] / p['send_s']:,.0f}/s, {p['send_queries'] / n:.1f} queries each, "
        "against the local Stripe server)"
    )


if __name__ == "__main__":
    main()
