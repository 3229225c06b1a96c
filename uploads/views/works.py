"""A creator's works: the list, the uploader, one work's page, delete, retry, the original file."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from accounts.permissions import creator_required
from config.errors import ApplicationError
from config.input_fields import canonical_choice
from uploads.file_access import work_file_response
from uploads.forms import WorkEditForm, WorkUploadDefaultsForm
from uploads.media import ACCEPT_ATTRIBUTE
from uploads.metadata.display import metadata_sections, source_type_name
from uploads.models import WorkStatus
from uploads.registry import work_card_sections, work_page_sections
from uploads.selectors.works import status_counts, work_for_viewer, work_history, works_for_owner
from uploads.services.processing import work_retry
from uploads.services.works import work_delete, work_update

PAGE_SIZE = 24


@creator_required
def work_list(request):
    status = canonical_choice(request.GET.get("status") or "", WorkStatus.values) or ""
    q = request.GET.get("q") or ""
    works = works_for_owner(owner=request.user, status=status, q=q)
    page = Paginator(works, PAGE_SIZE).get_page(request.GET.get("page"))
    works = list(page.object_list)
    context = {
        "page": page,
        "works": works,
        "cards": _cards(request, works),
        "status": status,
        "q": q,
        "statuses": WorkStatus.choices,
        "counts": status_counts(owner=request.user),
    }
    return render(request, "uploads/work_list.html", context)


def _cards(request, works: list) -> list[tuple[object, list[str]]]:
    """Each work with the lines other apps add to its card (licensing: on sale, price). Each
    section reads for the whole page at once; it renders from its own escaping templates."""
    by_section = [section(request, works) for section in work_card_sections]
    return [
        (work, [mark_safe(lines.get(work.id, "")) for lines in by_section])  # noqa: S308
        for work in works
    ]


@creator_required
def work_upload(request):
    context = {
        "form": WorkUploadDefaultsForm(),
        "upload_max_mb": settings.UPLOAD_MAX_BYTES // (1024 * 1024),
        "upload_min_px": settings.UPLOAD_MIN_DIMENSION,
        # What the file picker offers; the server still decides from each file's bytes.
        "accept": ACCEPT_ATTRIBUTE,
        "audio_max_minutes": settings.AUDIO_MAX_SECONDS // 60,
        "text_max_mb": settings.TEXT_MAX_BYTES // (1024 * 1024),
    }
    return render(request, "uploads/work_upload.html", context)


def _own_work_or_404(request, work_id: int):
    work = work_for_viewer(work_id=work_id, user=request.user)
    if work is None or work.owner_id != request.user.id:
        raise Http404("No such work.")
    return work


@creator_required
def work_detail(request, work_id: int):
    work = _own_work_or_404(request, work_id)
    if request.method == "POST":
        form = WorkEditForm(request.POST)
        if form.is_valid():
            try:
                work_update(work=work, **form.cleaned_data)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "Saved.")
                return redirect("uploads:work_detail", work_id=work.id)
    else:
        form = WorkEditForm(
            initial={
                "title": work.title,
                "description": work.description,
                "tags": ", ".join(work.tags),
            }
        )

    context = {
        "work": work,
        "form": form,
        "history": work_history(work=work, viewer=request.user),
        # Read for people: dates written out, JSON as key: value lines, codes as words.
        "metadata_sections": metadata_sections(work.metadata),
        "source_type": source_type_name(work.digital_source_type),
        # Rendered by the apps that registered them (licensing's offers panel, later more);
        # each returns HTML from its own templates, which escape their content.
        "sections": [mark_safe(section(request, work)) for section in work_page_sections],  # noqa: S308
    }
    return render(request, "uploads/work_detail.html", context)


@creator_required
@require_POST
def work_delete_view(request, work_id: int):
    work = _own_work_or_404(request, work_id)
    title = work.title
    try:
        work_delete(work=work)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("uploads:work_detail", work_id=work_id)
    messages.success(request, f"“{title}” was deleted, with its files.")
    return redirect("uploads:work_list")


@creator_required
@require_POST
def work_retry_view(request, work_id: int):
    try:
        work_retry(work=_own_work_or_404(request, work_id), actor=request.user)
        messages.info(request, "Processing again. This page updates when it is done.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("uploads:work_detail", work_id=work_id)


def work_file(request, work_id: int, kind: str):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return work_file_response(request, work_id=work_id, kind=kind)
