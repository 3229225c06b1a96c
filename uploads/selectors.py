"""Reads for works."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from . import errors
from .models import UploadBatch, Work, WorkStatus


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


def batch_progress(*, batch: UploadBatch) -> dict:
    works = list(
        batch.works.order_by("id").only(
            "id", "title", "status", "original_filename", "thumbnail", "status_reason"
        )
    )
    # A batch's other lines: files refused, files already uploaded before, files that never
    # reached us. Each is done as soon as it is written.
    lines = list(batch.refusals.order_by("id"))
    duplicates = [line for line in lines if line.code == errors.DUPLICATE]
    refusals = [line for line in lines if line.code != errors.DUPLICATE]
    arrived = len(works) + len(lines)
    done = sum(1 for w in works if w.status != WorkStatus.PROCESSING) + len(lines)
    total = max(batch.expected_files, arrived)
    return {
        "batch": batch,
        "works": works,
        "refusals": refusals,
        "duplicates": duplicates,
        "arrived": arrived,
        "done": done,
        "total": total,
        "percent": int(100 * done / total) if total else 0,
        "finished": total > 0 and done >= total,
    }
