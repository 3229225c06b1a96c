from django import forms

from config.input_fields import CanonicalChoiceFormField
from uploads.models import AiInvolvement


class WorkEditForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=5000
    )
    tags = forms.CharField(required=False, help_text="Comma-separated, e.g. watercolour, birds")


class WorkUploadDefaultsForm(forms.Form):
    """The declarations the uploader applies to every file dropped in one go."""

    ai_involvement = CanonicalChoiceFormField(
        choices=AiInvolvement.choices, widget=forms.RadioSelect, label="AI involvement"
    )
    rights_holder = forms.CharField(
        required=False,
        max_length=200,
        label="Rights holder, if not you",
        help_text="Leave empty when you hold the copyright yourself.",
    )
    rights_confirmed = forms.BooleanField(
        label="I hold the rights to these works, or act for the rights holder named above."
    )
    tags = forms.CharField(required=False, help_text="Comma-separated; added to every file.")


class ReviewRejectForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="The creator sees this."
    )
