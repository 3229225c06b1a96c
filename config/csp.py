"""The Content-Security-Policy header: django-csp's middleware with the policy in settings
(CONTENT_SECURITY_POLICY), plus the two origins that follow other settings, read per request:
Stripe's payment pages in form-action and the S3 endpoint that serves presigned images in
img-src. README, "Security"."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.middleware import PolicyParts
from django.conf import settings
from django.core.files.storage import default_storage


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def stripe_page_origins() -> list[str]:
    """Where checkout and Connect onboarding send the browser. Both are a form posted to us and
    answered by a redirect there, and browsers hold every hop of a form's redirects to
    form-action. With STRIPE_API_BASE (the local Stripe server) its pages are on its origin."""
    if settings.STRIPE_API_BASE:
        origin = _origin(settings.STRIPE_API_BASE)
        return [origin] if origin else []
    return list(settings.CSP_STRIPE_PAGE_ORIGINS)


@lru_cache(maxsize=8)
def _presigned_origin(storage_key: tuple) -> str | None:
    return _origin(default_storage.url("csp-origin"))


def media_origins() -> list[str]:
    """With S3, thumbnails and previews are redirects to presigned URLs, and img-src is checked
    on every hop: the origin those URLs are on (read from one the storage signs, so endpoint,
    region and addressing style are the storage's own)."""
    if not hasattr(default_storage, "bucket_name"):
        return []
    key = tuple(
        getattr(default_storage, name, None)
        for name in (
            "bucket_name",
            "endpoint_url",
            "region_name",
            "addressing_style",
            "custom_domain",
        )
    )
    origin = _presigned_origin(key)
    return [origin] if origin else []


class CSPMiddleware(BaseCSPMiddleware):
    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        update = dict(parts.update or {})
        for directive, origins in (
            ("form-action", stripe_page_origins()),
            ("img-src", media_origins()),
            ("media-src", media_origins()),
        ):
            if origins:
                update[directive] = [*update.get(directive, ()), *origins]
        parts.update = update or None
        return parts
