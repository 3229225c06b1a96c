"""Demand insight benchmark: the creator's demand page (/studio/demand/) and its API with 1,000,
10,000 and 100,000 demand events from 200 teams, p50 and p95 server time and the queries per
request, against a naive baseline measured in the same run at each size: the window's events
loaded into Python and aggregated there (the same figures, checked equal).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/assent_bench_insight \\
        .venv/bin/python bench/demand_insight.py [--sizes 1000,10000,100000] [--repeat 30]

The database must be a scratch one: the script creates it if missing, migrates it, and empties
the insight tables. Requests go through Django's test client in this process (warm: each is
requested before it is timed), so the figures are server time without the network. It prints
its figures and exits 0; it is a report, not a test."""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/assent_bench_insight")
os.environ["DEBUG"] = "false"  # no query log, no debug templates: what production runs
os.environ["API_THROTTLE_USER"] = "1000000/minute"  # the bench is one very busy creator
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

connection.settings_dict["CONN_MAX_AGE"] = 600  # persistent, as production runs
if connection.vendor == "postgresql":
    # One backend per request, so its CPU time can be read.
    connection.settings_dict.setdefault("OPTIONS", {})["options"] = (
        "-c max_parallel_workers_per_gather=0"
    )

from bench.vocabulary import TAGS  # noqa: E402

USES = [
    "ai-train-generative",
    "ai-fine-tune",
    "ai-train-nongenerative",
    "ai-evaluate",
    "ai-input",
]
KINDS = ["search"] * 60 + ["quote"] * 15 + ["request"] * 5 + ["sale"] * 20
PAGE, API = "/studio/demand/", "/api/v1/insight/demand/"


def ensure_database() -> None:
    """Create the scratch PostgreSQL database named in DATABASE_URL if it does not exist."""
    if connection.vendor != "postgresql":
        return
    import psycopg

    settings = connection.settings_dict
    admin = psycopg.connect(
        dbname="postgres",
        user=settings["USER"],
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        password=settings["PASSWORD"] or None,
        autocommit=True,
    )
    with admin:
        name = settings["NAME"]
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


def seed_people(teams: int):
    """The teams that ask, and one creator with 30 listed works on offer (for the page's
    "your prices" section)."""
    from accounts.models import CreatorProfile, Organization, User
    from licensing.models import Offer
    from licensing.terms import LicenseTerms, uses_mask
    from uploads.models import Work

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM insight_demandfacet")
        cursor.execute("DELETE FROM insight_demandevent")
    Organization.objects.filter(slug__startswith="bench-insight-").delete()
    orgs = Organization.objects.bulk_create(
        Organization(name=f"Bench team {i}", slug=f"bench-insight-{i}") for i in range(teams)
    )
    creator = User.objects.filter(email="bench-insight-creator@example.com").first()
    if creator is None:
        creator = User.objects.create_user("bench-insight-creator@example.com", role="creator")
        CreatorProfile.objects.create(user=creator, display_name="Bench Studio")
        rng = random.Random(7)
        works = Work.objects.bulk_create(
            Work(
                owner=creator,
                declared_by=creator,
                rights_holder="Bench",
                ai_involvement="none",
                title=f"Bench work {i}",
                tags=rng.sample(TAGS[:20], 3),
                original=f"originals/bench-insight/{i}.jpg",
                media_type="image/jpeg",
                byte_size=2_000_000,
                width=2048,
                height=1536,
                sha256=f"{i:064x}",
                status="listed",
            )
            for i in range(30)
        )
        terms = LicenseTerms(frozenset(USES[:2]), True, 24, "destroy-models")
        Offer.objects.bulk_create(
            Offer(
                work=w,
                uses=sorted(terms.uses),
                uses_mask=uses_mask(terms.uses),
                commercial=True,
                term_months=24,
                on_expiry="destroy-models",
                terms_hash=terms.hash,
                price_amount=rng.randint(300, 3000),
                currency="USD",
            )
            for w in works
        )
    return orgs, creator


def add_events(orgs, count: int, start: int, rng: random.Random) -> None:
    """`count` more events, spread over the last 120 days (about three quarters inside the
    90-day window), written by the recording service itself in bulk."""
    from insight.services.recording import DemandSpec, demand_events_record

    now = timezone.now()
    weights = [1 / (i + 1) for i in range(len(TAGS))]  # a few tags are asked for much more
    for chunk in range(start, start + count, 10_000):
        specs = []
        for i in range(chunk, min(chunk + 10_000, start + count)):
            kind = rng.choice(KINDS)
            uses = tuple(
                sorted(set(rng.choices(USES, weights=[6, 3, 2, 2, 1], k=rng.randint(1, 2))))
            )
            tag_only = kind == "search" and rng.random() < 0.2
            price = int(rng.lognormvariate(6.9, 0.5))  # about $10 a work
            specs.append(
                DemandSpec(
                    kind=kind,
                    team_id=rng.choice(orgs).id,
                    dedupe_key=f"bench:{i}",
                    uses=() if tag_only else uses,
                    commercial=None if tag_only else rng.random() < 0.7,
                    term_months=None if tag_only else rng.choice([6, 12, 12, 24, 36, 60]),
                    tags=tuple(set(rng.choices(TAGS, weights=weights, k=rng.randint(1, 4)))),
                    currency="EUR" if rng.random() < 0.05 else "USD",
                    price_amount=None if kind == "search" and rng.random() < 0.6 else price,
                    work_count=rng.randint(1, 200) if kind in ("quote", "request") else 1,
                    created_at=now - timedelta(seconds=rng.randint(0, 120 * 86400)),
                )
            )
        demand_events_record(specs=specs, batch_size=5000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ("insight_demandevent", "insight_demandfacet"):
                cursor.execute(f"VACUUM ANALYZE {table}")


def naive_demand_overview(*, now=None, tag_limit=None):
    """What a first implementation would do: load every event of the window with its uses
    and tags, and count, group and take medians in Python (the same rules, the same result)."""
    from insight.models import DemandEvent
    from insight.selectors.demand import (
        KIND_FIELDS,
        MIN_TEAMS,
        TAG_LIMIT,
        WINDOW_DAYS,
        DemandOverview,
        DemandRow,
        PriceFigure,
    )

    now = now or timezone.now()
    since = now - timedelta(days=WINDOW_DAYS)
    groups = defaultdict(
        lambda: {
            "teams": set(),
            "terms_teams": set(),
            "stated": 0,
            "commercial": 0,
            "months": [],
            "kinds": defaultdict(lambda: [0, set()]),
            "prices": defaultdict(lambda: ([], set())),
        }
    )
    events = DemandEvent.objects.filter(created_at__gte=since).values_list(
        "kind", "team_id", "uses", "commercial", "term_months", "tags", "currency", "price_amount"
    )
    for kind, team, uses, commercial, months, tags, currency, price in events.iterator(5000):
        for facet, values in (("use", uses), ("tag", tags)):
            for value in values:
                g = groups[(facet, value)]
                g["teams"].add(team)
                if commercial is not None:
                    g["terms_teams"].add(team)
                    g["stated"] += 1
                    g["commercial"] += commercial
                if months is not None:
                    g["months"].append(months)
                g["kinds"][kind][0] += 1
                g["kinds"][kind][1].add(team)
                if price is not None and kind != "quote":
                    basis = "paid" if kind == "sale" else "asked"
                    g["prices"][(basis, currency)][0].append(price)
                    g["prices"][(basis, currency)][1].add(team)
    rows = {"use": [], "tag": []}
    for (facet, value), g in groups.items():
        if len(g["teams"]) < MIN_TEAMS:
            continue
        row = DemandRow(facet, value, len(g["teams"]))
        if len(g["terms_teams"]) >= MIN_TEAMS:
            row.commercial_share = g["commercial"] / g["stated"]
            row.median_term_months = statistics.median(g["months"])
        for kind, (n, teams) in g["kinds"].items():
            if len(teams) >= MIN_TEAMS:
                setattr(row, KIND_FIELDS[kind], n)
        for (basis, currency), (prices, teams) in sorted(
            g["prices"].items(), key=lambda p: p[0][1]
        ):
            if len(teams) >= MIN_TEAMS:
                figure = PriceFigure(currency, round(statistics.median(prices)), len(prices))
                (row.paid if basis == "paid" else row.asked).append(figure)
        rows[facet].append(row)
    for facet in rows:
        rows[facet].sort(key=lambda r: (-r.teams, r.value))
    limit = tag_limit or TAG_LIMIT
    uses, tags = rows["use"][:5], rows["tag"][:limit]
    return DemandOverview(since, WINDOW_DAYS, MIN_TEAMS, uses, tags, computed_at=now)


def use_snapshot(fn) -> None:
    """What the page and API read their figures from."""
    from insight.apis import demand as api_module
    from insight.views import demand as view_module

    api_module.demand_snapshot = fn
    view_module.demand_snapshot = fn


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def cpu_ns(pid) -> int:
    """Nanoseconds a process has run on a CPU (/proc/<pid>/schedstat, Linux)."""
    with open(f"/proc/{pid}/schedstat") as fh:
        return int(fh.read().split()[0])


def timed(call, repeat: int) -> dict:
    """Wall and CPU time of `call()` (this process plus its PostgreSQL backend; SQLite runs in
    this process), p50 and p95 over `repeat` runs after two warm ones, and its queries."""
    for _ in range(2):
        call()
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        call()
    queries = len(captured)
    backend = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]

    def cpu() -> int:
        return cpu_ns("self") + (cpu_ns(backend) if backend else 0)

    walls, cpus = [], []
    for _ in range(repeat):
        cpu_started, started = cpu(), time.perf_counter()
        call()
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((cpu() - cpu_started) / 1e6)
    return {
        "p50": statistics.median(walls),
        "p95": percentile(walls, 0.95),
        "cpu_p50": statistics.median(cpus),
        "cpu_p95": percentile(cpus, 0.95),
        "queries": queries,
    }


def get(client: Client, url: str):
    def call():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    return call


def cells(r: dict) -> str:
    return (
        f"{r['p50']:8.1f} {r['p95']:7.1f} {r['cpu_p50']:8.1f} {r['cpu_p95']:7.1f} {r['queries']:3d}"
    )


def measure_size(client: Client, repeat: int, baseline_repeat: int) -> dict:
    """Optimized: the page and API reading the snapshot, and the aggregation itself (what the
    beat task, or a page finding no snapshot, pays). Naive: each page and API call aggregating
    the window's events in Python, and that aggregation alone."""
    from insight.selectors.demand import demand_overview, demand_snapshot

    demand_snapshot(refresh=True)
    fast = {
        "page": timed(get(client, PAGE), repeat),
        "api": timed(get(client, API), repeat),
        "aggregate": timed(demand_overview, repeat),
    }
    use_snapshot(lambda **kw: naive_demand_overview())
    try:
        slow = {
            "page": timed(get(client, PAGE), baseline_repeat),
            "api": timed(get(client, API), baseline_repeat),
            "aggregate": timed(naive_demand_overview, baseline_repeat),
        }
    finally:
        use_snapshot(demand_snapshot)
    return {kind: (fast[kind], slow[kind]) for kind in fast}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--baseline-repeat", type=int, default=10)
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    ensure_database()
    call_command("migrate", verbosity=0)
    from insight.models import DemandEvent
    from insight.selectors.demand import WINDOW_DAYS, demand_overview

    orgs, creator = seed_people(args.teams)
    client = Client(HTTP_HOST="localhost")
    client.force_login(creator)
    rng = random.Random(20261)
    print(f"database: {connection.vendor}; {args.teams} teams; events over the last 120 days")
    header = f"{'wall p50':>8} {'p95':>7} {'cpu p50':>8} {'p95':>7} {'q':>3}"
    print(f"\n{'':29}{'optimized':^37}   {'naive (events into Python)':^37}")
    print(f"{'events':>8} {'in window':>9} {'':9} {header}   {header}   {'cpu p95 ratio':>13}")
    done, load_before = 0, os.getloadavg()[0]
    for size in sizes:
        started = time.perf_counter()
        add_events(orgs, size - done, done, rng)
        done = size
        seeded = time.perf_counter() - started
        now = timezone.now()
        in_window = DemandEvent.objects.filter(
            created_at__gte=now - timedelta(days=WINDOW_DAYS)
        ).count()
        figures = demand_overview(now=now)
        assert naive_demand_overview(now=now) == figures, "the two ways disagree"
        for i, (kind, (fast, slow)) in enumerate(
            measure_size(client, args.repeat, args.baseline_repeat).items()
        ):
            label = f"{size:>8,} {in_window:>9,}" if i == 0 else f"{'':8} {'':9}"
            ratio = slow["cpu_p95"] / fast["cpu_p95"]
            print(f"{label} {kind:9} {cells(fast)}   {cells(slow)}   {ratio:12.1f}x")
        print(
            f"{'':19}(seeded in {seeded:.1f} s; {len(figures.uses)} uses and "
            f"{len(figures.tags)} tags shown, the same figures both ways)"
        )
    print(
        f"\n1-min load average: {load_before:.2f} before, {os.getloadavg()[0]:.2f} after "
        f"({os.cpu_count()} CPUs); wall time includes waiting for a CPU, CPU time does not."
    )


if __name__ == "__main__":
    main()
