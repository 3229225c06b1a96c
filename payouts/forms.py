"""Staff money forms: freezes, team credit payments, the reconciliation window."""

from __future__ import annotations

from django import forms

from accounts.models import Role, User
from common.money import is_supported, normalise_currency, to_minor_units, unsupported_currency
from config.errors import ApplicationError
from config.input_fields import BIGINT_MAX
from payouts.reconciliation import reconciliation_window
from payouts.registry import work_titles


class FreezeForm(forms.Form):
    creator_email = forms.EmailField(label="Creator's email", required=False)
    work_id = forms.IntegerField(label="Work id", required=False, min_value=1, max_value=BIGINT_MAX)
    reason = forms.CharField(
        label="Reason",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The creator sees this on their earnings page.",
    )

    def clean(self):
        data = super().clean()
        email, work_id = data.get("creator_email"), data.get("work_id")
        if not email and not work_id:
            raise forms.ValidationError("Give a creator's email, a work id, or both.")
        if email:
            creator = User.objects.filter(email__iexact=email, role=Role.CREATOR).first()
            if creator is None:
                self.add_error("creator_email", "No creator has this email.")
            data["creator"] = creator
        if work_id and work_id not in work_titles([work_id]):
            self.add_error("work_id", f"There is no work #{work_id}.")
        return data


class TeamCreditPaymentForm(forms.Form):
    """A payment of a team's credit made off-platform, recorded by staff."""

    organization_id = forms.IntegerField(
        widget=forms.HiddenInput, min_value=1, max_value=BIGINT_MAX
    )
    currency = forms.CharField(widget=forms.HiddenInput, max_length=3)
    amount = forms.CharField(label="Amount paid", max_length=20)
    reference = forms.CharField(
        label="Payment reference",
        max_length=100,
        help_text="The bank transfer's or refund's own id: recording it twice changes nothing.",
    )
    note = forms.CharField(label="Note", max_length=300, required=False)

    def clean(self):
        data = super().clean()
        # The currency is a hidden field: its error is the form's, where the page shows it.
        currency = normalise_currency(data.get("currency"))
        if not is_supported(currency):
            self.add_error(None, unsupported_currency(currency))
            return data
        data["currency"] = currency
        if data.get("amount") is not None:
            try:
                data["amount_minor"] = to_minor_units(data["amount"], currency)
            except ValueError as exc:
                self.add_error("amount", str(exc))
        return data


PRESET_DAYS = (7, 30, 90, 365)


class WindowForm(forms.Form):
    """Either a preset (the last N days, up to now) or dates (whole days, local time)."""

    days = forms.TypedChoiceField(
        choices=[(d, f"Last {d} days") for d in PRESET_DAYS], coerce=int, required=False
    )
    since = forms.DateField(label="From", required=False)
    until = forms.DateField(label="To", required=False)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["window"] = reconciliation_window(
                days=data.get("days"), since_day=data.get("since"), until_day=data.get("until")
            )
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from exc
        return data
