"""API shapes for accounts. Input serializers validate shape only; rules live in services."""

from rest_framework import serializers

from accounts.models import ApiToken, Membership, MembershipRole, Organization, User
from accounts.selectors.users import user_has_totp
from config.input_fields import CanonicalChoiceField


class TokenObtainInput(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})
    name = serializers.CharField(required=False, max_length=80, default="API token")
    otp = serializers.CharField(
        required=False, max_length=12, help_text="Current TOTP code, if two-factor is on."
    )


class TokenCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=80)


class ApiTokenOutput(serializers.ModelSerializer):
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "revoked_at", "is_active"]


class ApiTokenCreatedOutput(ApiTokenOutput):
    key = serializers.CharField(read_only=True, help_text="Shown once. Store it now.")

    class Meta(ApiTokenOutput.Meta):
        fields = [*ApiTokenOutput.Meta.fields, "key"]


class OrganizationOutput(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "slug", "created_at"]


class MembershipOutput(serializers.ModelSerializer):
    organization = OrganizationOutput(read_only=True)

    class Meta:
        model = Membership
        fields = ["organization", "role", "joined_at"]


class MeOutput(serializers.ModelSerializer):
    display_name = serializers.SerializerMethodField()
    memberships = MembershipOutput(many=True, read_only=True)
    two_factor_enabled = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "email", "role", "display_name", "memberships", "two_factor_enabled"]

    def get_display_name(self, user) -> str | None:
        profile = getattr(user, "creator_profile", None) if user.is_creator else None
        return profile.display_name if profile else None

    def get_two_factor_enabled(self, user) -> bool:
        return user_has_totp(user)


class InvitationInput(serializers.Serializer):
    email = serializers.EmailField()
    role = CanonicalChoiceField(choices=MembershipRole.choices, default=MembershipRole.MEMBER)


class InvitationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    # False when the mail server refused it (the invitation stands; invite again to resend).
    email_sent = serializers.SerializerMethodField()
    role = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()

    def get_email_sent(self, invitation) -> bool | None:
        return getattr(invitation, "email_sent", None)
