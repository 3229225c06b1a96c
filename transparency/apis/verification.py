"""Public verification over the API: `POST /api/v1/verify/` with an image or an audio clip
(multipart `file`), a passage of text (`text`) or a hash (`pdq` or `sha256`). Anyone may call
it, at the `verify` rate per client."""

from __future__ import annotations

from types import SimpleNamespace

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from config.errors import ApplicationError
from transparency.selectors.verification import VerifiedWork
from transparency.verification import (
    TEXT_MAX_CHARS,
    VerificationQuery,
    VerificationResult,
    verification_query_parse,
    verification_run,
)
from uploads import errors as upload_errors

THROTTLE_SCOPE = "verify"


# Room for the form fields around the file in a multipart body.
_MULTIPART_OVERHEAD = 1024 * 1024


class VerifyRateThrottle(ScopedRateThrottle):
    """Per client (user, or IP when anonymous). The rate is read per request, so settings
    changed at run time (tests, operators) apply; no rate configured means no limit."""

    scope = THROTTLE_SCOPE

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


def verify_throttle_wait(request) -> float | None:
    """For the HTML page: the API's throttle; seconds to wait, or None if allowed."""
    throttle = VerifyRateThrottle()
    if throttle.allow_request(request, SimpleNamespace(throttle_scope=THROTTLE_SCOPE)):
        return None
    return throttle.wait() or 60.0


def visitor_upload(files, *, too_large: bool):
    """The one file in `file`, None when no file was sent; refusals as ApplicationError.
    `too_large`: the size-capped upload handler stopped reading the file."""
    if too_large:
        limit = settings.UPLOAD_MAX_BYTES / 2**20
        raise ApplicationError(
            f"The file is larger than the {limit:.0f} MB limit.", code=upload_errors.TOO_LARGE
        )
    sent = [f for name in files for f in files.getlist(name)]
    if len(sent) > 1 or (sent and "file" not in files):
        raise ApplicationError(
            "Send one file (an image or a recording), in the `file` field.",
            code=upload_errors.TOO_MANY_FILES,
        )
    return sent[0] if sent else None


def _refuse_oversized_body(request) -> None:
    """An honest client announcing a body past the cap is refused before it is read."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0  # a malformed header; the upload handler still caps what is read
    if length > settings.UPLOAD_MAX_BYTES + _MULTIPART_OVERHEAD:
        limit = settings.UPLOAD_MAX_BYTES / 2**20
        raise ApplicationError(
            f"The request is larger than the {limit:.0f} MB limit.", code=upload_errors.TOO_LARGE
        )


def query_json(query: VerificationQuery) -> dict:
    """What was checked: the hashes of an image, the length of a clip, the words of a passage."""
    out = {
        "kind": query.kind,
        "sha256": query.sha256,
        "pdq": query.pdq_hashes[0] if query.pdq_hashes else None,
        "pdq_quality": query.pdq_quality,
        "near_search": query.searches_near,
    }
    if query.kind == "audio":
        out.update(clip_seconds=query.clip_seconds, seconds_checked=query.seconds_checked)
    elif query.kind == "text":
        out.update(words=query.word_count)
    return out


def _rendition_url(request, work: VerifiedWork, rendition: str) -> str:
    return request.build_absolute_uri(reverse("catalog_work_file", args=[work.id, rendition]))


def work_json(request, work: VerifiedWork) -> dict:
    return {
        "id": str(work.uuid),
        "kind": work.kind,
        "title": work.title,
        "creator": work.creator_name or None,
        "match": work.match,
        "score": work.score,
        "distance": work.distance,
        "offset_seconds": None if work.offset_ms is None else round(work.offset_ms / 1000, 1),
        "offset": work.offset_clock,
        "thumbnail_url": _rendition_url(request, work, "thumbnail") if work.has_thumbnail else None,
        "preview_url": _rendition_url(request, work, "preview") if work.has_preview else None,
        "active_licenses": [
            {
                "license": str(entry.grant_uuid),
                "url": request.build_absolute_uri(
                    reverse("transparency:license", args=[entry.grant_uuid])
                ),
                "team": entry.team_name,
                "terms": entry.terms.canonical(),
                "terms_summary": entry.sentences,
                "starts_at": entry.starts_at.isoformat(),
                "expires_at": entry.expires_at.isoformat(),
            }
            for entry in work.licenses
        ],
    }


def result_json(request, result: VerificationResult) -> dict:
    """The answer; a private work is absent from it exactly as if it did not exist."""
    return {
        "matched": result.is_matched,
        "query": query_json(result.query),
        "works": [work_json(request, work) for work in result.works],
    }


class VerifyInput(serializers.Serializer):
    file = serializers.FileField(
        required=False,
        help_text="A JPEG, PNG or WebP image, or a WAV, FLAC, MP3 or Ogg recording (a clip of "
        "at least 10 seconds; the first 2 minutes are checked).",
    )
    text = serializers.CharField(
        required=False,
        max_length=TEXT_MAX_CHARS,
        help_text="A passage of a text work: at least 50 words, at most 20,000 characters.",
    )
    pdq = serializers.CharField(required=False, help_text="A PDQ hash: 64 hex characters.")
    sha256 = serializers.CharField(required=False, help_text="A SHA-256: 64 hex characters.")


class VerifyLicenseOutput(serializers.Serializer):
    license = serializers.UUIDField()
    url = serializers.URLField(help_text="The license's public page.")
    team = serializers.CharField()
    terms = serializers.DictField()
    terms_summary = serializers.ListField(child=serializers.CharField())
    starts_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class VerifyWorkOutput(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=["image", "audio", "text"])
    title = serializers.CharField()
    creator = serializers.CharField(allow_null=True, help_text="Only if they chose to be named.")
    match = serializers.ChoiceField(
        choices=["exact", "near"],
        help_text="exact: the same file (or, for a passage, the whole text); near: the same "
        "picture, recording or words.",
    )
    score = serializers.FloatField(
        help_text="How close, 0-1 (1 if exact): for an image the share of the 256 PDQ bits that "
        "agree, for a clip the share of fingerprint bits that agree where it lines up, for a "
        "passage the share of its word sequences found in the work."
    )
    distance = serializers.IntegerField(
        allow_null=True, help_text="Images: PDQ Hamming distance (0-31; 0 if exact)."
    )
    offset_seconds = serializers.FloatField(
        allow_null=True, help_text="Audio: the clip matches from this far into the work."
    )
    offset = serializers.CharField(allow_null=True, help_text="Audio: the same, as 1:05.")
    thumbnail_url = serializers.URLField(allow_null=True)
    preview_url = serializers.URLField(
        allow_null=True, help_text="The watermarked preview (images and audio)."
    )
    active_licenses = VerifyLicenseOutput(many=True)


class VerifyOutput(serializers.Serializer):
    matched = serializers.BooleanField()
    query = serializers.DictField()
    works = VerifyWorkOutput(many=True)


class VerifyApi(APIView):
    """Does this image, audio clip, passage or hash match a work on Assent, and under which
    running licenses? Only works the public catalog shows are ever answered; any other match
    reads as none."""

    permission_classes = [AllowAny]
    throttle_classes = [VerifyRateThrottle]
    throttle_scope = THROTTLE_SCOPE
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(request=VerifyInput, responses={200: VerifyOutput})
    def post(self, request):
        _refuse_oversized_body(request)
        data = request.data if hasattr(request.data, "get") else {}
        too_large = getattr(request._request, "upload_too_large", False)
        upload = visitor_upload(request.FILES, too_large=too_large)
        try:
            query = verification_query_parse(
                upload=upload,
                text=data.get("text"),
                pdq=data.get("pdq"),
                sha256=data.get("sha256"),
            )
        finally:
            if upload is not None:
                upload.close()  # a spooled temporary file goes now, not at the end of the request
        return Response(result_json(request, verification_run(query)))
