"""A creator's earnings page and its CSV export."""

from __future__ import annotations

import csv
from dataclasses import replace

from django.conf import settings
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.permissions import creator_required
from common.money import format_major
from payouts.registry import sales_describe, work_titles
from payouts.selectors.connect import AccountStatus, payout_account_state
from payouts.selectors.earnings import (
    creator_balances_all,
    creator_ledger_lines,
    creator_payouts,
    creator_transactions,
    earnings_events,
    fee_percent,
    ledger_line,
)
from payouts.selectors.freezes import creator_freezes
from payouts.selectors.releases import held_releases

LINES_PER_PAGE = 25


PAYOUTS_PER_PAGE = 10


@creator_required
def earnings(request):
    creator = request.user
    lines_page = Paginator(creator_transactions(creator=creator), LINES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    events = [event for journal in lines_page.object_list for event in earnings_events(journal)]
    titles = work_titles((w for e in events for _, w in e.items), owner=creator)
    sales = sales_describe(ref for e in events for ref, _ in e.items)
    events = [
        replace(
            e,
            works={w: titles[w] for _, w in e.items if w in titles},
            sales={ref: sales[ref] for ref, _ in e.items if ref in sales},
        )
        for e in events
    ]
    payouts_page = Paginator(creator_payouts(creator=creator), PAYOUTS_PER_PAGE).get_page(
        request.GET.get("payouts_page")
    )
    context = {
        "balances": creator_balances_all(creator=creator),
        "releases": held_releases(creator=creator),
        "state": payout_account_state(creator=creator),
        "statuses": AccountStatus,
        "freezes": creator_freezes(creator=creator),
        "payouts_page": payouts_page,
        "lines_page": lines_page,
        "events": events,
        "fee_percent": fee_percent(),
        "hold_days": settings.EARNINGS_HOLD_DAYS,
        "payout_minimum": settings.PAYOUT_MINIMUM,
    }
    return render(request, "payouts/earnings.html", context)


class _Echo:
    def write(self, value):
        return value


def _cell(value) -> str:
    """A text cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _chunks(iterable, size: int):
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _csv_row(entry, sale) -> list:
    line = ledger_line(entry)
    return [
        timezone.localtime(line.at).isoformat(timespec="seconds"),
        entry.transaction_id,
        _cell(line.label),
        _cell(line.account),
        format_major(line.amount, line.currency),
        line.amount,
        line.currency,
        _cell(line.item_ref),
        line.work_id or "",
        _cell(sale.work_title if sale else ""),
        _cell(line.reference),
        _cell(sale.buyer if sale else ""),
        _cell(sale.license_ref if sale else ""),
        _cell(sale.terms if sale else ""),
    ]


@creator_required
def earnings_csv(request):
    """Every entry on the creator's accounts, newest first; amounts as the creator reads them
    (positive is money to them), in minor units and in the currency's major unit."""
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(
            [
                "date",
                "transaction",
                "what",
                "account",
                "amount",
                "amount_minor",
                "currency",
                "item",
                "work_id",
                "work",
                "reference",
                "buyer",
                "license",
                "terms",
            ]
        )
        entries = creator_ledger_lines(creator=request.user).iterator(chunk_size=2000)
        for chunk in _chunks(entries, 2000):
            sales = sales_describe(e.item_ref for e in chunk)
            for entry in chunk:
                yield writer.writerow(_csv_row(entry, sales.get(entry.item_ref)))

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="assent-earnings-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response
