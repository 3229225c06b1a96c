"""Staff decisions on review cases, one at a time or a flood at once, and the creator's one
answer to a held case. Each decision is logged (services/audit.py) in the transaction that
carries out its effects."""

from __future__ import annotations

import uuid
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from accounts.services.notifications import notify
from config.errors import ApplicationError
from licensing.selectors.offers import live_licenses_for_work
from marketplace.models import Order, OrderItem
from marketplace.services.refunds import order_refund
from moderation.models import CaseKind, CaseStatus, DecisionAction, ReviewCase
from moderation.services.audit import decision_record
from moderation.services.bans import account_is_banned
from uploads.services.works import work_review_decide

ACTIONS = (DecisionAction.APPROVE, DecisionAction.REJECT)
# A case about a team (destruction overdue) has no work to list or reject: staff follow it up
# and close it; the team's restriction lifts only when it attests (licensing decides that).
TEAM_ACTIONS = (DecisionAction.CLOSE,)
ANSWER_MAX = 5000


def _check_action(*, actor, action: str, reason: str, allowed=ACTIONS) -> None:
    if not getattr(actor, "is_staff", False):
        raise ApplicationError("Only staff decide.", code="not_staff", status=403)
    if action not in allowed:
        if allowed == TEAM_ACTIONS:
            raise ApplicationError(
                "A case about a team is closed, with the reason.",
                code="invalid",
                fields={"action": ["Choose close."]},
            )
        raise ApplicationError(
            "Approve or reject.", code="invalid", fields={"action": ["Choose approve or reject."]}
        )
    if not (reason or "").strip():
        raise ApplicationError(
            "Say why: every decision is logged with its reason.",
            code="reason_required",
            fields={"reason": ["Required."]},
        )


def _refuse_if_decided(case: ReviewCase) -> None:
    if case.status != CaseStatus.OPEN:
        raise ApplicationError(
            f"Case {case.id} was already decided.",
            code="case_decided",
            status=409,
            extra={"case_ids": [case.id]},
        )
    if case.kind == CaseKind.CLAIM:
        raise ApplicationError(
            "Rights claims are upheld or dismissed on the claim's page.",
            code="claim_case",
            status=409,
        )


def _decide_locked(*, case: ReviewCase, actor, action: str, reason: str, batch=None) -> None:
    """Carry out one decision on a locked, open case (inside the caller's transaction)."""

    reason = reason.strip()
    approve = action == DecisionAction.APPROVE
    if case.kind == CaseKind.SCREENING:
        if approve and account_is_banned(user_id=case.work.owner_id):
            raise ApplicationError(
                "The account is banned: lift the ban before approving its works.",
                code="account_banned",
                status=409,
            )
        # The work's status moves through uploads' own review service (staff only, the
        # history row, the reason the creator reads).
        work_review_decide(work=case.work, approve=approve, reason=reason, actor=actor)
        case.work.refresh_from_db()
    case.status = CaseStatus.DECIDED
    case.decided_at = timezone.now()
    case.save(update_fields=["status", "decided_at"])
    decision_record(actor=actor, action=action, reason=reason, case=case, batch=batch)
    if case.kind == CaseKind.SCREENING:
        _tell_creator(case=case, approve=approve, reason=reason)


def _tell_creator(*, case: ReviewCase, approve: bool, reason: str) -> None:
    work = case.work
    if approve:
        subject, body = f"“{work.title}” was approved", "Staff reviewed it; it can now be licensed."
    else:
        subject = f"“{work.title}” was rejected"
        body = f"Staff reviewed it and rejected it: {reason}"
    notify(
        user=work.owner,
        subject=subject,
        body=body,
        url=f"/studio/works/{work.id}/",
        dedupe_key=f"case:{case.id}:decided",
    )


def case_decide(*, case: ReviewCase, actor, action: str, reason: str) -> ReviewCase:
    """Approve (the work is listed) or reject (the creator reads the reason) a held work's
    case. A banned account's licensed work (kind banned_account): approve lets the licensees
    keep their licenses to the end of their term, reject refunds and revokes each running
    item first (licensees_refund). A team's destruction-overdue case is closed (action
    `close`). Deciding a decided case is refused (409)."""
    allowed = TEAM_ACTIONS if case.kind == CaseKind.DESTRUCTION_OVERDUE else ACTIONS
    _check_action(actor=actor, action=action, reason=reason, allowed=allowed)
    if case.kind == CaseKind.BANNED_ACCOUNT and action == DecisionAction.REJECT:
        # Stripe is called outside the case's transaction; a failure leaves the case open
        # and a retry refunds only what is still running.
        _refuse_if_decided(case)
        licensees_refund(work=case.work, actor=actor, reason=reason)
    with transaction.atomic():
        locked = (
            ReviewCase.objects.select_for_update(of=("self",))  # work is null on team cases
            .select_related("work__owner")
            .get(id=case.id)
        )
        _refuse_if_decided(locked)
        _decide_locked(case=locked, actor=actor, action=action, reason=reason)
    return locked


def cases_decide_bulk(*, case_ids, actor, action: str, reason: str) -> uuid.UUID:
    """Decide many screening cases the same way (a flood): all of them or none, under one batch
    id in the log. Returns the batch id."""
    _check_action(actor=actor, action=action, reason=reason)
    ids = sorted({int(i) for i in case_ids})
    if not ids:
        raise ApplicationError(
            "Choose at least one case.", code="invalid", fields={"case_ids": ["Required."]}
        )
    batch = uuid.uuid4()
    with transaction.atomic():
        cases = list(
            ReviewCase.objects.select_for_update(of=("self",))
            .select_related("work__owner")
            .filter(id__in=ids)
            .order_by("id")
        )
        missing = sorted(set(ids) - {c.id for c in cases})
        if missing:
            raise ApplicationError(
                f"No such cases: {missing}.",
                code="not_found",
                status=404,
                extra={"case_ids": missing},
            )
        decided = [c.id for c in cases if c.status != CaseStatus.OPEN]
        if decided:
            raise ApplicationError(
                f"Already decided: {decided}. Nothing was changed.",
                code="case_decided",
                status=409,
                extra={"case_ids": decided},
            )
        if any(c.kind != CaseKind.SCREENING for c in cases):
            raise ApplicationError(
                "Only held uploads are decided in bulk; open the others.",
                code="not_bulk",
                status=409,
            )
        for case in cases:
            _decide_locked(case=case, actor=actor, action=action, reason=reason, batch=batch)
    return batch


def licensees_refund(*, work, actor, reason: str) -> int:
    """Refund and revoke each still-running license item on this work, order by order through
    the marketplace's refund (Stripe, ledger, revocation, notices). Returns how many."""

    item_ids = [
        int(item.item_ref.split(":", 1)[1])
        for item in live_licenses_for_work(work=work)
        if item.item_ref.startswith("order_item:")
    ]
    by_order: dict[int, list[int]] = defaultdict(list)
    for item_id, order_id in OrderItem.objects.filter(
        id__in=item_ids, refunded_at__isnull=True
    ).values_list("id", "order_id"):
        by_order[order_id].append(item_id)
    for order in Order.objects.filter(id__in=by_order).order_by("id"):
        order_refund(
            order=order,
            actor=actor,
            item_ids=by_order[order.id],
            reason=f"The work was removed from Assent: {reason.strip()}",
        )
    return sum(len(v) for v in by_order.values())


def case_answer(*, case: ReviewCase, creator, text: str) -> ReviewCase:
    """The work's owner answers a held case, once, while it is open; staff read it on the
    case page."""
    text = (text or "").strip()
    if not text:
        raise ApplicationError("Write your answer.", code="invalid", fields={"text": ["Required."]})
    if len(text) > ANSWER_MAX:
        raise ApplicationError(
            f"Keep it under {ANSWER_MAX} characters.",
            code="invalid",
            fields={"text": ["Too long."]},
        )
    with transaction.atomic():
        locked = (
            ReviewCase.objects.select_for_update(of=("self",))
            .select_related("work")
            .get(id=case.id)
        )
        if locked.work.owner_id != getattr(creator, "id", None):
            raise ApplicationError("Only the work's creator answers.", code="not_owner", status=403)
        if locked.status != CaseStatus.OPEN:
            raise ApplicationError("This review is closed.", code="case_decided", status=409)
        if locked.answered_at is not None:
            raise ApplicationError(
                "You have already answered.", code="already_answered", status=409
            )
        if locked.work is None:
            raise ApplicationError("There is no work to answer for.", code="not_owner", status=403)
        locked.creator_answer, locked.answered_at = text, timezone.now()
        locked.save(update_fields=["creator_answer", "answered_at"])
    return locked
