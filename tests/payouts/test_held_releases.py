"""When held money becomes available: per release day on the earnings page and in the API,
derived from each sale's date and the hold period; no date, and why, when a freeze or an open
dispute holds it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from django.utils.dateformat import format as date_format

from payouts.selectors.releases import DISPUTED, FROZEN, ON_DATE, held_releases
from payouts.services.events import (
    dispute_opened_post,
    dispute_won_post,
    hold_release,
    split_amount,
)
from payouts.services.freezes import freeze_create
from tests.payouts.factories import sell, sell_on

pytestmark = pytest.mark.django_db


def share(amount: int) -> int:
    return split_amount(amount)[0]


@pytest.fixture
def hold_days(settings):
    settings.EARNINGS_HOLD_DAYS = 14
    return 14


def test_held_money_is_grouped_by_the_day_its_hold_ends(creator, hold_days):
    first_day = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    sell_on(first_day, creator, 2500)
    sell_on(first_day + timedelta(hours=3), creator, 1000)
    sell_on(datetime(2026, 12, 3, 16, 0, tzinfo=UTC), creator, 4000)
    released = sell_on(datetime(2026, 11, 1, tzinfo=UTC), creator, 900)
    hold_release(item_ref=released)

    releases = held_releases(creator=creator, now=datetime(2026, 12, 5, tzinfo=UTC))

    assert [(r.available_on.isoformat(), r.amount, r.items, r.waits_for) for r in releases] == [
        ("2026-12-15", share(2500) + share(1000), 2, ON_DATE),
        ("2026-12-17", share(4000), 1, ON_DATE),
    ]


def test_a_hold_ending_late_in_the_day_is_released_by_the_next_run(creator, hold_days):
    # The release runs at minute 5 of each hour: a hold ending at 23:30 is released after
    # midnight, so the money is available the next day.
    sell_on(datetime(2026, 12, 1, 23, 30, tzinfo=UTC), creator, 2500)
    (release,) = held_releases(creator=creator, now=datetime(2026, 12, 2, tzinfo=UTC))
    assert release.available_on.isoformat() == "2026-12-16"


def test_held_money_past_its_hold_is_available_at_the_next_run(creator, hold_days):
    # Still held past its hold (a dispute won late held it again): the next run releases it.
    sell_on(datetime(2026, 10, 1, tzinfo=UTC), creator, 2500)
    (release,) = held_releases(creator=creator, now=datetime(2026, 12, 2, 10, 0, tzinfo=UTC))
    assert release.available_on.isoformat() == "2026-12-02"


def test_a_frozen_work_gives_no_date_but_the_reason(creator, staff, hold_days):
    sell_on(datetime(2026, 12, 1, tzinfo=UTC), creator, 2500, work_id=41)
    sell_on(datetime(2026, 12, 1, tzinfo=UTC), creator, 1000, work_id=42)
    freeze_create(actor=staff, work_id=41, reason="Rights claim 7A21 under review.")

    releases = held_releases(creator=creator, now=datetime(2026, 12, 2, tzinfo=UTC))

    dated, frozen = releases
    assert (dated.waits_for, dated.amount) == (ON_DATE, share(1000))
    assert (frozen.waits_for, frozen.available_on, frozen.amount) == (FROZEN, None, share(2500))
    assert "Rights claim 7A21 under review." in frozen.explanation


def test_a_frozen_creator_has_no_dates_at_all(creator, staff, hold_days):
    sell(creator, 2500, work_id=41)
    sell(creator, 1000)
    freeze_create(actor=staff, creator=creator, reason="Account banned: stolen works.")
    (release,) = held_releases(creator=creator)
    assert (release.waits_for, release.amount, release.items) == (
        FROZEN,
        share(2500) + share(1000),
        2,
    )


def test_an_open_dispute_says_so_and_a_won_one_has_its_date_again(creator, hold_days):
    item = sell_on(datetime(2026, 12, 1, tzinfo=UTC), creator, 2500)
    dispute_opened_post(dispute_ref="du_1", item_ref=item)
    now = datetime(2026, 12, 2, tzinfo=UTC)

    (disputed,) = held_releases(creator=creator, now=now)
    assert (disputed.waits_for, disputed.amount, disputed.available_on) == (
        DISPUTED,
        share(2500),
        None,
    )

    dispute_won_post(dispute_ref="du_1", item_ref=item)
    (release,) = held_releases(creator=creator, now=now)
    assert (release.waits_for, release.available_on.isoformat()) == (ON_DATE, "2026-12-15")


def test_the_earnings_page_says_when_each_days_money_becomes_available(
    client, creator, staff, hold_days
):
    # Sold at noon, so the day a hold ends does not depend on the hour the test runs.
    now = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    sell_on(now - timedelta(days=2), creator, 2500)
    sell_on(now - timedelta(days=2), creator, 1000)
    sell_on(now - timedelta(days=6), creator, 4000)
    sell_on(now - timedelta(days=1), creator, 500, work_id=9)
    freeze_create(actor=staff, work_id=9, reason="Rights claim 7A21 under review.")
    client.force_login(creator)

    html = client.get("/studio/earnings/").content.decode()

    def day(days_ahead: int) -> str:
        return date_format(timezone.localdate(now + timedelta(days=days_ahead)), "j F Y")

    soon, later = f"{day(14 - 6)}</time>", f"{day(14 - 2)}</time>"
    assert "When held money becomes available" in html
    assert "$32.00</span> available on" in html and soon in html
    assert "$28.00</span> available on" in html and later in html
    assert html.index(soon) < html.index(later)
    assert "$4.00</span> held, no date yet" in html
    assert "On hold until our staff lift it: Rights claim 7A21 under review." in html


def test_the_page_has_no_schedule_when_nothing_is_held(client, creator):
    client.force_login(creator)
    assert (
        "When held money becomes available" not in client.get("/studio/earnings/").content.decode()
    )


def test_the_api_lists_the_release_days(api_client, creator, staff, hold_days):
    now = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    sell_on(now - timedelta(days=3), creator, 2500)
    sell_on(now - timedelta(days=1), creator, 500, work_id=9)
    freeze_create(actor=staff, work_id=9, reason="Held while we look.")
    api_client.force_authenticate(creator)

    body = api_client.get("/api/v1/earnings/").json()

    assert body["held_releases"] == [
        {
            "currency": "USD",
            "amount": share(2500),
            "amount_display": "$20.00",
            "items": 1,
            "available_on": timezone.localdate(now + timedelta(days=11)).isoformat(),
            "waits_for": "date",
            "explanation": "",
        },
        {
            "currency": "USD",
            "amount": share(500),
            "amount_display": "$4.00",
            "items": 1,
            "available_on": None,
            "waits_for": "frozen",
            "explanation": "On hold until our staff lift it: Held while we look.",
        },
    ]
