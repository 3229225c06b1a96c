"""Staff reconciliation API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsStaffRole
from payouts.reconciliation import reconciliation_report, reconciliation_window
from payouts.reconciliation.records import PROBLEM_LABELS


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
