"""Moderation forms: staff decisions and reasons, creators' answers, rights claims."""

from __future__ import annotations

from django import forms

from config.input_fields import CanonicalChoiceFormField, parse_id
from moderation.models import DecisionAction
from moderation.services.claims import MAX_LINKS

REASON_WIDGET = forms.Textarea(attrs={"rows": 2, "class": "form-control"})


class DecisionForm(forms.Form):
    action = CanonicalChoiceFormField(
        choices=[(DecisionAction.APPROVE, "Approve"), (DecisionAction.REJECT, "Reject")]
    )
    reason = forms.CharField(max_length=2000, widget=REASON_WIDGET)


class BulkDecisionForm(DecisionForm):
    case_ids = forms.TypedMultipleChoiceField(coerce=int, choices=[], required=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any id is accepted here; the service says which do not exist or are decided.
        self.fields["case_ids"].valid_value = lambda value: parse_id(value) is not None


class CloseForm(forms.Form):
    """A case about a team (destruction overdue) is closed with the reason."""

    action = forms.ChoiceField(choices=[(DecisionAction.CLOSE, "Close")])
    reason = forms.CharField(max_length=2000, widget=REASON_WIDGET)


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=2000, widget=REASON_WIDGET)


class AnswerForm(forms.Form):
    text = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))


class ClaimForm(forms.Form):
    claimant_name = forms.CharField(label="Your full name", max_length=200)
    claimant_email = forms.EmailField(label="Your email", help_text="We write to you here.")
    identity = forms.CharField(
        label="Who you are",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Your relation to the work: the artist, their agent, the copyright holder…",
    )
    evidence = forms.CharField(
        label="Your evidence",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Why the work is yours: where and when you first published it, originals you hold.",
    )
    links = forms.CharField(
        label="Links",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"Up to {MAX_LINKS} web addresses (one per line) to your original or proof.",
    )
    sworn = forms.BooleanField(
        label="I swear that this statement is true and that I own, or act for the owner of, "
        "the rights in this work.",
        required=False,  # the service refuses it unsworn, with the same message as the API
    )


class ClaimReasonForm(forms.Form):
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
