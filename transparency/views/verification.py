"""The public verification page: check an image, an audio clip, a passage of text or a hash
against the works on Assent."""

from __future__ import annotations

import math

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from config.errors import ApplicationError
from transparency.apis.verification import verify_throttle_wait, visitor_upload
from transparency.verification import (
    CLIP_MAX_SECONDS,
    CLIP_MIN_SECONDS,
    PDQ_MIN_QUALITY,
    TEXT_MAX_CHARS,
    TEXT_MIN_WORDS,
    verification_query_parse,
    verification_run,
)
from uploads.media import ACCEPT_ATTRIBUTE

# The file picker offers pictures and recordings; a text is pasted into the box instead.
FILE_ACCEPT = ",".join(
    t for t in ACCEPT_ATTRIBUTE.split(",") if t.startswith(("image/", "audio/")) or t == ".opus"
)


@require_http_methods(["GET", "POST"])
def verify_page(request):
    context = {
        "pdq_min_quality": PDQ_MIN_QUALITY,
        "max_mb": settings.UPLOAD_MAX_BYTES // 2**20,
        "file_accept": FILE_ACCEPT,
        "clip_min_seconds": CLIP_MIN_SECONDS,
        "clip_max_minutes": CLIP_MAX_SECONDS // 60,
        "text_max_chars": TEXT_MAX_CHARS,
        "text_min_words": TEXT_MIN_WORDS,
    }
    if request.method == "GET":
        return render(request, "transparency/verify.html", context)
    wait = verify_throttle_wait(request)
    if wait is not None:
        context["error"] = ApplicationError(
            f"Too many checks from your address. Try again in {math.ceil(wait)} seconds.",
            code="throttled",
        )
        return render(request, "transparency/verify.html", context, status=429)
    upload = None
    try:
        too_large = getattr(request, "upload_too_large", False)
        upload = visitor_upload(request.FILES, too_large=too_large)
        hash_text = request.POST.get("hash", "").strip()
        pdq = sha256 = None
        if hash_text:  # one field for both: the page says which kind it is by a choice
            if request.POST.get("hash_kind") == "sha256":
                sha256 = hash_text
            else:
                pdq = hash_text
        text = request.POST.get("text")
        # Shown again in the box, so a passage a word short can be finished, not retyped.
        context["text"] = (text or "")[: TEXT_MAX_CHARS + 1000]
        query = verification_query_parse(upload=upload, text=text, pdq=pdq, sha256=sha256)
        result = verification_run(query)
    except ApplicationError as exc:
        context.update(error=exc, hash_kind=request.POST.get("hash_kind", "pdq"))
        context["hash"] = request.POST.get("hash", "")[:200]
        return render(request, "transparency/verify.html", context, status=exc.status)
    finally:
        if upload is not None:
            upload.close()
    context["result"] = result
    return render(request, "transparency/verify.html", context)
