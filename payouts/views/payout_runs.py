"""Staff starting a payout run."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.permissions import staff_required
from config.errors import ApplicationError
from payouts.selectors.payout_runs import pending_payout_ids
from payouts.services.payout_runs import payout_run_create, payout_send_enqueue


@staff_required
@require_POST
def staff_payout_run(request):
    """Today's payout run, now: payout rows (and their ledger postings) are made here; each
    transfer is sent by a worker, queued once those rows are committed."""

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
