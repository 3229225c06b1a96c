"""Delivery: a package per paid order (rebuilt on request as a new version), built by the
worker; download links made out to one member of the licensed team that expire after
PACKAGE_LINK_MAX_AGE (bearer links, like presigned URLs: the link authorizes, so programs fetch
it without a session; each use re-checks membership and the license), every download logged,
and no new download of an item whose license has ended."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from config.celery import enqueue_or_log
from config.errors import ApplicationError
from licensing.models import GrantStatus, LicenseGrantItem
from marketplace.models import DownloadLog, Order, Package, PackageFile, PackageStatus
from marketplace.selectors.licenses import file_state, license_ended_message
from marketplace.services.restrictions import team_restriction_check


def package_request(*, order: Order, user=None) -> Package:
    """Queue a build of this order's package: the first, or a new version (after a refund
    removed items). A build already queued or running is returned as it is."""
    if order.license_grant_id is None:
        raise ApplicationError(
            "This order is not paid, so there is nothing to deliver.", status=409
        )
    running = order.packages.filter(status__in=[PackageStatus.QUEUED, PackageStatus.BUILDING])
    existing = running.first()
    if existing is not None:
        return existing
    version = (order.packages.aggregate(v=Max("version"))["v"] or 0) + 1
    try:
        with transaction.atomic():
            package = Package.objects.create(
                order=order,
                version=version,
                requested_by=user,
                shard_target_bytes=settings.PACKAGE_SHARD_TARGET_BYTES,
            )
    except IntegrityError:  # two requests at once: the other one made it
        return order.packages.get(version=version)
    _enqueue(package.id)
    return package


def _enqueue(package_id: int) -> None:
    transaction.on_commit(lambda: package_build_enqueue(package_id))


def package_build_enqueue(package_id: int) -> None:
    """Hand the build to the worker. A broker that is down must not fail the payment that
    asked for it: the package stays queued and the beat task below picks it up."""
    # marketplace/tasks.py imports this module at its top; importing the task here breaks the cycle.
    from marketplace.tasks import package_build_task

    enqueue_or_log(package_build_task, package_id)


def packages_resume_stalled(*, older_than_seconds: int = 900) -> int:
    """Re-queue builds that made no progress for a while (a broker outage, a lost task)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    stalled = Package.objects.filter(
        status__in=[PackageStatus.QUEUED, PackageStatus.BUILDING], created_at__lt=cutoff
    ).exclude(files__created_at__gte=cutoff)
    ids = list(stalled.values_list("id", flat=True).distinct())
    for package_id in ids:
        package_build_enqueue(package_id)
    return len(ids)


def current_package(order: Order) -> Package | None:
    """The newest package: the one being built, else the newest ready one."""
    return order.packages.order_by("-version").first()


# --- links --------------------------------------------------------------------------------------


def _signature(file_id: int, user_id: int, expires: int) -> str:
    message = f"package-file:{file_id}:{user_id}:{expires}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def download_url(*, package_file: PackageFile, user, now: float | None = None) -> str:
    """A link to one file for one user, good for PACKAGE_LINK_MAX_AGE seconds: its expiry is
    in its parameters and signed with the user and the file."""
    expires = int((now or time.time()) + settings.PACKAGE_LINK_MAX_AGE)
    query = urlencode(
        {
            "user": user.id,
            "expires": expires,
            "signature": _signature(package_file.id, user.id, expires),
        }
    )
    return f"{settings.SITE_URL.rstrip('/')}/downloads/{package_file.id}/?{query}"


def download_authorize(*, file_id: int, params, request_user=None) -> tuple[PackageFile, object]:
    """Check a download link (signature, expiry), that its user is still in the licensed team,
    that the team is not restricted, and that the file may still be downloaded. Returns (file,
    user) or raises."""

    try:
        user_id, expires = int(params.get("user", "")), int(params.get("expires", ""))
    except ValueError as exc:
        raise ApplicationError(
            "This download link is incomplete.", code="bad_link", status=403
        ) from exc
    expected = _signature(file_id, user_id, expires)
    if not hmac.compare_digest(expected, str(params.get("signature", ""))):
        raise ApplicationError("This download link is not valid.", code="bad_link", status=403)
    if expires < time.time():
        raise ApplicationError(
            "This download link has expired: open the license page for a fresh one.",
            code="link_expired",
            status=410,
        )
    package_file = (
        PackageFile.objects.select_related("package__order__organization")
        .filter(id=file_id)
        .first()
    )
    user = User.objects.filter(id=user_id, is_active=True).first()
    organization = package_file.package.order.organization if package_file else None
    if (
        package_file is None
        or user is None
        or not organization.memberships.filter(user=user).exists()
    ):
        raise ApplicationError("No such file.", code="not_found", status=404)
    team_restriction_check(organization=organization)
    state = file_state(package_file)
    if not state.is_available:
        raise ApplicationError(state.reason, code="not_available", status=410)
    return package_file, user


def license_package_rebuild(*, order: Order, user) -> Package:
    """A team member asks for a new version of the package (after items ended or were refunded):
    refused while the team is restricted or once nothing in the license runs."""
    team_restriction_check(organization=order.organization)
    if order.license_grant_id and not _running_items(order.license_grant_id).exists():
        last = (
            LicenseGrantItem.objects.filter(grant_id=order.license_grant_id)
            .exclude(status=GrantStatus.REVOKED)
            .aggregate(m=Max("expires_at"))["m"]
        )
        raise ApplicationError(license_ended_message(last), code="license_ended", status=409)
    return package_request(order=order, user=user)


def _running_items(grant_id: int, now: datetime | None = None):
    now = now or timezone.now()
    return LicenseGrantItem.objects.filter(
        grant_id=grant_id, status=GrantStatus.ACTIVE, expires_at__gt=now
    )


def download_log(*, package_file: PackageFile, user, ip_address: str | None, user_agent: str):
    return DownloadLog.objects.create(
        package_file=package_file, user=user, ip_address=ip_address, user_agent=user_agent[:400]
    )
