"""The error answers every API operation can give, written into the OpenAPI schema once
(a drf-spectacular postprocessing hook) rather than on each view: all errors share one body,
`{"code", "message", "fields"}` (config/api_errors.py), and which statuses apply follows from
what the operation takes and who may call it."""

from __future__ import annotations

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every API error: a stable machine `code`, a human `message`, and the "
    "problems per input field (empty when none). Some errors add details (`retry_after`, …).",
    "properties": {
        "code": {"type": "string", "example": "invalid"},
        "message": {"type": "string", "example": "Some fields are invalid."},
        "fields": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "retry_after": {"type": "integer", "description": "Seconds to wait (429, 503)."},
    },
    "required": ["code", "message", "fields"],
}

DESCRIPTIONS = {
    400: "The input is invalid: `fields` says which and why.",
    401: "No valid credentials: send `Authorization: Token <key>` (or sign in).",
    403: "Signed in, but this role or account may not do this.",
    404: "No such object among those you may see.",
    409: "The object's state does not allow this now (the message says why).",
    413: "The request body is too large.",
    429: "Too many requests: wait `retry_after` seconds.",
    503: "The database was busy and nothing was saved: retry after `Retry-After` seconds.",
}

_WRITES = {"post", "put", "patch", "delete"}


def _statuses(path: str, method: str, operation: dict) -> set[int]:
    security = [scheme for scheme in operation.get("security") or [] if scheme]
    takes_input = bool(operation.get("parameters") or operation.get("requestBody"))
    writes = method in _WRITES
    statuses = {429, 503}
    if takes_input or writes:
        statuses |= {400, 404}  # 404: an id in the path, the body or a page number
    if security:
        statuses.add(401)  # a bad token is refused even where anonymous calls are welcome
    if security or writes:
        statuses.add(403)
    if writes:
        statuses.add(409)
    if "multipart/form-data" in operation.get("requestBody", {}).get("content", {}):
        statuses.add(413)
    return statuses


def document_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status in _statuses(path, method, operation):
                responses.setdefault(str(status), {"description": DESCRIPTIONS[status]})
            for status, response in responses.items():
                # An error a view describes in words only still has the one error body.
                if status[0] in "45" and "content" not in response:
                    response["content"] = error
            operation["responses"] = dict(sorted(responses.items()))
    return result


def paginated(serializer_class, name: str | None = None):
    """The page an APIView answers with DRF's PageNumberPagination, for `extend_schema`."""

    return inline_serializer(
        name=name or f"Paginated{serializer_class.__name__.removesuffix('Output')}List",
        fields={
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
        },
    )
