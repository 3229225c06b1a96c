"""The model declaration form: what the team says about its model, and which of its licenses
(whole, or item by item) it trained on. The rules are checked by `model_declare`."""

from __future__ import annotations

from django import forms

from config.input_fields import parse_id

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class _ItemIds(forms.TypedMultipleChoiceField):
    """License item ids. The page lists only some of a large license's works, so any id is
    taken here; `model_declare` refuses ids that are not the team's."""

    def __init__(self, **kwargs):
        super().__init__(coerce=int, **kwargs)

    def valid_value(self, value) -> bool:
        return parse_id(value) is not None


class ModelDeclarationForm(forms.Form):
    name = forms.CharField(max_length=120, label="Model name")
    version = forms.CharField(max_length=60, help_text="A new version is a new declaration.")
    purpose = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the model is for, in a sentence or two. Creators read this.",
    )
    is_commercial = forms.BooleanField(required=False, label="Used commercially")
    is_generative = forms.BooleanField(
        required=False,
        label="Generative model",
        help_text="It produces images, text or audio (not a classifier, embedding or detector).",
    )
    training_started_on = forms.DateField(widget=DATE, label="Training started")
    training_ended_on = forms.DateField(
        widget=DATE, label="Training ended", help_text="Planned end date if it is still running."
    )
    grants = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    items = _ItemIds(required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, licenses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grants"].choices = [(str(g.uuid), str(g.uuid)) for g in licenses]

    def clean(self):
        data = super().clean()
        started, ended = data.get("training_started_on"), data.get("training_ended_on")
        if started and ended and ended < started:
            self.add_error("training_ended_on", "Training cannot end before it started.")
        if not data.get("grants") and not data.get("items"):
            raise forms.ValidationError("Choose whole licenses or single works the model used.")
        return data
