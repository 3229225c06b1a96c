"""Account forms. The sign-up form adds the role question to allauth's email+password form."""

from __future__ import annotations

from django import forms

from accounts.models import MembershipRole, Role
from accounts.services.users import user_role_setup
from config.input_fields import CanonicalChoiceFormField


class RoleSignupForm(forms.Form):
    role = CanonicalChoiceFormField(
        label="I am",
        choices=[
            (Role.CREATOR, "A creator: I make work and want to license it"),
            (Role.BUYER, "Part of an AI team: we want to license training data"),
        ],
        widget=forms.RadioSelect,
    )
    display_name = forms.CharField(
        label="Public name",
        max_length=80,
        required=False,
        help_text="Creators: the name buyers and licensees see.",
    )
    organization_name = forms.CharField(
        label="Team name",
        max_length=120,
        required=False,
        help_text="AI teams: your company or lab. Leave empty if a team has invited you.",
    )

    def clean(self):
        data = super().clean()
        if data.get("role") == Role.CREATOR and not data.get("display_name", "").strip():
            self.add_error("display_name", "Tell buyers what name to credit.")
        return data

    def signup(self, request, user) -> None:
        """Called by allauth once the user row exists, inside the same request."""
        user_role_setup(
            user=user,
            role=self.cleaned_data["role"],
            display_name=self.cleaned_data.get("display_name", ""),
            organization_name=self.cleaned_data.get("organization_name", ""),
        )


class CreatorProfileForm(forms.Form):
    display_name = forms.CharField(max_length=80)
    bio = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), required=False, max_length=2000)
    links = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="One address per line (portfolio, social).",
    )
    is_named_publicly = forms.BooleanField(
        required=False,
        label="Show my name on public license pages and verification results",
    )

    def clean_links(self) -> list[str]:
        links = [line.strip() for line in self.cleaned_data["links"].splitlines() if line.strip()]
        validator = forms.URLField(assume_scheme="https")
        for link in links:
            validator.clean(link)
        return links


class OrganizationForm(forms.Form):
    name = forms.CharField(label="Team name", max_length=120)


class InvitationForm(forms.Form):
    email = forms.EmailField()
    role = CanonicalChoiceFormField(choices=MembershipRole.choices, initial=MembershipRole.MEMBER)


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=80, initial="My script")
