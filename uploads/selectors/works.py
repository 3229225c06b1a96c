"""Reads for works: a creator's works, one work for a viewer, counts by status, a work's
history as its creator reads it."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from accounts.selectors.users import is_system_actor
from uploads.models import Work, WorkStatus, WorkStatusChange

# Status changes no person made: processing (and its failure) are the intake's, the rest
# (listed, held or rejected on screening) the screening's.
PROCESSING_STEPS = {WorkStatus.PROCESSING, WorkStatus.FAILED}


def works_for_owner(*, owner, status: str | None = None, q: str | None = None) -> QuerySet[Work]:
    works = Work.objects.filter(owner=owner)
    if status in WorkStatus.values:
        works = works.filter(status=status)
    if q:
        q = q.strip()[:100]
        works = works.filter(
            Q(title__icontains=q) | Q(description__icontains=q) | Q(tags__icontains=q)
        )
    return works


def work_for_viewer(*, work_id: int, user) -> Work | None:
    """The work if this user may see it: its creator, or staff."""
    if not user.is_authenticated:
        return None
    works = Work.objects.select_related("owner")
    if not user.is_staff:
        works = works.filter(owner=user)
    return works.filter(id=work_id).first()


def status_counts(*, owner) -> dict[str, int]:
    rows = Work.objects.filter(owner=owner).values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def work_ids_for_owner(*, owner) -> QuerySet:
    """The ids of the owner's works, as a lazy query (a filter on it runs as a subquery)."""
    return Work.objects.filter(owner=owner).values_list("id", flat=True)


def work_titles(*, work_ids, owner=None) -> dict[int, str]:
    """{id: title} of those of the works that exist (and are the owner's, when one is given)."""
    ids = {i for i in work_ids if i}
    if not ids:
        return {}
    works = Work.objects.filter(id__in=ids)
    if owner is not None:
        works = works.filter(owner=owner)
    return dict(works.values_list("id", "title"))


def status_change_by(change: WorkStatusChange, *, viewer) -> str:
    """Who made a status change, as the work's creator may read it: never a staff member's or
    a claimant's address, and an automatic one never as a person."""
    actor = change.actor
    if actor is None:
        if change.from_status in PROCESSING_STEPS or change.to_status in PROCESSING_STEPS:
            return "Automatic"
        return "Automatic screening"
    if is_system_actor(actor):
        return "Automatic"
    if viewer is not None and actor.id == viewer.id:
        return "You"
    if actor.is_staff:
        return "Assent staff"
    return "A rights claim"  # the only others who move someone's work are claimants


def work_history(*, work: Work, viewer) -> list[WorkStatusChange]:
    """The work's status changes, oldest first, each with `by` (status_change_by)."""
    changes = list(work.status_changes.select_related("actor"))
    for change in changes:
        change.by = status_change_by(change, viewer=viewer)
    return changes
