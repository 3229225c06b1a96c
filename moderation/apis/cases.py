"""Staff review cases API: list, detail, decide."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsStaffWithTwoFactor
from config.input_fields import CanonicalChoiceField
from moderation.apis.bans import BanOutput
from moderation.models import CaseKind, CaseStatus, DecisionAction, ReviewCase
from moderation.selectors.bans import account_history
from moderation.selectors.cases import case_get, case_signals, team_case_facts
from moderation.selectors.overview import cases_list
from moderation.services.decisions import case_decide


def _file_url(work, kind: str) -> str | None:
    if not getattr(work, kind):
        return None
    return reverse("uploads:work_file", args=[work.id, kind])


class WorkBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField()
    status_reason = serializers.CharField()
    owner_id = serializers.IntegerField()
    owner_email = serializers.EmailField(source="owner.email")
    ai_involvement = serializers.CharField()
    created_at = serializers.DateTimeField()
    thumbnail_url = serializers.SerializerMethodField()
    preview_url = serializers.SerializerMethodField()

    def get_thumbnail_url(self, work) -> str | None:
        return _file_url(work, "thumbnail")

    def get_preview_url(self, work) -> str | None:
        return _file_url(work, "preview")


class TeamBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()


class OverdueModelOutput(serializers.Serializer):
    """One overdue model of a team case: given a (declaration, DeclarationState) pair."""

    uuid = serializers.UUIDField()
    name = serializers.CharField()
    version = serializers.CharField()
    deadline = serializers.DateTimeField()
    due_item_refs = serializers.ListField(child=serializers.CharField())

    def to_representation(self, pair):
        declaration, state = pair
        return super().to_representation(
            {
                "uuid": declaration.uuid,
                "name": declaration.name,
                "version": declaration.version,
                "deadline": state.deadline,
                "due_item_refs": [item.item_ref for item in state.due_items],
            }
        )


class CaseOutput(serializers.Serializer):
    id = serializers.IntegerField()
    # Plain strings, values listed: enums named "status"/"kind" collide across the schema.
    kind = serializers.CharField(help_text=" | ".join(CaseKind.values))
    status = serializers.CharField(help_text=" | ".join(CaseStatus.values))
    risk_score = serializers.IntegerField()
    reason = serializers.CharField()
    opened_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    creator_answer = serializers.CharField()
    answered_at = serializers.DateTimeField(allow_null=True)
    work = WorkBriefSerializer(allow_null=True)
    organization = TeamBriefSerializer(allow_null=True, help_text="Set on cases about a team.")


class CaseListOutput(CaseOutput):
    signal_count = serializers.IntegerField()


class SignalOutput(serializers.Serializer):
    kind = serializers.CharField()
    subject = serializers.CharField()
    weight = serializers.IntegerField()
    summary = serializers.CharField()
    evidence = serializers.JSONField()
    distance = serializers.IntegerField(allow_null=True)
    related_work = WorkBriefSerializer(allow_null=True)


class DecisionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.CharField(help_text=" | ".join(DecisionAction.values))
    reason = serializers.CharField()
    actor_email = serializers.EmailField(source="actor.email")
    case_id = serializers.IntegerField(allow_null=True)
    work_id = serializers.IntegerField(allow_null=True)
    account_id = serializers.IntegerField(allow_null=True)
    batch = serializers.UUIDField(allow_null=True)
    at = serializers.DateTimeField()


class AccountOutput(serializers.Serializer):
    id = serializers.IntegerField(source="user.id")
    email = serializers.EmailField(source="user.email")
    joined_at = serializers.DateTimeField(source="user.date_joined")
    joined_days_ago = serializers.IntegerField()
    status_counts = serializers.DictField(child=serializers.IntegerField())
    is_banned = serializers.SerializerMethodField()
    works = WorkBriefSerializer(many=True)
    decisions = DecisionOutput(many=True)
    bans = BanOutput(many=True)

    def get_is_banned(self, history) -> bool:
        return history.active_ban is not None


class CaseDetailOutput(CaseOutput):
    signals = SignalOutput(many=True)
    metadata = serializers.JSONField()
    account = AccountOutput()
    decisions = DecisionOutput(many=True)


class CaseListQuery(serializers.Serializer):
    kind = CanonicalChoiceField(choices=CaseKind.values, required=False, allow_blank=True)
    status = CanonicalChoiceField(
        choices=CaseStatus.values, required=False, allow_blank=True, help_text="Default: open."
    )


@extend_schema(
    summary="Review cases (staff), riskiest and oldest first",
    parameters=[
        OpenApiParameter("kind", str, enum=CaseKind.values),
        OpenApiParameter("status", str, enum=CaseStatus.values, description="Default: open."),
    ],
)
class StaffCaseListApi(ListAPIView):
    permission_classes = [IsStaffWithTwoFactor]
    serializer_class = CaseListOutput

    def get_queryset(self):
        query = CaseListQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        kind = query.validated_data.get("kind") or None
        state = query.validated_data.get("status") or CaseStatus.OPEN
        return cases_list(kind=kind, status=state)


def _case_detail(case: ReviewCase) -> dict:
    body = CaseOutput(case).data
    if case.work_id is None:  # a case about a team
        facts = team_case_facts(case=case)
        body["overdue_models"] = OverdueModelOutput(facts.overdue, many=True).data
        body["owners"] = [u.email for u in facts.owners]
        body["decisions"] = DecisionOutput(case.decisions.select_related("actor"), many=True).data
        return body
    body["signals"] = SignalOutput(case_signals(case=case), many=True).data
    body["metadata"] = case.work.metadata or {}
    history = account_history(user=case.work.owner, exclude_work_id=case.work_id)
    body["account"] = AccountOutput(history).data
    body["decisions"] = DecisionOutput(case.decisions.select_related("actor"), many=True).data
    return body


class StaffCaseDetailApi(APIView):
    permission_classes = [IsStaffWithTwoFactor]

    @extend_schema(
        summary="A review case with its signals, metadata and the account's history (staff)",
        responses=CaseDetailOutput,
    )
    def get(self, request, case_id: int):
        case = case_get(case_id=case_id)
        if case is None:
            raise Http404("No such case.")
        return Response(_case_detail(case))


class StaffCaseDecisionApi(APIView):
    permission_classes = [IsStaffWithTwoFactor]

    class InputSerializer(serializers.Serializer):
        action = CanonicalChoiceField(
            choices=[DecisionAction.APPROVE, DecisionAction.REJECT, DecisionAction.CLOSE],
            help_text="approve | reject; close for a case about a team.",
        )
        reason = serializers.CharField(max_length=2000, help_text="Shown to the creator.")

        class Meta:
            ref_name = "CaseDecisionInput"

    @extend_schema(
        summary="Approve or reject a case, with the reason (staff)",
        request=InputSerializer,
        responses=CaseDetailOutput,
    )
    def post(self, request, case_id: int):
        case = get_object_or_404(
            ReviewCase.objects.select_related("work__owner", "organization"), id=case_id
        )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = case_decide(case=case, actor=request.user, **data.validated_data)
        return Response(_case_detail(case_get(case_id=case.id)))
