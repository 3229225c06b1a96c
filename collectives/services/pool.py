"""Members put works into the collective's pool, with consent naming the collective and the
published formula, and take them out after the notice period."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from collectives.models import Assignment, Collective
from collectives.services.membership import open_membership
from config.errors import ApplicationError
from licensing.consent import ConsentContext
from uploads.models import Work, WorkStatus

POOLABLE_STATUSES = (WorkStatus.PENDING_REVIEW, WorkStatus.LISTED)


def published_formula(collective: Collective) -> str:
    """How a sale of a pooled work is split, shown before consent. The collective takes no
    share: its power is the floors and strikes its members vote, not a cut."""
    fee = settings.PLATFORM_FEE_BPS / 100
    return (
        f"Each sale of a pooled work is split as any sale on Assent: Assent keeps {fee:g}% of "
        f"the work's price; you, its creator, receive the other {100 - fee:g}%, held "
        f"{settings.EARNINGS_HOLD_DAYS} days and then paid to your Stripe account. "
        f"{collective.name} takes no share of it. What the collective changes is the floor "
        "under your price and whom your works are sold to, as its members vote."
    )


def assignment_text(*, collective: Collective, works) -> str:
    titles = ", ".join(f"“{w.title}”" for w in works[:20])
    more = f" and {len(works) - 20} more" if len(works) > 20 else ""
    return (
        f"I put {titles}{more} into the pool of the collective {collective.name}. While they "
        "are pooled, my offers on them may not go below the floors its members vote, offers "
        "below a raised floor stop being sold until I change them, and the collective may "
        "withhold them from one buyer team or one use by vote. Taking a work out, or leaving, "
        f"takes effect {collective.leave_notice_days} days after I ask; licenses already sold "
        "run to their end.\n\n" + published_formula(collective)
    )


def works_assign(
    *,
    collective: Collective,
    user,
    work_ids: list[int],
    consent: bool,
    context: ConsentContext,
) -> list[Assignment]:
    """Pool the member's works. Nothing is pooled without explicit consent; a work already in
    a pool (this one or another) is refused with the reason."""
    if open_membership(collective=collective, user=user) is None:
        raise ApplicationError(
            "Join the collective before putting works into its pool.",
            code="not_member",
            status=403,
        )
    if consent is not True:
        raise ApplicationError(
            "Nothing is pooled without your explicit consent: confirm the text.",
            code="consent_required",
            fields={"consent": ["Must be true."]},
        )
    ids = sorted({i for i in work_ids if isinstance(i, int) and not isinstance(i, bool)})
    works = list(
        Work.objects.filter(owner=user, id__in=ids, status__in=POOLABLE_STATUSES).order_by("id")
    )
    if not works or len(works) != len(ids):
        raise ApplicationError(
            "Choose works of yours that are listed or waiting for review.",
            code="invalid",
            fields={"work_ids": ["Only your listed works."]},
        )
    text = assignment_text(collective=collective, works=works)
    digest = hashlib.sha256(text.encode()).hexdigest()
    try:
        with transaction.atomic():
            return [
                Assignment.objects.create(
                    collective=collective,
                    work=work,
                    member=user,
                    consent_text=text,
                    consent_text_hash=digest,
                    ip_address=context.ip_address,
                    user_agent=context.user_agent,
                )
                for work in works
            ]
    except IntegrityError as exc:
        raise ApplicationError(
            "One of these works is in a collective's pool already; take it out first.",
            code="already_pooled",
            status=409,
        ) from exc


def work_unassign(*, collective: Collective, user, work_id: int) -> Assignment:
    """Take a work out of the pool after the notice period (asking twice changes nothing)."""
    assignment = (
        Assignment.objects.filter(collective=collective, member=user, work_id=work_id)
        .order_by("-assigned_at")
        .first()
    )
    if assignment is None:
        raise ApplicationError("That work is not in this pool.", code="not_found", status=404)
    if assignment.end_requested_at is None:
        now = timezone.now()
        assignment.end_requested_at = now
        assignment.ends_at = now + timedelta(days=collective.leave_notice_days)
        assignment.save(update_fields=["end_requested_at", "ends_at"])
    return assignment
