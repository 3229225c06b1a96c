"""The destruction attestation page: an owner sees the model, the items that require its
destruction and the deadline, reads the full statement they sign, and signs it; other members
see why they cannot. Writes go through lifecycle.destruction."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.permissions import buyer_required
from accounts.selectors.teams import is_organization_owner
from config.errors import ApplicationError
from licensing.forms import AttestationForm
from licensing.models import ModelDeclaration
from licensing.selectors.declarations import declaration_for_member
from licensing.selectors.status import declaration_state, requires_destruction
from licensing.services.destruction import (
    attestation_statement,
    attestation_verify,
    destruction_attest,
)

# Placeholders the page's script fills in as the owner types; the server signs the real values.
PREVIEW_DATE, PREVIEW_METHOD, PREVIEW_FILE = "⟨date⟩", "⟨method⟩", "⟨file name⟩"


PREVIEW_HASH, PREVIEW_TIME = "⟨computed from the file⟩", "⟨the moment you sign⟩"


def _declaration(request, declaration_uuid) -> ModelDeclaration:
    try:
        return declaration_for_member(user=request.user, declaration_uuid=declaration_uuid)
    except ApplicationError as exc:
        raise Http404(exc.message) from exc


def _previews(declaration, user) -> dict[str, str]:
    common = {
        "declaration": declaration,
        "user": user,
        "destroyed_on": PREVIEW_DATE,
        "method": PREVIEW_METHOD,
        "signed_at": PREVIEW_TIME,
    }
    return {
        "plain": attestation_statement(**common),
        "with_file": attestation_statement(
            **common, evidence_filename=PREVIEW_FILE, evidence_sha256=PREVIEW_HASH
        ),
    }


@buyer_required
def attestation_new(request, declaration_uuid):
    declaration = _declaration(request, declaration_uuid)
    is_owner = is_organization_owner(organization=declaration.organization, user=request.user)
    form = AttestationForm()
    if request.method == "POST":
        if not is_owner:
            messages.error(request, "Only an owner of the team can attest.")
            return redirect("attestations:new", declaration_uuid=declaration.uuid)
        form = AttestationForm(request.POST, request.FILES)
        if getattr(request, "upload_too_large", False):
            form.add_error("evidence", "The evidence file is too large.")
        elif form.is_valid():
            try:
                destruction_attest(
                    declaration=declaration,
                    user=request.user,
                    destroyed_on=form.cleaned_data["destroyed_on"],
                    method=form.cleaned_data["method"],
                    evidence_file=form.cleaned_data.get("evidence"),
                    ip_address=request.META.get("REMOTE_ADDR"),
                    user_agent=request.META.get("HTTP_USER_AGENT", ""),
                )
            except ApplicationError as exc:
                # The service's message is the sentence to show, beside the field it is about.
                fields = [f for f in exc.fields if f in form.fields]
                form.add_error(fields[0] if fields else None, exc.message)
            else:
                messages.success(
                    request,
                    f"Signed: {declaration.name} {declaration.version} is attested destroyed.",
                )
                return redirect("attestations:new", declaration_uuid=declaration.uuid)
    return render(
        request, "licensing/attestations/new.html", _context(request, declaration, is_owner, form)
    )


def _context(request, declaration, is_owner: bool, form) -> dict:
    state = declaration_state(declaration)
    items = list(declaration.items.select_related("grant").order_by("expires_at", "id"))
    attestations = list(declaration.attestations.select_related("attested_by"))
    return {
        "declaration": declaration,
        "state": state,
        "destroy_items": [i for i in items if requires_destruction(i)],
        "other_items": [i for i in items if not requires_destruction(i)],
        "is_owner": is_owner,
        "now": timezone.now(),
        "form": form,
        "previews": _previews(declaration, request.user),
        "attestations": [(a, attestation_verify(a)) for a in attestations],
    }
