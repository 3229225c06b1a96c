"""An upload batch's page: each file's progress."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render

from accounts.permissions import creator_required
from uploads.models import UploadBatch
from uploads.selectors.batches import batch_progress


@creator_required
def batch_detail(request, batch_id: int):
    batch = get_object_or_404(UploadBatch, id=batch_id, owner=request.user)
    template = (
        "uploads/_batch_progress.html"
        if request.headers.get("HX-Request")
        else "uploads/batch_detail.html"
    )
    return render(request, template, batch_progress(batch=batch))
