"""Catalog benchmark: 100,000 listed works with offers on PostgreSQL, and the server time of the
catalog page and API for several facet combinations (p50 and p95), against an unoptimized
baseline measured in the same run: the same filters with the catalog's indexes dropped and
each work's offers and creator name loaded one work at a time (N+1).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/assent_bench_catalog \\
        .venv/bin/python bench/catalog.py [--works 100000] [--repeat 40] [--baseline-repeat 10]

The database must be a scratch one: the script creates it if missing, migrates it, and empties
the works and offers tables. Requests go through Django's test client in this process (warm:
each combination is requested before it is timed), so the figures are server time without the
network. It prints its figures and exits 0; it is a report, not a test."""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/assent_bench_catalog")
os.environ["DEBUG"] = "false"  # no query log, no debug templates: what production runs
os.environ["API_THROTTLE_ANON"] = "1000000/minute"  # the bench is one very busy visitor
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

# Persistent connections, as production runs (CONN_MAX_AGE in config/settings/production.py):
# without them every request would also pay for a new PostgreSQL connection.
connection.settings_dict["CONN_MAX_AGE"] = 600
# One backend per request, so its CPU time can be read; parallel workers would hide theirs (and
# on a small shared machine they only compete with the other requests).
connection.settings_dict.setdefault("OPTIONS", {})["options"] = (
    "-c max_parallel_workers_per_gather=0"
)

from bench.vocabulary import TAGS  # noqa: E402

ADJECTIVES = [
    "quiet",
    "misty",
    "golden",
    "bright",
    "dark",
    "old",
    "new",
    "small",
    "vast",
    "lonely",
    "busy",
    "calm",
    "wild",
]
SIZES = [
    (640, 480),
    (1024, 768),
    (1280, 1280),
    (1920, 1080),
    (2048, 2048),
    (2400, 1600),
    (3000, 2000),
    (4000, 3000),
    (1200, 1800),
    (6000, 4000),
]
MEDIA = ["image/jpeg"] * 7 + ["image/png"] * 2 + ["image/webp"]
# The four presets' terms plus two custom ones, as (uses, commercial, months, on_expiry).
TERMS = [
    (
        [
            "ai-evaluate",
            "ai-fine-tune",
            "ai-input",
            "ai-train-generative",
            "ai-train-nongenerative",
        ],
        True,
        36,
        "destroy-models",
    ),
    (["ai-evaluate", "ai-train-nongenerative"], False, 60, "stop-training"),
    (["ai-evaluate"], True, 12, "stop-training"),
    (["ai-evaluate", "ai-fine-tune"], True, 24, "destroy-models"),
    (["ai-input"], True, 6, "stop-training"),
    (["ai-evaluate", "ai-train-nongenerative", "ai-train-generative"], False, 24, "stop-training"),
]
COMBINATIONS = [
    ("everything, newest", {}),
    (
        "generative+commercial, 24 months",
        {"use": "ai-train-generative", "commercial": "true", "term_months": "24"},
    ),
    (
        "evaluate, tag, <= $20, cheapest",
        {"use": "ai-evaluate", "tag": "sea", "max_price": "2000", "sort": "price_asc"},
    ),
    ("search 'misty harbour'", {"q": "misty harbour"}),
    (
        "fine-tune, PNG >= 2048 px, largest",
        {
            "use": "ai-fine-tune",
            "media_type": "image/png",
            "min_width": "2048",
            "min_height": "2048",
            "sort": "largest",
        },
    ),
    ("everything, cheapest first", {"sort": "price_asc"}),
    ("one creator, page 3", {"creator": "{creator}", "page": "3"}),
]


def ensure_database() -> None:
    """Create the scratch database named in DATABASE_URL if it does not exist yet."""
    import psycopg

    settings = connection.settings_dict
    name = settings["NAME"]
    admin = psycopg.connect(
        dbname="postgres",
        user=settings["USER"],
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        password=settings["PASSWORD"] or None,
        autocommit=True,
    )
    with admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')


def seed(works: int, creators: int) -> list[int]:
    """Creators with profiles, `works` listed works and a tenth as many not listed, each with one
    to three offers (5% in EUR), written with bulk inserts. Consent records are not written: the
    catalog never reads them (offer_create, which writes them, has its own tests)."""
    from accounts.models import CreatorProfile, User
    from licensing.models import Offer
    from licensing.terms import LicenseTerms
    from licensing.terms import uses_mask as mask_of
    from uploads.models import Work

    rng = random.Random(20260)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE uploads_work, licensing_offer, licensing_consentrecord CASCADE")
    User.objects.filter(email__startswith="bench-catalog-").delete()
    users = User.objects.bulk_create(
        User(email=f"bench-catalog-{i}@example.com", role="creator") for i in range(creators)
    )
    CreatorProfile.objects.bulk_create(
        CreatorProfile(user=u, display_name=f"{rng.choice(ADJECTIVES).title()} Studio {i}")
        for i, u in enumerate(users)
    )
    terms = [(t, LicenseTerms(frozenset(t[0]), t[1], t[2], t[3])) for t in TERMS]
    now = timezone.now()
    total = works + works // 10
    for start in range(0, total, 5000):
        batch = []
        for i in range(start, min(start + 5000, total)):
            owner = users[int(rng.paretovariate(1.2)) % creators]
            width, height = rng.choice(SIZES)
            tags = rng.sample(TAGS[:25], 1) + rng.sample(TAGS, rng.randint(1, 4))
            subject = rng.choice(TAGS)
            batch.append(
                Work(
                    owner=owner,
                    declared_by=owner,
                    rights_holder="Bench",
                    ai_involvement="none",
                    title=f"{rng.choice(ADJECTIVES).title()} {subject} {i}",
                    description=f"A {rng.choice(ADJECTIVES)} {subject} with {rng.choice(TAGS)} "
                    f"and {rng.choice(TAGS)}, {rng.choice(ADJECTIVES)} light.",
                    tags=list(dict.fromkeys(tags)),
                    original=f"originals/bench/{i}.jpg",
                    thumbnail=f"thumbnails/bench/{i}.jpg",
                    preview=f"previews/bench/{i}.jpg",
                    media_type=rng.choice(MEDIA),
                    byte_size=2_000_000,
                    width=width,
                    height=height,
                    sha256=f"{i:064x}",
                    status="listed" if i < works else "pending_review",
                    created_at=now - timedelta(minutes=rng.randint(0, 60 * 24 * 730)),
                )
            )
        with transaction.atomic():
            created = Work.objects.bulk_create(batch)
            offers = []
            for work in created:
                for (uses, commercial, months, expiry), value in rng.sample(
                    terms, rng.randint(1, 3)
                ):
                    offers.append(
                        Offer(
                            work=work,
                            uses=sorted(uses),
                            uses_mask=mask_of(uses),
                            commercial=commercial,
                            term_months=months,
                            on_expiry=expiry,
                            terms_hash=value.hash,
                            price_amount=rng.randint(200, 20_000),
                            currency="EUR" if rng.random() < 0.05 else "USD",
                        )
                    )
            Offer.objects.bulk_create(offers, batch_size=5000)
    with connection.cursor() as cursor:
        # What autovacuum does soon after a bulk load: statistics, and the visibility map that
        # lets index-only scans skip the table.
        for table in ("uploads_work", "licensing_offer", "accounts_creatorprofile"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    return [u.id for u in users]


def naive_catalog_page(query, *, page=1, per_page=24, clamp=True):
    """The unoptimized page, as a first implementation would be: the same filters, an exact
    count, price and relevance computed for every match to sort, and each work's offers and
    its creator's name read one work at a time, as a template walking the relations would."""
    from marketplace.selectors.catalog import CatalogPaginator, catalog_offers, catalog_works

    paginator = CatalogPaginator(catalog_works(query), per_page, count_limit=10**12)
    result = paginator.get_page(page)
    works = list(result.object_list)
    for work in works:
        work.catalog_offers = list(
            catalog_offers(query).filter(work=work).order_by("price_amount", "-created_at")
        )
        profile = getattr(work.owner, "creator_profile", None)  # two queries per work
        work.creator_name = profile.display_name if profile else None
    result.object_list = works
    result.ranked_newest = None  # every match ranked, however many
    return result


def use_catalog_page(fn) -> None:
    from marketplace.apis import catalog as api_module
    from marketplace.views import catalog as view_module

    api_module.catalog_page = fn
    view_module.catalog_page = fn


def set_indexes(present: bool) -> None:
    from importlib import import_module

    migration = import_module("marketplace.migrations.0002_catalog_search")
    with connection.schema_editor() as editor:
        (migration.create_indexes if present else migration.drop_indexes)(None, editor)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE uploads_work")
        cursor.execute("ANALYZE licensing_offer")


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def cpu_ns(pid: int | str) -> int:
    """Nanoseconds a process has run on a CPU (/proc/<pid>/schedstat, Linux)."""
    with open(f"/proc/{pid}/schedstat") as fh:
        return int(fh.read().split()[0])


def measure(client: Client, url: str, repeat: int) -> dict:
    """Wall time per request, and CPU time: this process plus its PostgreSQL backend. On a
    machine shared with other work, wall time includes waiting for a CPU; CPU time is what the
    request costs, i.e. about its wall time on an idle machine (the data is all in memory)."""
    for _ in range(2):  # warm: caches, the plan, the pages in shared buffers
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
    # Each request starts by clearing the query log, so the capture must start from a clear one.
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    queries = len(captured)  # now: the next request clears the log it reads from
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    walls, cpus = [], []
    for _ in range(repeat):
        cpu_started = cpu_ns("self") + cpu_ns(backend)
        started = time.perf_counter()
        response = client.get(url)
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((cpu_ns("self") + cpu_ns(backend) - cpu_started) / 1e6)
    return {
        "p50": statistics.median(walls),
        "p95": percentile(walls, 0.95),
        "cpu_p50": statistics.median(cpus),
        "cpu_p95": percentile(cpus, 0.95),
        "queries": queries,
        "count": _count(url, response.content),
    }


def _count(url: str, content: bytes) -> int | None:
    if urlsplit(url).path.startswith("/api/"):
        import json

        return json.loads(content)["count"]
    return None


def run(combinations, creator_id: int, repeat: int) -> dict:
    client = Client(HTTP_HOST="localhost")
    cache.clear()
    results = {}
    for name, params in combinations:
        params = {k: v.format(creator=creator_id) for k, v in params.items()}
        query = urlencode(params)
        results[name] = {
            "page": measure(client, f"/catalog/?{query}", repeat),
            "api": measure(client, f"/api/v1/catalog/?{query}", repeat),
        }
    return results


def report(optimized: dict, baseline: dict) -> None:
    print()
    print(f"{'':46}{'optimized':^36}   {'baseline (N+1, no indexes)':^36}")
    header = f"{'wall p50':>8} {'p95':>6} {'cpu p50':>8} {'p95':>6} {'q':>4}"
    print(f"{'combination':32} {'matches':>8} {'':4} {header}   {header}   {'p95 ratio':>9}")
    worst_wall = worst_cpu = 0.0
    for name, fast in optimized.items():
        slow = baseline[name]
        for kind in ("page", "api"):
            f, b = fast[kind], slow[kind]
            worst_wall, worst_cpu = max(worst_wall, f["p95"]), max(worst_cpu, f["cpu_p95"])
            label = name if kind == "page" else ""
            count = fast["api"]["count"]
            matches = (
                (f"{count:,}" if count < 1000 else f"{count - 1:,}+") if kind == "page" else ""
            )
            cells = [
                f"{r['p50']:8.1f} {r['p95']:6.1f} {r['cpu_p50']:8.1f} {r['cpu_p95']:6.1f} "
                f"{r['queries']:4d}"
                for r in (f, b)
            ]
            print(
                f"{label:32} {matches:>8} {kind:4} {cells[0]}   {cells[1]}   "
                f"{b['cpu_p95'] / f['cpu_p95']:8.1f}x"
            )
    print(
        f"\ngoal: p95 < 100 ms for every optimized combination: "
        f"{'PASS' if worst_cpu < 100 else 'FAIL'} by CPU time (worst {worst_cpu:.1f} ms), "
        f"{'PASS' if worst_wall < 100 else 'FAIL'} by wall time (worst {worst_wall:.1f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--works", type=int, default=100_000)
    parser.add_argument("--creators", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--baseline-repeat", type=int, default=10)
    parser.add_argument("--reuse", action="store_true", help="keep the seeded rows if present")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/catalog.py measures PostgreSQL: set DATABASE_URL to a scratch database.")
    ensure_database()
    call_command("migrate", verbosity=0)
    from accounts.models import User
    from uploads.models import Work

    started = time.perf_counter()
    if args.reuse and Work.objects.filter(status="listed").count() == args.works:
        print("reusing the seeded works")
    else:
        seed(args.works, args.creators)
        print(f"seeded {args.works:,} listed works in {time.perf_counter() - started:.1f} s")
    from licensing.models import Offer

    print(
        f"works: {Work.objects.count():,} ({Work.objects.filter(status='listed').count():,} "
        f"listed); offers: {Offer.objects.count():,}"
    )
    # A creator with a few pages of works, for the one-creator combination.
    creator_id = (
        User.objects.filter(email__startswith="bench-catalog-", works__status="listed")
        .values("id")
        .annotate(n=django.db.models.Count("works"))
        .filter(n__gte=80)
        .order_by("n")
        .values_list("id", flat=True)
        .first()
    )

    load_before = os.getloadavg()[0]
    set_indexes(True)
    optimized = run(COMBINATIONS, creator_id, args.repeat)
    set_indexes(False)
    from marketplace.selectors.catalog import catalog_page

    use_catalog_page(naive_catalog_page)
    try:
        baseline = run(COMBINATIONS, creator_id, args.baseline_repeat)
    finally:
        use_catalog_page(catalog_page)
        set_indexes(True)
    report(optimized, baseline)
    print(
        f"1-min load average: {load_before:.2f} before, {os.getloadavg()[0]:.2f} after "
        f"({os.cpu_count()} CPUs); wall time includes waiting for a CPU, CPU time does not."
    )


if __name__ == "__main__":
    main()
