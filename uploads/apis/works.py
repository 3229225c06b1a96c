"""Works API: upload (one file per request), list, detail, retry, the original file."""

from __future__ import annotations

from urllib.parse import unquote

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsCreator
from config.errors import ApplicationError
from config.input_fields import parse_id
from config.openapi import paginated
from uploads import errors
from uploads import serializers as s
from uploads.errors import UploadRefused
from uploads.file_access import work_file_response
from uploads.models import UploadBatch, Work
from uploads.selectors.works import work_for_viewer, works_for_owner
from uploads.services.intake import (
    upload_refusal_record,
    work_submit,
)
from uploads.services.processing import work_retry
from uploads.services.works import work_delete, work_update

# Room for the form fields around the file in a multipart body.
_MULTIPART_OVERHEAD = 1024 * 1024


def _the_one_file(request):
    """Exactly one file, in the `file` field."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0  # a malformed header; the upload handler still caps what is read
    if length > settings.UPLOAD_MAX_BYTES + _MULTIPART_OVERHEAD:
        raise UploadRefused(
            errors.TOO_LARGE,
            f"The upload is {length / 2**20:.1f} MB; the limit is "
            f"{settings.UPLOAD_MAX_BYTES / 2**20:.0f} MB.",
            status=413,
        )
    files = [f for name in request.FILES for f in request.FILES.getlist(name)]
    if getattr(request._request, "upload_too_large", False):
        raise UploadRefused(
            errors.TOO_LARGE,
            f"The file is larger than the {settings.UPLOAD_MAX_BYTES / 2**20:.0f} MB limit.",
            status=413,
        )
    if not files or "file" not in request.FILES:
        raise UploadRefused(errors.FILE_MISSING, "Attach the image in the `file` field.")
    if len(files) > 1:
        raise UploadRefused(errors.TOO_MANY_FILES, "Send one file per request.")
    return files[0]


class WorkListCreateApi(APIView):
    permission_classes = [IsCreator]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        parameters=[s.WorkListQuery],
        operation_id="v1_works_list",
        responses=paginated(s.WorkOutput),
    )
    def get(self, request):

        query = s.WorkListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        works = works_for_owner(
            owner=request.user,
            status=query.validated_data.get("status") or None,
            q=query.validated_data.get("q"),
        )
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(works, request, view=self)
        return paginator.get_paginated_response(s.WorkOutput(page, many=True).data)

    @extend_schema(
        request={"multipart/form-data": s.WorkSubmitInput},
        responses={201: s.WorkOutput, 200: s.WorkOutput},
        description="Upload one image. 201 with the new work; 200 with the existing work when "
        "you uploaded the same bytes before. Refusals carry a stable `code`.",
    )
    def post(self, request):
        try:
            upload = _the_one_file(request)
        except UploadRefused as exc:
            _record_door_refusal(request, exc)
            raise
        data = s.WorkSubmitInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        batch = None
        if values.get("batch") is not None:
            batch = UploadBatch.objects.filter(id=values["batch"], owner=request.user).first()
            if batch is None:
                raise ApplicationError("No such upload batch.", code="not_found", status=404)
        result = work_submit(
            owner=request.user,
            upload=upload,
            title=values.get("title", ""),
            ai_involvement=values["ai_involvement"],
            rights_confirmed=values["rights_confirmed"],
            rights_holder=values.get("rights_holder", ""),
            description=values.get("description", ""),
            tags=values.get("tags"),
            batch=batch,
        )
        body = s.WorkOutput(result.work).data
        body["duplicate"] = not result.created
        return Response(body, status=status.HTTP_201_CREATED if result.created else 200)


def _record_door_refusal(request, exc: UploadRefused) -> None:
    """Refusals before the body is read (size, missing file) still count for the web
    uploader's batch, which names itself in the query string for exactly this case."""
    batch_id = parse_id(request.query_params.get("batch", ""))
    if batch_id is None:
        return
    batch = UploadBatch.objects.filter(id=batch_id, owner=request.user).first()
    if batch is not None:
        upload_refusal_record(
            batch=batch,
            filenames=[unquote(request.headers.get("X-Upload-Filename", ""))],
            code=exc.code,
            message=exc.message,
        )


def _own_work(request, work_id: int) -> Work:
    work = work_for_viewer(work_id=work_id, user=request.user)
    if work is None or work.owner_id != request.user.id:
        raise ApplicationError("No such work.", code="not_found", status=404)
    return work


class WorkDetailApi(APIView):
    permission_classes = [IsCreator]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(responses=s.WorkDetailOutput)
    def get(self, request, work_id: int):
        return Response(s.WorkDetailOutput(_own_work(request, work_id)).data)

    @extend_schema(request=s.WorkUpdateInput, responses=s.WorkDetailOutput)
    def patch(self, request, work_id: int):
        work = _own_work(request, work_id)
        data = s.WorkUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        work = work_update(work=work, **data.validated_data)
        return Response(s.WorkDetailOutput(work).data)

    @extend_schema(responses={204: None})
    def delete(self, request, work_id: int):
        work_delete(work=_own_work(request, work_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WorkRetryApi(APIView):
    permission_classes = [IsCreator]

    @extend_schema(request=None, responses=s.WorkOutput)
    def post(self, request, work_id: int):
        work = work_retry(work=_own_work(request, work_id), actor=request.user)
        return Response(s.WorkOutput(work).data, status=status.HTTP_202_ACCEPTED)


class WorkFileApi(APIView):
    """The original (creator and staff only) or a rendition, as a file or a signed redirect."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={(200, "application/octet-stream"): bytes, 302: None})
    def get(self, request, work_id: int, kind: str):
        return work_file_response(request, work_id=work_id, kind=kind)
