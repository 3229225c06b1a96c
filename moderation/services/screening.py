"""Screening: compute a work's signals, judge them with the policy, record the Screening and
apply the outcome (list, hold with a review case, reject). Safe to run again at any time: the
signals are upserted, a judgement equal to the last one is not written twice, and a work staff
have decided on, or one with an open case, never changes status here."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.services.notifications import notify
from moderation.models import (
    AccountBan,
    CaseKind,
    CaseStatus,
    Decision,
    KnownStolenWork,
    Outcome,
    ReviewCase,
    Screening,
)
from moderation.policy import POLICY_VERSION, Judgement, SignalView, screening_judge
from moderation.signals import ScreeningContext, signals_compute, signals_store
from moderation.signals.near import near_matches
from uploads.models import Work, WorkKind, WorkStatus, WorkStatusChange
from uploads.services.history import work_status_set

logger = logging.getLogger(__name__)

SCREENABLE = (WorkStatus.PENDING_REVIEW, WorkStatus.LISTED, WorkStatus.REJECTED, WorkStatus.REMOVED)


def _staff_decided(work: Work) -> bool:
    return (
        Decision.objects.filter(work_id=work.id).exists()
        or WorkStatusChange.objects.filter(work=work, actor__is_staff=True).exists()
    )


def _plain(reasons: list[str]) -> str:
    return " ".join(r if r.endswith(".") else f"{r}." for r in reasons[:3])


def _record(work: Work, judgement: Judgement) -> Screening:
    last = Screening.objects.filter(work=work).first()
    if last and (last.outcome, last.score, last.reasons, last.policy_version) == (
        judgement.outcome,
        judgement.score,
        judgement.reasons,
        POLICY_VERSION,
    ):
        return last  # the same judgement again (a retried task, an unchanged re-screen)
    return Screening.objects.create(
        work=work,
        score=judgement.score,
        outcome=judgement.outcome,
        reasons=judgement.reasons,
        policy_version=POLICY_VERSION,
    )


def _open_case(work: Work, judgement: Judgement) -> ReviewCase:
    reason = _plain(judgement.reasons)[:500] or "Screening asked for a person to look."
    case, created = ReviewCase.objects.get_or_create(
        work=work,
        kind=CaseKind.SCREENING,
        status=CaseStatus.OPEN,
        defaults={"risk_score": judgement.score, "reason": reason},
    )
    if not created and (case.risk_score, case.reason) != (judgement.score, reason):
        case.risk_score, case.reason = judgement.score, reason
        case.save(update_fields=["risk_score", "reason"])
    return case


def _tell_creator(work: Work, outcome: str) -> None:
    words = "is held for review" if outcome == Outcome.HOLD else "was not accepted"
    notify(
        user=work.owner,
        subject=f"“{work.title}” {words}",
        body=work.status_reason,
        url=reverse("uploads:work_detail", args=[work.id]),
        dedupe_key=f"screening:{work.id}:{outcome}",
    )


def _apply(work: Work, judgement: Judgement) -> None:
    """Move the work as the judgement says, where screening may move it at all."""
    has_open_case = ReviewCase.objects.filter(work=work, status=CaseStatus.OPEN).exists()
    decided = _staff_decided(work)
    if judgement.outcome == Outcome.LIST:
        if work.status == WorkStatus.PENDING_REVIEW and not has_open_case and not decided:
            work_status_set(
                work=work,
                status=WorkStatus.LISTED,
                reason="Checked on upload; nothing needed a person to look.",
            )
        return
    if work.status in (WorkStatus.REJECTED, WorkStatus.REMOVED):
        return  # already off sale; the new evidence is on record for staff
    # Staff decided before, or the work is already live: a person decides again, with the case.
    may_reject = work.status == WorkStatus.PENDING_REVIEW and not decided and not has_open_case
    if judgement.outcome == Outcome.REJECT and may_reject:
        work_status_set(
            work=work,
            status=WorkStatus.REJECTED,
            reason=f"Rejected on upload because: {_plain(judgement.reasons)}",
        )
        _tell_creator(work, Outcome.REJECT)
        return
    _open_case(work, judgement)
    if decided:
        return  # staff's status stands until they look again
    reason = (
        f"Held for review because: {_plain(judgement.reasons)} "
        "A member of staff will look at it; you can answer once."
    )
    if work.status == WorkStatus.LISTED or work.status_reason != reason:
        work_status_set(work=work, status=WorkStatus.PENDING_REVIEW, reason=reason)
        _tell_creator(work, Outcome.HOLD)


def _is_processed(work: Work) -> bool:
    # A picture is screened by its PDQ hash. Audio and text are screened once out of processing
    # even without a fingerprint: a missing one is a signal (held), not a reason to skip.
    return work.kind != WorkKind.IMAGE or bool(work.pdq_hash)


def work_screen(*, work_id: int) -> Screening | None:
    """Screen one work. Returns its Screening, or None for a work that is gone or not
    processed yet (processing queues screening itself when it finishes)."""
    work = Work.objects.select_related("owner").filter(id=work_id).first()
    if work is None or work.status not in SCREENABLE or not _is_processed(work):
        return None
    # Signals read other rows (matches, accounts); computed before taking the work's lock.
    findings = signals_compute(context=ScreeningContext(work=work))
    banned = AccountBan.objects.filter(user_id=work.owner_id, lifted_at=None).exists()
    with transaction.atomic():
        locked = Work.objects.select_for_update().select_related("owner").filter(id=work_id).first()
        if locked is None:
            return None
        signals = signals_store(work=locked, findings=findings)
        judgement = screening_judge(
            [SignalView(s.kind, s.weight, s.summary, s.evidence) for s in signals],
            uploader_banned=banned,
        )
        screening = _record(locked, judgement)
        _apply(locked, judgement)
    return screening


def works_rescreen(*, work_ids) -> int:
    """Queue a new screening of each work (after commit), e.g. when a known-stolen entry or a
    ban changes what their signals would say. Returns how many were queued. A broker that is
    down does not fail the staff decision that asked for it (logged; not retried)."""
    # moderation/tasks.py imports this module at its top; importing the task here breaks the cycle.
    from moderation.tasks import queue_screening

    ids = sorted({int(i) for i in work_ids})
    for work_id in ids:
        transaction.on_commit(lambda work_id=work_id: queue_screening(work_id))
    return len(ids)


def known_stolen_rescreen(*, known_stolen_id: int) -> int:
    """Re-screen every work that matches a known-stolen entry (same bytes or near by PDQ)."""
    entry = KnownStolenWork.objects.filter(id=known_stolen_id).first()
    if entry is None:
        return 0
    ids = (
        set(Work.objects.filter(sha256=entry.sha256).values_list("id", flat=True))
        if entry.sha256
        else set()
    )
    if entry.pdq_hash:
        ids |= {m.id for m in near_matches([entry.pdq_hash]) if m.source == "work"}
    return works_rescreen(work_ids=ids)


def works_screen_unscreened(*, older_than_minutes: int = 10, limit: int = 500) -> int:
    """Sweep: works waiting for review that were never screened (the queue was down when they
    finished processing). For a periodic task."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    ids = (
        Work.objects.filter(
            status=WorkStatus.PENDING_REVIEW, screenings__isnull=True, updated_at__lt=cutoff
        )
        .exclude(kind=WorkKind.IMAGE, pdq_hash="")
        .values_list("id", flat=True)[:limit]
    )
    return works_rescreen(work_ids=list(ids))
