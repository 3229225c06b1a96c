"""The decision log: every staff decision is written here, in the same transaction as its
effects, so the log and the state never disagree."""

from __future__ import annotations

import uuid

from config.errors import ApplicationError
from moderation.models import Decision


def decision_reason_required(
    reason: str | None, *, why: str = "every decision is logged with its reason"
) -> str:
    """The reason of a staff decision, stripped; refused when empty: the log must say why."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            f"Say why: {why}.", code="reason_required", fields={"reason": ["Required."]}
        )
    return reason


def staff_actor_required(actor, *, refusal: str = "Only staff decide.") -> None:
    if not getattr(actor, "is_staff", False):
        raise ApplicationError(refusal, code="not_staff", status=403)


def decision_record(
    *,
    actor,
    action: str,
    reason: str,
    case=None,
    work=None,
    account=None,
    batch: uuid.UUID | None = None,
) -> Decision:
    """Append one decision. A decision without a reason is refused: the log must say why."""
    reason = decision_reason_required(reason)
    staff_actor_required(actor)
    return Decision.objects.create(
        actor=actor,
        action=action,
        reason=reason,
        case=case,
        work=work if work is not None else (case.work if case is not None else None),
        account=account,
        batch=batch,
    )
