"""Destruction attestations API: a team owner attests that a declared model was destroyed
(`POST /api/v1/models/<uuid>/attestations/`, JSON or multipart with an optional `evidence`
file); members of the team list the attestations on file."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsBuyer
from config.errors import ApplicationError
from licensing.selectors.declarations import declaration_for_member
from licensing.services.destruction import (
    EVIDENCE_MAX_BYTES,
    attestation_verify,
    destruction_attest,
)


class AttestationInput(serializers.Serializer):
    destroyed_on = serializers.DateField(help_text="The day the model was destroyed.")
    method = serializers.CharField(max_length=2000, help_text="How it was destroyed.")
    evidence = serializers.FileField(
        required=False,
        allow_empty_file=True,
        help_text=f"Optional PDF, PNG, JPEG or text, up to {EVIDENCE_MAX_BYTES // 2**20} MB.",
    )

    class Meta:
        ref_name = "AttestationInput"


class AttestationOutput(serializers.Serializer):
    uuid = serializers.UUIDField()
    model = serializers.SerializerMethodField()
    attested_by = serializers.EmailField(source="attested_by.email")
    attested_at = serializers.DateTimeField()
    destroyed_on = serializers.DateField()
    method = serializers.CharField()
    evidence_filename = serializers.CharField()
    evidence_sha256 = serializers.CharField()
    statement = serializers.CharField(help_text="The exact text the owner signed.")
    signature = serializers.CharField(help_text="HMAC-SHA256 of the statement, by Assent.")
    signature_valid = serializers.SerializerMethodField()

    def get_model(self, att) -> dict:
        d = att.declaration
        return {"uuid": str(d.uuid), "name": d.name, "version": d.version}

    def get_signature_valid(self, att) -> bool:
        return attestation_verify(att)


class AttestationListCreateApi(APIView):
    permission_classes = [IsBuyer]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        summary="Attestations on file for a declared model (team members)",
        responses=AttestationOutput(many=True),
    )
    def get(self, request, declaration_uuid):
        declaration = declaration_for_member(user=request.user, declaration_uuid=declaration_uuid)
        attestations = declaration.attestations.select_related("attested_by", "declaration")
        return Response(AttestationOutput(attestations, many=True).data)

    @extend_schema(
        summary="Attest that a declared model was destroyed (team owners)",
        request={"application/json": AttestationInput, "multipart/form-data": AttestationInput},
        responses={201: AttestationOutput},
    )
    def post(self, request, declaration_uuid):
        if getattr(request._request, "upload_too_large", False):
            raise ApplicationError(
                "The evidence file is too large.", code="evidence_too_large", status=413
            )
        # Not a member: 404 before anything else; a member who is not an owner: 403 (service).
        declaration = declaration_for_member(user=request.user, declaration_uuid=declaration_uuid)
        data = AttestationInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        meta = request.META
        attestation = destruction_attest(
            declaration=declaration,
            user=request.user,
            destroyed_on=values["destroyed_on"],
            method=values["method"],
            evidence_file=values.get("evidence"),
            ip_address=meta.get("REMOTE_ADDR"),
            user_agent=meta.get("HTTP_USER_AGENT", ""),
        )
        return Response(AttestationOutput(attestation).data, status=status.HTTP_201_CREATED)
