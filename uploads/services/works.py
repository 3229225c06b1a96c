"""Creator edits and deletion, and staff review decisions."""

from __future__ import annotations

from django.db import transaction

from config.errors import ApplicationError
from uploads import storage
from uploads.models import Work, WorkStatus
from uploads.registry import deletion_blocker
from uploads.services.history import work_status_set
from uploads.services.intake import clean_tags


def work_update(
    *, work: Work, title: str | None = None, description: str | None = None, tags=None
) -> Work:
    fields = {}
    if title is not None:
        if not title.strip():
            raise ApplicationError(
                "A work needs a title.",
                code="invalid",
                fields={"title": ["Give the work a title."]},
            )
        work.title = title.strip()[:200]
        fields["title"] = True
    if description is not None:
        work.description = description.strip()[:5000]
        fields["description"] = True
    if tags is not None:
        work.tags = clean_tags(tags)
        fields["tags"] = True
    if fields:
        work.save(update_fields=[*fields, "updated_at"])
    return work


def work_delete(*, work: Work) -> None:
    """Delete a work that was never licensed: its row, then (after commit) its files."""
    reason = deletion_blocker(work)
    if reason:
        raise ApplicationError(reason, code="work_licensed", status=409)
    names = [work.original.name, work.thumbnail.name, work.preview.name]
    with transaction.atomic():
        work.delete()
        transaction.on_commit(lambda: storage.delete_quietly(names))


# Removed works (a ban, an upheld claim) can be approved again by staff, e.g. after an unban.
REVIEWABLE = (
    WorkStatus.PENDING_REVIEW,
    WorkStatus.LISTED,
    WorkStatus.REJECTED,
    WorkStatus.REMOVED,
)


def work_review_decide(*, work: Work, approve: bool, reason: str, actor) -> Work:
    """Staff approve (listed) or reject a reviewed work; a rejection needs a reason."""
    if not getattr(actor, "is_staff", False):
        raise ApplicationError("Only staff review works.", code="not_staff", status=403)
    if work.status not in REVIEWABLE:
        raise ApplicationError("This work is not ready for review.", code="not_reviewable")
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ApplicationError(
            "Say why the work is rejected; the creator sees it.", code="reason_required"
        )
    with transaction.atomic():
        locked = Work.objects.select_for_update().get(id=work.id)
        status = WorkStatus.LISTED if approve else WorkStatus.REJECTED
        work_status_set(work=locked, status=status, reason=reason or "Approved", actor=actor)
    return locked
