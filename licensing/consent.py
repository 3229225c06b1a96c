"""Where a consent was given from: the request's address and browser, kept with the record."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConsentContext:
    ip_address: str | None = None
    user_agent: str = ""

    @classmethod
    def from_request(cls, request) -> ConsentContext:
        # REMOTE_ADDR as Django sees it; behind a proxy, the deployment sets it from the proxy's
        # header (gunicorn's forwarded-allow-ips), so a client cannot choose what is recorded.
        meta = getattr(request, "META", {})
        return cls(
            ip_address=meta.get("REMOTE_ADDR") or None,
            user_agent=(meta.get("HTTP_USER_AGENT") or "")[:400],
        )
