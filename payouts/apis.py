"""Earnings API: a creator's balances and payout account, and their payouts. Both read only
the caller's own money. Staff: the reconciliation with Stripe."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsCreator, IsStaffRole, IsStaffWithTwoFactor
from config.errors import ApplicationError
from config.input_fields import BIGINT_MAX, CurrencyField

from . import serializers as s
from .reconciliation import reconciliation_report, reconciliation_window
from .reconciliation.records import PROBLEM_LABELS
from .selectors import creator_balances_all, creator_payouts, payout_account_state


class EarningsApi(APIView):
    permission_classes = [IsCreator]

    @extend_schema(
        summary="Your balances per currency and your payout account",
        responses=s.EarningsOutput,
    )
    def get(self, request):
        body = {
            "balances": creator_balances_all(creator=request.user),
            "payout_account": payout_account_state(creator=request.user),
        }
        return Response(s.EarningsOutput(body).data)


@extend_schema(summary="Your payouts, newest first")
class PayoutListApi(ListAPIView):
    permission_classes = [IsCreator]
    serializer_class = s.PayoutOutput

    def get_queryset(self):
        return creator_payouts(creator=self.request.user)


class StaffReconciliationApi(APIView):
    """Our books against Stripe's records for a window: what matched, per kind and currency,
    and every discrepancy with its reason (payouts.reconciliation)."""

    permission_classes = [IsStaffRole]

    class InputSerializer(serializers.Serializer):
        days = serializers.IntegerField(required=False, min_value=1, max_value=366)
        since = serializers.DateField(required=False, help_text="First day, local time.")
        until = serializers.DateField(required=False, help_text="Last day, included.")

    class TotalSerializer(serializers.Serializer):
        currency = serializers.CharField()
        amount = serializers.IntegerField(help_text="Minor units.")

    class KindSerializer(serializers.Serializer):
        kind = serializers.CharField()
        label = serializers.CharField()
        matched = serializers.IntegerField()
        matched_totals = serializers.SerializerMethodField()
        discrepancy_count = serializers.SerializerMethodField()
        truncated = serializers.BooleanField()

        def get_matched_totals(self, kind) -> list[dict]:
            return [{"currency": c, "amount": a} for c, a in kind.totals]

        def get_discrepancy_count(self, kind) -> int:
            return len(kind.discrepancies)

    class DiscrepancySerializer(serializers.Serializer):
        kind = serializers.CharField()
        problem = serializers.ChoiceField(choices=list(PROBLEM_LABELS))
        reason = serializers.CharField()
        at = serializers.DateTimeField()
        reference = serializers.CharField()
        stripe_id = serializers.CharField()
        stripe_amount = serializers.IntegerField(allow_null=True)
        stripe_currency = serializers.CharField()
        our_amount = serializers.IntegerField(allow_null=True)
        our_currency = serializers.CharField()
        transaction_id = serializers.IntegerField(allow_null=True)

    class OutputSerializer(serializers.Serializer):
        since = serializers.DateTimeField()
        until = serializers.DateTimeField()
        generated_at = serializers.DateTimeField()
        is_reconciled = serializers.BooleanField()
        truncated = serializers.BooleanField()
        kinds = serializers.SerializerMethodField()
        discrepancies = serializers.SerializerMethodField()

        def get_kinds(self, report) -> list[dict]:
            return StaffReconciliationApi.KindSerializer(report.kinds, many=True).data

        def get_discrepancies(self, report) -> list[dict]:
            rows = report.discrepancies
            return StaffReconciliationApi.DiscrepancySerializer(rows, many=True).data

    @extend_schema(
        summary="Reconciliation with Stripe (staff)",
        parameters=[InputSerializer],
        responses=OutputSerializer,
    )
    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        since, until = reconciliation_window(
            days=params.validated_data.get("days"),
            since_day=params.validated_data.get("since"),
            until_day=params.validated_data.get("until"),
        )
        report = reconciliation_report(since=since, until=until)
        return Response(self.OutputSerializer(report).data)


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
        from accounts.models import Organization

        from .selectors import team_credit_balances
        from .services import team_credit_pay_out

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
