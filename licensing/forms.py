from django import forms

from common.money import DEFAULT_CURRENCY, format_money, to_minor_units
from config.input_fields import (
    CanonicalChoiceFormField,
    CanonicalMultipleChoiceFormField,
    CurrencyFormField,
)

from .money import price_floor
from .terms import PRESETS, USE_LABELS, LicenseTerms, OnExpiry, TermsError, Use

CUSTOM = "custom"


class OfferTermsForm(forms.Form):
    """Preset or custom terms, and a price typed in major units ("12.50")."""

    preset = CanonicalChoiceFormField(
        choices=[(p.key, p.name) for p in PRESETS.values()] + [(CUSTOM, "Custom terms")],
        widget=forms.RadioSelect,
        initial="generative-commercial-3y",
    )
    uses = CanonicalMultipleChoiceFormField(
        choices=[(u.value, USE_LABELS[u].capitalize()) for u in Use],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    commercial = forms.BooleanField(required=False, label="Commercial use allowed")
    term_months = forms.IntegerField(
        min_value=1, max_value=120, required=False, initial=36, label="Term (months)"
    )
    on_expiry = CanonicalChoiceFormField(
        choices=[
            (OnExpiry.DESTROY_MODELS.value, "Models trained on it must be destroyed"),
            (OnExpiry.STOP_TRAINING.value, "Training stops; models may be kept"),
        ],
        required=False,
        initial=OnExpiry.DESTROY_MODELS.value,
        label="At expiry",
    )
    attribution_required = forms.BooleanField(required=False, label="Credit me in model docs")
    price = forms.CharField(max_length=20, label="Price per license", initial="25")
    currency = CurrencyFormField(initial=DEFAULT_CURRENCY)

    def clean(self):
        data = super().clean()
        if data.get("preset") == CUSTOM:
            try:
                data["terms"] = LicenseTerms(
                    uses=frozenset(data.get("uses") or []),
                    commercial=bool(data.get("commercial")),
                    term_months=data.get("term_months") or 0,
                    on_expiry=data.get("on_expiry") or "",
                    attribution_required=bool(data.get("attribution_required")),
                )
            except TermsError as exc:
                self.add_error(exc.field if exc.field in self.fields else None, str(exc))
        elif data.get("preset") in PRESETS:
            data["terms"] = PRESETS[data["preset"]].terms
        if data.get("currency") and data.get("price"):
            try:
                data["price_amount"] = to_minor_units(data["price"], data["currency"])
            except ValueError as exc:
                self.add_error("price", str(exc))
            else:
                floor = price_floor(data["currency"])
                if data["price_amount"] < floor:
                    self.add_error(
                        "price",
                        f"The lowest price is {format_money(floor, data['currency'])} per license.",
                    )
        return data

    @property
    def preset_key(self) -> str:
        key = self.cleaned_data.get("preset", "")
        return "" if key == CUSTOM else key


class BulkSelectionForm(forms.Form):
    works = forms.TypedMultipleChoiceField(coerce=int, choices=[])

    def __init__(self, *args, work_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["works"].choices = list(work_choices)
