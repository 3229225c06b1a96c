"""Rights claims over the API: anyone files one (throttled), the claimant follows its status by
reference, the uploader answers once, staff uphold or dismiss."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.permissions import IsCreator, IsStaffWithTwoFactor
from moderation.selectors.claims import claim_by_reference
from moderation.services.claims import (
    MAX_LINKS,
    claim_answer,
    claim_dismiss,
    claim_file,
    claim_reference,
    claim_uphold,
)
from uploads.models import Work

THROTTLE_SCOPE = "claims"


class ClaimRateThrottle(ScopedRateThrottle):
    """Filing per client (user, or IP when anonymous), at the `claims` rate. The rate is read
    when a request comes, so settings changed at run time (tests, operators) apply."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class ClaimEmailThrottle(ClaimRateThrottle):
    """Filing per claimant email at the same rate, so one person cannot flood from many IPs."""

    def get_cache_key(self, request, view):
        data = getattr(request, "data", None)
        if data is None:
            data = request.POST
        email = str(data.get("claimant_email", "") if hasattr(data, "get") else "")
        email = email.strip().lower()
        if not email:
            return None
        digest = hashlib.sha256(email.encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": f"email:{digest}"}


def claim_throttle_wait(request) -> float | None:
    """For the HTML form: the same throttles as the API; seconds to wait, or None if allowed."""
    view = SimpleNamespace(throttle_scope=THROTTLE_SCOPE)
    for throttle in (ClaimRateThrottle(), ClaimEmailThrottle()):
        if not throttle.allow_request(request, view):
            return throttle.wait() or 60.0
    return None


class ClaimInput(serializers.Serializer):
    work = serializers.UUIDField(help_text="The claimed work's id (its uuid).")
    claimant_name = serializers.CharField(max_length=200)
    claimant_email = serializers.EmailField()
    identity = serializers.CharField(help_text="Who you are and how you relate to the work.")
    evidence = serializers.CharField(help_text="Why the work is yours.")
    links = serializers.ListField(
        child=serializers.CharField(max_length=500),
        required=False,
        default=list,
        help_text=f"Up to {MAX_LINKS} http(s) links to your originals or proof.",
    )
    sworn = serializers.BooleanField(help_text="You swear the statement is true. Must be true.")


class ClaimStatusOutput(serializers.Serializer):
    reference = serializers.SerializerMethodField()
    uuid = serializers.UUIDField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    filed_at = serializers.DateTimeField(source="created_at")
    decided_at = serializers.DateTimeField()

    def get_reference(self, claim) -> str:
        return claim_reference(claim)


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class AnswerInput(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


class StaffClaimOutput(ClaimStatusOutput):
    work = serializers.UUIDField(source="work.uuid")
    work_status = serializers.CharField(source="work.status")
    decision_reason = serializers.CharField()


def _claim(claim_uuid):
    claim = claim_by_reference(claim_uuid=claim_uuid)
    if claim is None:
        raise Http404("No such claim.")
    return claim


class ClaimCreateApi(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [ClaimRateThrottle, ClaimEmailThrottle]
    throttle_scope = THROTTLE_SCOPE

    @extend_schema(request=ClaimInput, responses={201: ClaimStatusOutput})
    def post(self, request):
        data = ClaimInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        work = Work.objects.filter(uuid=fields.pop("work")).first()
        if work is None:
            raise Http404("No such work.")
        claim = claim_file(work=work, claimant=request.user, **fields)
        return Response(ClaimStatusOutput(claim).data, status=status.HTTP_201_CREATED)


class ClaimStatusApi(APIView):
    """The claimant's view, by reference: the status only."""

    permission_classes = [AllowAny]

    @extend_schema(responses=ClaimStatusOutput)
    def get(self, request, claim_uuid):
        return Response(ClaimStatusOutput(_claim(claim_uuid)).data)


class ClaimAnswerApi(APIView):
    permission_classes = [IsCreator]

    @extend_schema(request=AnswerInput, responses=ClaimStatusOutput)
    def post(self, request, claim_uuid):
        data = AnswerInput(data=request.data)
        data.is_valid(raise_exception=True)
        claim = claim_answer(
            claim=_claim(claim_uuid), uploader=request.user, text=data.validated_data["text"]
        )
        return Response(ClaimStatusOutput(claim).data)


class ClaimUpholdApi(APIView):
    permission_classes = [IsStaffWithTwoFactor]  # as every other staff API

    @extend_schema(request=ReasonInput, responses=StaffClaimOutput)
    def post(self, request, claim_uuid):
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        claim, outcome = claim_uphold(
            claim=_claim(claim_uuid), actor=request.user, reason=data.validated_data["reason"]
        )
        body = StaffClaimOutput(claim).data
        body["refunded_items"] = [item.id for item in outcome.refunded]
        body["failed_refunds"] = [{"item": i.id, "message": m} for i, m in outcome.failed]
        return Response(body)


class ClaimDismissApi(APIView):
    permission_classes = [IsStaffWithTwoFactor]  # as every other staff API

    @extend_schema(request=ReasonInput, responses=StaffClaimOutput)
    def post(self, request, claim_uuid):
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        claim = claim_dismiss(
            claim=_claim(claim_uuid), actor=request.user, reason=data.validated_data["reason"]
        )
        return Response(StaffClaimOutput(claim).data)
