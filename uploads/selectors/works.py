"""Reads for works: a creator's works, one work for a viewer, counts by status."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from uploads.models import Work, WorkStatus


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
