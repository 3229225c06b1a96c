"""Who may fetch a work's files, and how they are handed out.

Originals: the creator and staff only, always as an attachment. Renditions: the creator and
staff for now (the catalog opens listed previews to everyone later). Either way the response
names its real Content-Type, forbids sniffing, and runs no script even if opened directly."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpResponseRedirect

from uploads import storage
from uploads.processed import rendition_media_type
from uploads.selectors.works import work_for_viewer

KINDS = ("original", "thumbnail", "preview")


def work_file_response(request, *, work_id: int, kind: str):
    if kind not in KINDS:
        raise Http404("No such file.")
    work = work_for_viewer(work_id=work_id, user=request.user)
    if work is None:
        raise Http404("No such work.")
    field = getattr(work, kind)
    if not field:
        raise Http404("This file is not ready yet.")
    media_type = work.media_type if kind == "original" else rendition_media_type(field.name)
    download_name = None
    if kind == "original":
        extension = field.name.rsplit(".", 1)[-1]
        download_name = f"assent-work-{work.id}.{extension}"
    url = storage.signed_url(field.name, media_type=media_type, download_name=download_name)
    if url:
        return HttpResponseRedirect(url)
    response = FileResponse(
        storage.open_file(field.name),
        content_type=media_type,
        as_attachment=kind == "original",
        filename=download_name or "",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=300"
    return response
