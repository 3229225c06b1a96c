"""Staff team credit payment API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Organization
from accounts.permissions import IsStaffWithTwoFactor
from config.errors import ApplicationError
from config.input_fields import BIGINT_MAX, CurrencyField
from payouts.selectors.team_credit import team_credit_balances
from payouts.services.team_credit import team_credit_pay_out


class StaffTeamCreditPaymentApi(APIView):
    """Record a payment of a team's credit made off-platform (services/team_credit.py). 201
    when recorded now, 200 when the reference was recorded before (nothing changes)."""

    permission_classes = [IsStaffWithTwoFactor]

    class TeamCreditPaymentInputSerializer(serializers.Serializer):
        organization = serializers.SlugField(help_text="The team's slug.")
        currency = CurrencyField()
        amount = serializers.IntegerField(
            min_value=1, max_value=BIGINT_MAX, help_text="Minor units (cents)."
        )
        reference = serializers.CharField(max_length=100)
        note = serializers.CharField(max_length=300, required=False, allow_blank=True)

    class TeamCreditPaymentOutputSerializer(serializers.Serializer):
        organization = serializers.CharField()
        currency = serializers.CharField()
        amount = serializers.IntegerField()
        reference = serializers.CharField()
        recorded = serializers.BooleanField(help_text="False: this reference was recorded before.")
        credit = serializers.IntegerField(help_text="The team's credit now, in minor units.")

    @extend_schema(
        request=TeamCreditPaymentInputSerializer,
        responses={201: TeamCreditPaymentOutputSerializer, 200: TeamCreditPaymentOutputSerializer},
    )
    def post(self, request):
        data = self.TeamCreditPaymentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        organization = Organization.objects.filter(slug=values["organization"]).first()
        if organization is None:
            raise ApplicationError("No such team.", code="not_found", status=404)
        _, created = team_credit_pay_out(
            organization=organization,
            currency=values["currency"],
            amount=values["amount"],
            reference=values["reference"],
            note=values.get("note", ""),
            actor=request.user,
        )
        currency = values["currency"]
        body = self.TeamCreditPaymentOutputSerializer(
            {
                "organization": organization.slug,
                "currency": currency,
                "amount": values["amount"],
                "reference": " ".join(values["reference"].split()),
                "recorded": created,
                "credit": team_credit_balances(organization).get(currency, 0),
            }
        ).data
        return Response(body, status=201 if created else 200)
