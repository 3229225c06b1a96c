"""Status changes always go with a history row; this is the one place that moves a status, and
it saves the work's status itself, so no other app writes a Work."""

from __future__ import annotations

from uploads.models import Work, WorkStatusChange


def work_status_set(*, work: Work, status: str, reason: str = "", actor=None) -> Work:
    previous = work.status
    work.status = status
    if reason or status in ("rejected", "failed", "pending_review", "listed"):
        work.status_reason = reason
    work.save(update_fields=["status", "status_reason", "updated_at"])
    WorkStatusChange.objects.create(
        work=work, from_status=previous, to_status=status, reason=reason, actor=actor
    )
    return work
