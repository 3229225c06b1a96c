"""Reads for payout runs."""

from __future__ import annotations

from django.db.models import Count, Q

from payouts.models import PayoutRun, PayoutStatus


def recent_payout_runs(limit: int = 5):
    counts = {
        f"n_{status}": Count("payouts", filter=Q(payouts__status=status))
        for status in PayoutStatus.values
    }
    return (
        PayoutRun.objects.select_related("started_by")
        .annotate(n_all=Count("payouts"), **counts)
        .order_by("-scheduled_for")[:limit]
    )


def pending_payout_ids(*, run) -> list[int]:
    return list(
        run.payouts.filter(status=PayoutStatus.PENDING).order_by("id").values_list("id", flat=True)
    )
