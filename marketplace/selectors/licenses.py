"""Reads for a team's license pages: each item's status as it stands now (an item past its expiry
is expired even before the hourly sweep marks it), the models declared on the license, the
team's credit (released holdbacks), and what of the download package may be fetched now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone

from licensing.models import GrantStatus, LicenseGrant, LicenseGrantItem, ModelDeclaration
from licensing.selectors.status import DeclarationState, declaration_state
from marketplace.models import Package, PackageFile, PackageFileKind, PackageItem, PackageStatus
from marketplace.services.restrictions import team_restriction
from payouts.selectors.team_credit import team_credit_balances


def item_status(item: LicenseGrantItem, *, now: datetime | None = None) -> str:
    """The item's status now: stored by the lifecycle sweep, or `expired` once past its expiry
    while the sweep has not run yet."""
    now = now or timezone.now()
    if item.status == GrantStatus.ACTIVE and item.expires_at <= now:
        return GrantStatus.EXPIRED
    return item.status


def item_is_running(item: LicenseGrantItem, *, now: datetime | None = None) -> bool:
    return item_status(item, now=now) == GrantStatus.ACTIVE


def with_status(items, *, now: datetime | None = None) -> list[LicenseGrantItem]:
    """Items with `current_status`, `current_label` and `is_running` set for the pages."""
    now = now or timezone.now()
    items = list(items)
    for item in items:
        item.current_status = item_status(item, now=now)
        item.current_label = GrantStatus(item.current_status).label
        item.is_running = item.current_status == GrantStatus.ACTIVE
    return items


@dataclass(frozen=True)
class LicenseEnd:
    """Whether the license has ended as a whole, and when its last item ended or ends."""

    has_ended: bool
    last_expiry: datetime | None


def license_end(items: list[LicenseGrantItem], *, now: datetime | None = None) -> LicenseEnd:
    now = now or timezone.now()
    live = [i for i in items if i.status != GrantStatus.REVOKED]
    last = max((i.expires_at for i in live), default=None)
    return LicenseEnd(not any(item_is_running(i, now=now) for i in items), last)


def renewal_opens_at(items: list[LicenseGrantItem]) -> datetime | None:
    """Renewing opens with the first expiry reminder (the longest of LICENSE_REMINDER_DAYS)
    before the first live item ends: a license bought today has nothing to renew yet."""

    live = [i.expires_at for i in items if i.status != GrantStatus.REVOKED and i.expires_at]
    if not live:
        return None
    days = max([int(n) for n in settings.LICENSE_REMINDER_DAYS if int(n) > 0] or [90])
    return min(live) - timedelta(days=days)


@dataclass(frozen=True)
class DeclaredModel:
    declaration: ModelDeclaration
    state: DeclarationState
    items_in_license: int


def license_declared_models(*, grant: LicenseGrant, now: datetime | None = None):
    """The team's models declared as trained on any item of this license, with their status."""
    declarations = (
        ModelDeclaration.objects.filter(declared_items__grant_item__grant=grant)
        .distinct()
        .prefetch_related("items")
        .order_by("-created_at", "-id")
    )
    return [
        DeclaredModel(
            declaration=d,
            state=declaration_state(d, now=now),
            items_in_license=sum(1 for i in d.items.all() if i.grant_id == grant.id),
        )
        for d in declarations
    ]


def team_credit(*, organization) -> list[tuple[str, int]]:
    """What Assent owes the team (released holdbacks), per currency, for display."""
    return sorted(team_credit_balances(organization).items())


# --- downloads ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileState:
    """Whether one package file may be downloaded now and, if not, why."""

    file: PackageFile
    is_available: bool
    reason: str = ""


def _not_running(grant_id: int, now: datetime):
    """The grant's items no longer licensed now: ended by the lifecycle sweep or a refund, or
    past their expiry already (the hourly sweep may not have marked them yet)."""
    return LicenseGrantItem.objects.filter(grant_id=grant_id).filter(
        ~Q(status=GrantStatus.ACTIVE) | Q(expires_at__lte=now)
    )


@dataclass(frozen=True)
class PackageLicenseState:
    """What of a package's license still runs, and whether a newer version replaced the
    package: computed once per package, not per file."""

    has_running_items: bool
    last_expiry: datetime | None  # when the last item ended (all ended) or ends
    blocked_shard_ids: frozenset[int]
    blocked_expired: bool  # the blocked shards hold items that expired (not only refunds)
    is_replaced: bool  # a newer version of the package is ready


def package_license_state(package: Package, *, now: datetime | None = None):
    now = now or timezone.now()
    grant_id = package.order.license_grant_id
    items = LicenseGrantItem.objects.filter(grant_id=grant_id)
    ended = _not_running(grant_id, now)
    refs = {ref: status for ref, status in ended.values_list("item_ref", "status")}
    order_item_ids = [int(ref.split(":", 1)[1]) for ref in refs if ref.startswith("order_item:")]
    blocked = PackageItem.objects.filter(package=package, order_item_id__in=order_item_ids)
    return PackageLicenseState(
        has_running_items=items.exclude(id__in=ended.values("id")).exists(),
        last_expiry=items.exclude(status=GrantStatus.REVOKED).aggregate(m=Max("expires_at"))["m"],
        blocked_shard_ids=frozenset(blocked.values_list("shard_id", flat=True)),
        blocked_expired=any(s != GrantStatus.REVOKED for s in refs.values()),
        is_replaced=package.order.packages.filter(
            status=PackageStatus.READY, version__gt=package.version
        ).exists(),
    )


def license_ended_message(last_expiry: datetime | None) -> str:
    if last_expiry is None:
        return "This license was revoked: nothing in it may be downloaded."
    return (
        f"This license expired on {timezone.localtime(last_expiry):%-d %b %Y}; renew to "
        "download again."
    )


def file_state(package_file: PackageFile, *, license_state=None) -> FileState:
    """Whether one file may be downloaded now. Once no item of the license runs, the whole
    package stops; before that, a shard holding an item whose license ended stops, and a rebuild
    delivers what is still licensed."""
    package = package_file.package
    if package.status != PackageStatus.READY:
        return FileState(package_file, False, "The package is still being built.")
    state = license_state or package_license_state(package)
    if not state.has_running_items:
        return FileState(package_file, False, license_ended_message(state.last_expiry))
    holds_items = package_file.kind in (PackageFileKind.SHARD, PackageFileKind.TEXT)
    if holds_items and package_file.id in state.blocked_shard_ids:
        renew = " or renew the license to get them back" if state.blocked_expired else ""
        return FileState(
            package_file,
            False,
            "Some items in this shard are no longer licensed (expired or refunded): rebuild "
            f"the package to download what is still licensed{renew}.",
        )
    if state.is_replaced:
        return FileState(package_file, False, "A newer version of this package replaced it.")
    return FileState(package_file, True)


@dataclass(frozen=True)
class PackageDownloads:
    """What of a package its team may download now: every file with whether it may be fetched
    and why not, and `unavailable_reason`, why nothing at all may be (the team is restricted,
    or the license ended), empty otherwise."""

    package: Package
    files: tuple[FileState, ...]
    unavailable_reason: str

    @property
    def downloadable_files(self) -> list[PackageFile]:
        return [f.file for f in self.files if f.is_available]


# Shards first, then what describes them.
_FILE_ORDER = {"shard": 0, "text": 0, "index": 1, "croissant": 2, "manifest": 3, "license": 4}


def package_downloads(*, package: Package, now: datetime | None = None) -> PackageDownloads:
    """Whether each file of the package may be downloaded now: none at all while the team is
    restricted (the reason says what lifts it) or once no item of the license runs."""
    listed = sorted(
        package.files.all(),
        key=lambda f: (_FILE_ORDER.get(f.kind, 9), f.shard_index or 0, f.name),
    )
    restriction = team_restriction(organization=package.order.organization, now=now)
    if restriction is not None:
        paused = restriction.downloads_paused
        return PackageDownloads(package, tuple(FileState(f, False, paused) for f in listed), paused)
    if not listed:
        return PackageDownloads(package, (), "")
    license_state = package_license_state(package, now=now)
    files = tuple(file_state(f, license_state=license_state) for f in listed)
    if not license_state.has_running_items:
        return PackageDownloads(package, files, license_ended_message(license_state.last_expiry))
    return PackageDownloads(package, files, "")
