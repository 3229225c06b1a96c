"""The offer forms: terms and a price, and the price alone for the live fee and net figures.

The model declaration form: what the team says about its model, and which of its licenses
(whole, or item by item) it trained on. The rules are checked by `model_declare`.

The destruction attestation form: the facts the owner states and their explicit signature."""

from __future__ import annotations

from django import forms

from common.money import DEFAULT_CURRENCY, format_money, to_minor_units
from config.input_fields import (
    CanonicalChoiceFormField,
    CanonicalMultipleChoiceFormField,
    CurrencyFormField,
    parse_id,
)
from licensing.money import MAX_PRICE, NetPerSale, net_per_sale, price_floor
from licensing.pricing import RateNotApplicable, rate_price, rate_unit
from licensing.services.destruction import EVIDENCE_MAX_BYTES, METHOD_MAX
from licensing.terms import PRESETS, USE_LABELS, LicenseTerms, OnExpiry, TermsError, Use

CUSTOM = "custom"


def _clean_price(form: forms.Form, data: dict, work=None) -> None:
    """`price_amount` in minor units from the typed price, not below the floor; the same
    answer on the offer forms and in their live fee and net figures. For an audio or text
    work a typed rate (per minute, per 1,000 words) sets the price instead: `rate_price`
    says how (licensing.pricing), and the offer stores only the price."""
    if not data.get("currency"):
        return
    unit = rate_unit(work) if work is not None else None
    if unit is not None and data.get("rate"):
        _clean_rate(form, data, work)
        return
    if not data.get("price"):
        if unit is not None and "price" not in form.errors:
            form.add_error("price", f"Type a price per license, or a rate {unit.per}.")
        return
    try:
        data["price_amount"] = to_minor_units(data["price"], data["currency"])
    except ValueError as exc:
        form.add_error("price", str(exc))
        return
    floor = price_floor(data["currency"])
    if data["price_amount"] < floor:
        form.add_error(
            "price", f"The lowest price is {format_money(floor, data['currency'])} per license."
        )


def _clean_rate(form: forms.Form, data: dict, work) -> None:
    currency = data["currency"]
    try:
        rate_amount = to_minor_units(data["rate"], currency)
        priced = rate_price(work, rate_amount=rate_amount, currency=currency)
    except (ValueError, RateNotApplicable) as exc:
        form.add_error("rate", str(exc))
        return
    floor = price_floor(currency)
    if priced.price_amount < floor:
        form.add_error(
            "rate",
            f"At this rate the work costs {priced.price_display}; the lowest price is "
            f"{format_money(floor, currency)} per license.",
        )
        return
    if priced.price_amount > MAX_PRICE:
        form.add_error(
            "rate", f"At this rate the work costs {priced.price_display}: check the rate."
        )
        return
    data["price_amount"] = priced.price_amount
    data["rate_price"] = priced


def _offer_rate_field(form: forms.Form, work) -> None:
    """An audio or text work's form asks for a price or a rate: the price is no longer
    required alone, and the rate field is named for the medium."""
    unit = rate_unit(work) if work is not None else None
    if unit is None:
        return
    form.fields["price"].required = False
    form.fields["rate"].label = unit.label


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
    # Audio and text works only (the one-work form, `work=`): a rate that sets the price.
    rate = forms.CharField(max_length=20, required=False, label="Price per unit")

    def __init__(self, *args, work=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.work = work
        _offer_rate_field(self, work)

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
        _clean_price(self, data, self.work)
        return data

    @property
    def preset_key(self) -> str:
        key = self.cleaned_data.get("preset", "")
        return "" if key == CUSTOM else key


class OfferPriceForm(forms.Form):
    """Only the price and currency of the offer forms, for the fee and net figures shown while
    the creator types (licensing.views.offers.offer_net)."""

    price = forms.CharField(
        max_length=20,
        error_messages={"required": "Type a price to see Assent's fee and what you net."},
    )
    currency = CurrencyFormField()
    rate = forms.CharField(max_length=20, required=False)

    def __init__(self, *args, work=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.work = work
        _offer_rate_field(self, work)

    def clean(self):
        data = super().clean()
        _clean_price(self, data, self.work)
        return data

    @property
    def rate_price(self):
        """The price worked out from a typed rate (licensing.pricing.RatePrice), or None."""
        return self.cleaned_data.get("rate_price") if self.is_valid() else None

    def net(self) -> NetPerSale | None:
        if not self.is_valid():
            return None
        return net_per_sale(
            price_amount=self.cleaned_data["price_amount"], currency=self.cleaned_data["currency"]
        )


class BulkSelectionForm(forms.Form):
    works = forms.TypedMultipleChoiceField(coerce=int, choices=[])

    def __init__(self, *args, work_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["works"].choices = list(work_choices)


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
