"""Collectives' page forms: founding, and a proposal typed in words and major units."""

from __future__ import annotations

from django import forms

from collectives.models import ProposalKind
from common.money import CURRENCY_EXPONENTS, to_minor_units
from licensing.terms import USE_LABELS, Use


class CollectiveForm(forms.Form):
    name = forms.CharField(max_length=120, min_length=3)
    charter = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        help_text="What the collective stands for and how its members want their work used.",
    )
    quorum_percent = forms.IntegerField(
        min_value=1, max_value=100, initial=50, label="Quorum (% of members who must vote)"
    )
    vote_window_hours = forms.IntegerField(
        min_value=1, max_value=720, initial=72, label="Votes stay open (hours)"
    )
    leave_notice_days = forms.IntegerField(
        min_value=0, max_value=365, initial=30, label="Notice to leave or take a work out (days)"
    )


USE_CHOICES = [(str(u), USE_LABELS[u].capitalize()) for u in Use]
CURRENCY_CHOICES = [(c, c) for c in sorted(CURRENCY_EXPONENTS)]


class ProposalForm(forms.Form):
    # Quorum and window changes are made through the API (rules_set); the page keeps to rules.
    kind = forms.ChoiceField(
        choices=[c for c in ProposalKind.choices if c[0] != ProposalKind.RULES_SET],
        label="Proposal",
    )
    use = forms.ChoiceField(choices=USE_CHOICES, required=False)
    currency = forms.ChoiceField(choices=CURRENCY_CHOICES, required=False, initial="USD")
    amount = forms.CharField(
        max_length=20,
        required=False,
        label="Amount",
        help_text="In the currency, e.g. 30.00; 0 removes.",
    )
    team = forms.CharField(max_length=140, required=False, help_text="The buyer team's handle.")
    strike_id = forms.IntegerField(required=False, label="Strike")
    enabled = forms.BooleanField(required=False, initial=True, label="Turn the rule on")

    def payload(self) -> dict:
        """The service's payload from what was typed; the service checks the rules."""
        data, kind = self.cleaned_data, self.cleaned_data["kind"]
        if kind in (ProposalKind.FLOOR_SET, ProposalKind.MONTHLY_MINIMUM_SET):
            payload = {"currency": data.get("currency") or "USD"}
            try:
                payload["amount"] = to_minor_units(data.get("amount") or "", payload["currency"])
            except ValueError as exc:
                self.add_error("amount", str(exc))
                return {}
            if kind == ProposalKind.FLOOR_SET:
                payload["use"] = data.get("use") or ""
            return payload
        if kind == ProposalKind.NO_COMMERCIAL_GENERATIVE:
            return {"enabled": bool(data.get("enabled"))}
        if kind == ProposalKind.STRIKE_TEAM:
            return {"team": data.get("team") or ""}
        if kind == ProposalKind.STRIKE_USE:
            return {"use": data.get("use") or ""}
        if kind == ProposalKind.STRIKE_END:
            return {"strike_id": data.get("strike_id")}
        return {}
