"""The destruction attestation form: the facts the owner states and their explicit signature."""

from __future__ import annotations

from django import forms

from .lifecycle.destruction import EVIDENCE_MAX_BYTES, METHOD_MAX


class AttestationForm(forms.Form):
    destroyed_on = forms.DateField(
        label="Destroyed on", widget=forms.DateInput(attrs={"type": "date"})
    )
    method = forms.CharField(
        label="How it was destroyed",
        max_length=METHOD_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Say what was deleted (weights, checkpoints, copies, derived models) and how.",
    )
    evidence = forms.FileField(
        label="Evidence (optional)",
        required=False,
        help_text=f"PDF, PNG, JPEG or plain text, up to {EVIDENCE_MAX_BYTES // 2**20} MB: a "
        "deletion log, a storage provider's confirmation. Kept privately; its SHA-256 goes into "
        "the statement.",
        widget=forms.ClearableFileInput(
            attrs={"accept": "application/pdf,image/png,image/jpeg,text/plain"}
        ),
    )
    confirm = forms.BooleanField(
        label="I sign this statement as an owner of the team; it is kept permanently.",
        required=True,
    )
