"""Pages: a creator's earnings and Stripe Connect onboarding; the staff ledger, trial balance,
freezes and payout runs. Writes go through services; these views only route."""

from __future__ import annotations

import csv
from dataclasses import replace

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Role, User
from accounts.permissions import creator_required, staff_required
from common.money import (
    format_major,
    format_money,
    is_supported,
    normalise_currency,
    to_minor_units,
    unsupported_currency,
)
from config.errors import ApplicationError
from config.input_fields import BIGINT_MAX

from .connect import payout_account_onboarding_link, payout_account_refresh
from .models import Freeze, PayoutAccount
from .registry import sales_describe, work_titles
from .selectors import (
    AccountStatus,
    creator_balances_all,
    creator_freezes,
    creator_ledger_lines,
    creator_payouts,
    creator_transactions,
    earnings_events,
    fee_percent,
    freezes_for_staff,
    journal_transactions,
    ledger_line,
    payout_account_state,
    pending_payout_ids,
    recent_payout_runs,
    team_credits_outstanding,
    transaction_kinds,
    transaction_label,
    trial_balances,
)

LINES_PER_PAGE = 25
PAYOUTS_PER_PAGE = 10
TRANSACTIONS_PER_PAGE = 20


# --- a creator's earnings ---------------------------------------------------------------------


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


def _onboarding_redirect(request):
    try:
        url = payout_account_onboarding_link(
            creator=request.user,
            refresh_url=request.build_absolute_uri(reverse("payouts:connect_refresh")),
            return_url=request.build_absolute_uri(reverse("payouts:connect_return")),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("payouts:earnings")
    return redirect(url)


@creator_required
@require_POST
def earnings_connect(request):
    """Create the Express account if needed and send the creator to Stripe's onboarding."""
    return _onboarding_redirect(request)


@creator_required
def earnings_connect_refresh(request):
    """Stripe sends the creator here when their link was used or expired: a new link."""
    if not PayoutAccount.objects.filter(creator=request.user).exists():
        return redirect("payouts:earnings")
    return _onboarding_redirect(request)


@creator_required
def earnings_connect_return(request):
    """Back from Stripe, finished or not: read the account from Stripe (webhooks can lag)."""
    payout_account = PayoutAccount.objects.filter(creator=request.user).first()
    if payout_account is None:
        return redirect("payouts:earnings")
    try:
        payout_account = payout_account_refresh(payout_account=payout_account)
    except ApplicationError as exc:
        messages.warning(
            request, f"{exc.message} Your payout status below may be a few minutes old."
        )
        return redirect("payouts:earnings")
    state = payout_account_state(payout_account=payout_account)
    if state.status == AccountStatus.ENABLED:
        messages.success(request, "Your Stripe account is connected. Payouts are enabled.")
    elif state.status == AccountStatus.VERIFYING:
        messages.info(request, "Thanks. Stripe is verifying your details; we show it here.")
    elif state.status == AccountStatus.INCOMPLETE:
        messages.warning(
            request, "Stripe setup is not finished yet. Continue whenever you are ready."
        )
    else:
        messages.warning(request, state.explanation)
    return redirect("payouts:earnings")


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


# --- staff ------------------------------------------------------------------------------------


class FreezeForm(forms.Form):
    creator_email = forms.EmailField(label="Creator's email", required=False)
    work_id = forms.IntegerField(label="Work id", required=False, min_value=1, max_value=BIGINT_MAX)
    reason = forms.CharField(
        label="Reason",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The creator sees this on their earnings page.",
    )

    def clean(self):
        data = super().clean()
        email, work_id = data.get("creator_email"), data.get("work_id")
        if not email and not work_id:
            raise forms.ValidationError("Give a creator's email, a work id, or both.")
        if email:
            creator = User.objects.filter(email__iexact=email, role=Role.CREATOR).first()
            if creator is None:
                self.add_error("creator_email", "No creator has this email.")
            data["creator"] = creator
        if work_id and work_id not in work_titles([work_id]):
            self.add_error("work_id", f"There is no work #{work_id}.")
        return data


class TeamCreditPaymentForm(forms.Form):
    """A payment of a team's credit made off-platform, recorded by staff."""

    organization_id = forms.IntegerField(
        widget=forms.HiddenInput, min_value=1, max_value=BIGINT_MAX
    )
    currency = forms.CharField(widget=forms.HiddenInput, max_length=3)
    amount = forms.CharField(label="Amount paid", max_length=20)
    reference = forms.CharField(
        label="Payment reference",
        max_length=100,
        help_text="The bank transfer's or refund's own id: recording it twice changes nothing.",
    )
    note = forms.CharField(label="Note", max_length=300, required=False)

    def clean(self):
        data = super().clean()
        # The currency is a hidden field: its error is the form's, where the page shows it.
        currency = normalise_currency(data.get("currency"))
        if not is_supported(currency):
            self.add_error(None, unsupported_currency(currency))
            return data
        data["currency"] = currency
        if data.get("amount") is not None:
            try:
                data["amount_minor"] = to_minor_units(data["amount"], currency)
            except ValueError as exc:
                self.add_error("amount", str(exc))
        return data


def _staff_ledger_context(request, freeze_form=None, credit_form=None) -> dict:
    creator_email = (request.GET.get("creator") or "").strip()
    kind = (request.GET.get("kind") or "").strip()
    page = Paginator(
        journal_transactions(creator_email=creator_email, kind=kind), TRANSACTIONS_PER_PAGE
    ).get_page(request.GET.get("page"))
    active, lifted = freezes_for_staff()
    kinds = transaction_kinds()
    return {
        "page": page,
        "transactions": page.object_list,
        "creator_email": creator_email,
        "kind": kind,
        "kinds": [(k, transaction_label(k)) for k in kinds],
        "trial_balances": trial_balances(),
        "freezes": active,
        "lifted_freezes": lifted,
        "freeze_form": freeze_form or FreezeForm(),
        "team_credits": [
            {
                **row,
                "amount_major": format_major(row["amount"], row["currency"]),
                # The row whose payment came back with an error: shows it, and what was typed.
                "posted": credit_form is not None
                and (str(row["organization_id"]), row["currency"])
                == (credit_form.data.get("organization_id"), credit_form.data.get("currency")),
            }
            for row in team_credits_outstanding()
        ],
        "credit_form": credit_form,
        "runs": recent_payout_runs(),
        "payout_minimum": settings.PAYOUT_MINIMUM,
    }


@staff_required
def staff_ledger(request):
    return render(request, "payouts/staff_ledger.html", _staff_ledger_context(request))


@staff_required
@require_POST
def staff_team_credit_pay(request):
    from accounts.models import Organization

    from .services import team_credit_pay_out

    form = TeamCreditPaymentForm(request.POST)
    if form.is_valid():
        organization = Organization.objects.filter(id=form.cleaned_data["organization_id"]).first()
        if organization is None:
            form.add_error(None, "No such team.")
        else:
            try:
                _, created = team_credit_pay_out(
                    organization=organization,
                    currency=form.cleaned_data["currency"],
                    amount=form.cleaned_data["amount_minor"],
                    reference=form.cleaned_data["reference"],
                    note=form.cleaned_data["note"],
                    actor=request.user,
                )
            except ApplicationError as exc:
                for field, errors in exc.fields.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
                if not exc.fields:
                    form.add_error(None, exc.message)
            else:
                amount = format_money(
                    form.cleaned_data["amount_minor"], form.cleaned_data["currency"]
                )
                if created:
                    messages.success(
                        request, f"Recorded: {amount} of credit paid to {organization.name}."
                    )
                else:
                    messages.info(request, "That payment was already recorded; nothing changed.")
                return redirect(reverse("payouts:staff_ledger") + "#team-credit")
    context = _staff_ledger_context(request, credit_form=form)
    return render(request, "payouts/staff_ledger.html", context, status=400)


@staff_required
@require_POST
def staff_freeze_create(request):
    from .services import freeze_create

    form = FreezeForm(request.POST)
    if form.is_valid():
        try:
            freeze = freeze_create(
                actor=request.user,
                reason=form.cleaned_data["reason"],
                creator=form.cleaned_data.get("creator"),
                work_id=form.cleaned_data.get("work_id"),
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Frozen: {_freeze_target(freeze)}.")
            return redirect(reverse("payouts:staff_ledger") + "#freezes")
    context = _staff_ledger_context(request, freeze_form=form)
    return render(request, "payouts/staff_ledger.html", context, status=400)


def _freeze_target(freeze: Freeze) -> str:
    parts = []
    if freeze.creator_id:
        parts.append(f"earnings of {freeze.creator.email}")
    if freeze.work_id:
        parts.append(f"earnings of work #{freeze.work_id}")
    return " and ".join(parts)


@staff_required
@require_POST
def staff_freeze_lift(request, freeze_id: int):
    from .services import freeze_lift

    freeze = get_object_or_404(Freeze.objects.select_related("creator"), id=freeze_id)
    try:
        freeze_lift(freeze=freeze, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Lifted the freeze on {_freeze_target(freeze)}.")
    return redirect(reverse("payouts:staff_ledger") + "#freezes")


@staff_required
@require_POST
def staff_payout_run(request):
    """Today's payout run, now: payout rows (and their ledger postings) are made here; each
    transfer is sent by a worker, queued once those rows are committed."""
    from .services import payout_run_create, payout_send_enqueue

    try:
        run = payout_run_create(started_by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("payouts:staff_ledger") + "#payouts")
    pending = pending_payout_ids(run=run)
    day = f"{run.scheduled_for:%-d %b %Y}"

    def enqueue():
        failed = payout_send_enqueue(payout_ids=pending)
        if failed:  # e.g. the broker is down: pressing again re-queues today's
            messages.error(
                request,
                f"{len(failed)} of {len(pending)} payout(s) could not be queued for sending; "
                "they stay pending. Press “Run payouts now” again to queue them.",
            )

    transaction.on_commit(enqueue)
    if pending:
        messages.success(request, f"Payout run for {day}: {len(pending)} payout(s) queued.")
    else:
        messages.info(
            request,
            f"Payout run for {day}: nothing to send. No creator with payouts enabled has an "
            "available balance at or above the minimum.",
        )
    return redirect(reverse("payouts:staff_ledger") + "#payouts")
