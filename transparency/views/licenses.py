"""Each license's public transparency page and its ODRL policy."""

from __future__ import annotations

import json

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from licensing import documents
from transparency.selectors.licenses import license_grant_for_policy, public_license


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
