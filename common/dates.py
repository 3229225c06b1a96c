"""Dates as people read them in messages: "3 October 2026", "3 October 2026, 17:22". Only the
writing: callers pass the local date or time they mean (Django's timezone.localdate/localtime),
as templates do with `date:"j F Y"`."""

from __future__ import annotations

from datetime import date, datetime

# Not strftime's %B, which follows the process locale: these messages are in English.
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def day_text(value: date) -> str:
    """3 October 2026 (no leading zero on the day; a datetime is written as its day)."""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def moment_text(value: datetime) -> str:
    """3 October 2026, 17:22."""
    return f"{day_text(value)}, {value:%H:%M}"
