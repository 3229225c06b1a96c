"""The decision log: every staff decision is written here, in the same transaction as its
effects, so the log and the state never disagree."""

from __future__ import annotations

import uuid

from config.errors import ApplicationError

from ..models import Decision


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
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            "Say why: every decision is logged with its reason.",
            code="reason_required",
            fields={"reason": ["Required."]},
        )
    if not getattr(actor, "is_staff", False):
        raise ApplicationError("Only staff decide.", code="not_staff", status=403)
    return Decision.objects.create(
        actor=actor,
        action=action,
        reason=reason,
        case=case,
        work=work if work is not None else (case.work if case is not None else None),
        account=account,
        batch=batch,
    )
