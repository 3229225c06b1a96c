"""Upload batches API: open a batch, then see its progress and report files never received."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsCreator
from uploads import serializers as s
from uploads.models import UploadBatch
from uploads.selectors.batches import batch_progress
from uploads.services.intake import batch_create, batch_report_not_received


class BatchCreateApi(APIView):
    permission_classes = [IsCreator]
    parser_classes = [JSONParser, FormParser]

    @extend_schema(request=s.BatchCreateInput, responses={201: s.BatchOutput})
    def post(self, request):
        data = s.BatchCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        batch = batch_create(
            owner=request.user, expected_files=data.validated_data["expected_files"]
        )
        return Response(s.BatchOutput(batch).data, status=status.HTTP_201_CREATED)


class BatchDetailApi(APIView):
    permission_classes = [IsCreator]
    parser_classes = [JSONParser]

    @extend_schema(responses=s.BatchProgressOutput)
    def get(self, request, batch_id: int):
        batch = get_object_or_404(UploadBatch, id=batch_id, owner=request.user)
        return Response(_batch_body(batch))

    @extend_schema(
        operation_id="v1_uploads_batches_not_received",
        request=s.BatchNotReceivedInput,
        responses=s.BatchProgressOutput,
        description="Report files of the batch that got no answer, so the batch can finish "
        "and its page says to upload them again.",
    )
    def post(self, request, batch_id: int):
        batch = get_object_or_404(UploadBatch, id=batch_id, owner=request.user)
        data = s.BatchNotReceivedInput(data=request.data)
        data.is_valid(raise_exception=True)
        batch_report_not_received(batch=batch, filenames=data.validated_data["not_received"])
        return Response(_batch_body(batch))


def _batch_body(batch: UploadBatch) -> dict:
    progress = batch_progress(batch=batch)
    body = s.BatchOutput(batch).data
    lines = progress["refusals"] + progress["duplicates"]
    body.update(
        done=progress["done"],
        total=progress["total"],
        finished=progress["finished"],
        works=s.WorkOutput(progress["works"], many=True).data,
        refusals=[{"filename": r.filename, "code": r.code, "message": r.message} for r in lines],
    )
    return body
