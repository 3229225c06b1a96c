"""Account bans: what a ban does to the account's works, offers, earnings and licensees, and
lifting it. A banned account cannot upload (ban_upload_guard, registered with uploads)."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from accounts.models import Role
from accounts.services.notifications import notify
from config.errors import ApplicationError
from licensing.selectors.offers import live_licenses_for_work
from moderation.models import AccountBan, CaseKind, CaseStatus, DecisionAction, ReviewCase
from moderation.services.audit import (
    decision_reason_required,
    decision_record,
    staff_actor_required,
)
from payouts.selectors.freezes import creator_freezes
from payouts.services.freezes import freeze_create, freeze_lift
from uploads.models import Work, WorkStatus
from uploads.services.history import work_status_set

# What a ban takes off sale: everything that sells or may soon.
DELISTED_STATUSES = (WorkStatus.LISTED, WorkStatus.PENDING_REVIEW)
# The creator-wide freeze a ban makes starts with this, so lifting the ban lifts that freeze
# and no freeze staff made for another reason.
FREEZE_PREFIX = "Account banned"
# Licensees are waiting on these cases: they go to the top of the queue.
LICENSEE_CASE_RISK = 100


def account_is_banned(*, user_id: int) -> bool:
    return AccountBan.objects.filter(user_id=user_id, lifted_at__isnull=True).exists()


def ban_upload_guard(user) -> str | None:
    """uploads.registry.upload_guards: a banned account is refused at the door."""
    if getattr(user, "id", None) and account_is_banned(user_id=user.id):
        return "This account is banned from Assent and cannot upload."
    return None


def _check(*, user, actor, reason: str) -> str:
    staff_actor_required(actor, refusal="Only staff ban accounts.")
    if user.is_staff or user.role == Role.STAFF:
        raise ApplicationError("Staff accounts are not banned here.", code="invalid")
    return decision_reason_required(reason)


def account_ban(*, user, actor, reason: str) -> AccountBan:
    """Ban the account: its listed and held works are removed (the status reason says why), so
    their offers stop selling; its earnings are frozen; each removed work with running licenses
    gets a case (kind banned_account) for staff to decide what happens to the licensees; its
    open screening cases close. One batch id ties the log rows together."""
    reason = _check(user=user, actor=actor, reason=reason)
    batch = uuid.uuid4()
    with transaction.atomic():
        if AccountBan.objects.select_for_update().filter(user=user, lifted_at__isnull=True):
            raise ApplicationError(
                "This account is already banned.", code="already_banned", status=409
            )
        ban = AccountBan.objects.create(user=user, reason=reason, banned_by=actor)
        decision_record(
            actor=actor, action=DecisionAction.BAN, reason=reason, account=user, batch=batch
        )
        works = list(
            Work.objects.select_for_update().filter(owner=user, status__in=DELISTED_STATUSES)
        )
        for work in works:
            work_status_set(
                work=work,
                status=WorkStatus.REMOVED,
                actor=actor,
                reason="Removed: the account was banned.",
            )
        _close_screening_cases(user=user, actor=actor, reason=reason, batch=batch)
        _open_licensee_cases(works=works, reason=reason)
        if user.role == Role.CREATOR:
            freeze_create(actor=actor, creator=user, reason=f"{FREEZE_PREFIX}: {reason}")
        notify(
            user=user,
            subject="Your Assent account was banned",
            body=f"Your works were removed from sale and your earnings are frozen: {reason}",
        )
    return ban


def _close_screening_cases(*, user, actor, reason: str, batch) -> None:
    """Held uploads of a banned account are not reviewed one by one: they are rejected with the
    ban, each in the log."""
    cases = ReviewCase.objects.select_for_update().filter(
        work__owner=user, kind=CaseKind.SCREENING, status=CaseStatus.OPEN
    )
    now = timezone.now()
    for case in cases:
        case.status, case.decided_at = CaseStatus.DECIDED, now
        case.save(update_fields=["status", "decided_at"])
        decision_record(
            actor=actor,
            action=DecisionAction.REJECT,
            case=case,
            batch=batch,
            reason=f"Account banned: {reason}",
        )


def _open_licensee_cases(*, works, reason: str) -> None:
    for work in works:
        items = live_licenses_for_work(work=work)
        if not items:
            continue
        teams = sorted({item.grant.organization.name for item in items})
        ReviewCase.objects.get_or_create(
            work=work,
            kind=CaseKind.BANNED_ACCOUNT,
            status=CaseStatus.OPEN,
            defaults={
                "risk_score": LICENSEE_CASE_RISK,
                "reason": (
                    f"The account was banned ({reason}); {len(items)} running "
                    f"license(s) held by {', '.join(teams)}. Keep them or refund them."
                )[:500],
            },
        )


def account_unban(*, user, actor, reason: str) -> AccountBan:
    """Lift the ban and the freeze the ban made; the account may upload again. The works stay
    removed unless staff approve them again one by one: a ban's removals are not undone in
    bulk. Licensee cases already decided stay decided."""
    reason = _check(user=user, actor=actor, reason=reason)
    with transaction.atomic():
        ban = AccountBan.objects.select_for_update().filter(user=user, lifted_at__isnull=True)
        ban = ban.first()
        if ban is None:
            raise ApplicationError("This account is not banned.", code="not_banned", status=409)
        ban.lifted_at, ban.lifted_by = timezone.now(), actor
        ban.save(update_fields=["lifted_at", "lifted_by"])
        for freeze in _ban_freezes(user):
            freeze_lift(freeze=freeze, actor=actor)
        decision_record(actor=actor, action=DecisionAction.UNBAN, reason=reason, account=user)
    return ban


def _ban_freezes(user) -> list:
    return [
        f
        for f in creator_freezes(creator=user)
        if f.creator_id == user.id and f.work_id is None and f.reason.startswith(FREEZE_PREFIX)
    ]
