"""Public pages, no sign-in: each license's transparency page (and its ODRL policy), and the
verification page that checks an image or a hash against the works on Assent."""

from __future__ import annotations

import json
import math

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from config.errors import ApplicationError
from licensing import documents

from .apis import verify_throttle_wait, visitor_upload
from .selectors import license_grant_for_policy, public_license
from .verification import PDQ_MIN_QUALITY, verification_query_parse, verification_run


@require_GET
def license_page(request, grant_uuid):
    license_ = public_license(grant_uuid=grant_uuid)
    if license_ is None:
        raise Http404("No such license.")
    return render(request, "transparency/license.html", {"license": license_})


@require_GET
def license_odrl(request, grant_uuid):
    """The license as an ODRL policy (JSON-LD), its `delete` duty dated where terms require it.
    Works the public page does not show are named by item number, never by their uuid."""
    grant, hidden = license_grant_for_policy(grant_uuid=grant_uuid)
    if grant is None:
        raise Http404("No such license.")
    public_url = request.build_absolute_uri(reverse("transparency:license", args=[grant.uuid]))
    base_url = request.build_absolute_uri("/").rstrip("/")

    def work_ref(work_uuid) -> str:
        number = hidden.get(str(work_uuid))
        return f"{public_url}#item-{number}" if number else f"urn:uuid:{work_uuid}"

    policy = documents.odrl_policy(grant, base_url=base_url, work_ref=work_ref)
    text = json.dumps(policy, indent=2)
    response = HttpResponse(text, content_type="application/ld+json")
    response["Access-Control-Allow-Origin"] = "*"  # public data, meant to be read by programs
    return response


@require_http_methods(["GET", "POST"])
def verify_page(request):
    context = {"pdq_min_quality": PDQ_MIN_QUALITY, "max_mb": settings.UPLOAD_MAX_BYTES // 2**20}
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
        query = verification_query_parse(upload=upload, pdq=pdq, sha256=sha256)
        result = verification_run(query)
    except ApplicationError as exc:
        context.update(error=exc, hash_kind=request.POST.get("hash_kind", "pdq"))
        context["hash"] = request.POST.get("hash", "")[:200]
        return render(request, "transparency/verify.html", context, status=400)
    finally:
        if upload is not None:
            upload.close()
    context["result"] = result
    return render(request, "transparency/verify.html", context)
