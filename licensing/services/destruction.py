"""Destruction of models trained on `destroy-models` items: a team owner's signed attestation
(append-only, HMAC-signed statement, optional hostile-until-proven evidence file), what it
releases (items destroyed, the holdback through `registry.destruction_met`, creators told), and
the sweeps for teams that do not attest in time (overdue: items breached, team restricted,
staff case; forfeit: the holdback goes to the creators)."""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.models import Membership, MembershipRole, Organization
from accounts.services.notifications import notify
from common.dates import day_text
from config.errors import ApplicationError
from licensing import registry
from licensing.models import (
    DestructionAttestation,
    DutyOutcome,
    GrantStatus,
    LicenseGrantItem,
    ModelDeclaration,
    ModelDeclarationItem,
)
from licensing.selectors.status import (
    ModelStatus,
    declaration_state,
    grace,
    overdue_candidates,
    requires_destruction,
    team_overdue_declarations,
)
from licensing.services.duties import duties_settle_on_commit
from licensing.services.expiry import grant_status_sync, license_url, team_members
from uploads import storage
from uploads.services.intake import display_filename

logger = logging.getLogger(__name__)


EVIDENCE_MAX_BYTES = getattr(settings, "LICENSE_EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)


METHOD_MAX = 2000


SIGNING_SALT = "assent.licensing.destruction-attestation.v1"


# A date typed on the far side of the date line may be "tomorrow" in UTC.
LATEST_TIME_ZONE = timedelta(hours=14)


def attestation_sign(statement: str, *, secret: str | None = None) -> str:
    """HMAC-SHA256 of the exact statement, keyed by a key derived from SECRET_KEY."""
    return salted_hmac(SIGNING_SALT, statement, secret=secret, algorithm="sha256").hexdigest()


def attestation_verify(attestation: DestructionAttestation) -> bool:
    """Does the stored signature match the stored statement? (A rotated SECRET_KEY stays
    verifiable through SECRET_KEY_FALLBACKS.)"""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(
        constant_time_compare(
            attestation_sign(attestation.statement, secret=s), attestation.signature
        )
        for s in secrets
    )


def attestation_statement(
    *,
    declaration: ModelDeclaration,
    user,
    destroyed_on: date | str,
    method: str,
    evidence_filename: str = "",
    evidence_sha256: str = "",
    signed_at: datetime | str,
) -> str:
    """The exact text the owner signs: who, when, which model, how, and the evidence's hash.
    (The attestation page previews it with placeholders in place of the values.)"""
    if isinstance(destroyed_on, date):
        destroyed_on = destroyed_on.isoformat()
    if isinstance(signed_at, datetime):
        signed_at = signed_at.astimezone(UTC).isoformat(timespec="seconds")
    who = user.get_full_name() if hasattr(user, "get_full_name") else ""
    who = f"{who} <{user.email}>" if who else user.email
    evidence = (
        f"Evidence: the file “{evidence_filename}”, SHA-256 {evidence_sha256}."
        if evidence_sha256
        else "Evidence: none attached."
    )
    return (
        f"I, {who}, an owner of the team “{declaration.organization.name}”, attest that the "
        f"model “{declaration.name}” version “{declaration.version}” (Assent model declaration "
        f"{declaration.uuid}), with every copy of its weights, checkpoints and derived models "
        f"trained on the licensed works, was destroyed on {destroyed_on}.\n"
        f"Method: {method}\n"
        f"{evidence}\n"
        f"Signed on Assent at {signed_at}."
    )


@dataclass(frozen=True)
class Evidence:
    data: bytes
    extension: str
    filename: str
    sha256: str


_SIGNATURES = [
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpg"),
]


_TEXT_CONTROLS = set(range(32)) - {9, 10, 12, 13}


def _is_plain_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not any(ord(ch) in _TEXT_CONTROLS or ord(ch) == 127 for ch in text)


def evidence_read(upload) -> Evidence:
    """Read at most the cap, and accept only a PDF, PNG, JPEG or plain UTF-8 text, decided from
    the bytes (never the name or the client's Content-Type)."""
    size = getattr(upload, "size", None)
    if size is not None and size > EVIDENCE_MAX_BYTES:
        raise _evidence_error("too_large")
    upload.seek(0)
    data = upload.read(EVIDENCE_MAX_BYTES + 1)
    if len(data) > EVIDENCE_MAX_BYTES:
        raise _evidence_error("too_large")
    if not data:
        raise _evidence_error("empty")
    extension = next((ext for sig, ext in _SIGNATURES if data.startswith(sig)), None)
    if extension is None and _is_plain_text(data):
        extension = "txt"
    if extension is None:
        raise _evidence_error("type")
    return Evidence(
        data,
        extension,
        display_filename(getattr(upload, "name", "")),
        hashlib.sha256(data).hexdigest(),
    )


def _evidence_error(kind: str) -> ApplicationError:
    mb = EVIDENCE_MAX_BYTES // (1024 * 1024)
    message = {
        "too_large": f"The evidence file is larger than {mb} MB.",
        "empty": "The evidence file is empty.",
        "type": "Evidence must be a PDF, PNG, JPEG or plain text file.",
    }[kind]
    code = {"too_large": "evidence_too_large", "empty": "evidence_empty", "type": "evidence_type"}[
        kind
    ]
    return ApplicationError(message, code=code, fields={"evidence": [message]})


def _check_owner(*, declaration: ModelDeclaration, user) -> None:
    role = (
        Membership.objects.filter(organization_id=declaration.organization_id, user_id=user.id)
        .values_list("role", flat=True)
        .first()
    )
    if role is None:
        raise ApplicationError("No such model.", code="not_found", status=404)
    if role != MembershipRole.OWNER:
        raise ApplicationError(
            "Only an owner of the team can attest that a model was destroyed.",
            code="not_owner",
            status=403,
        )


def _check_facts(*, declaration: ModelDeclaration, destroyed_on, method: str, now) -> str:
    if not isinstance(destroyed_on, date) or isinstance(destroyed_on, datetime):
        raise ApplicationError(
            "Give the date the model was destroyed.",
            code="invalid",
            fields={"destroyed_on": ["A date is required."]},
        )
    if destroyed_on > (now + LATEST_TIME_ZONE).date():
        raise ApplicationError(
            "The destruction date cannot be in the future.",
            code="invalid",
            fields={"destroyed_on": ["Not in the future."]},
        )
    if destroyed_on < declaration.training_started_on:
        raise ApplicationError(
            "The model cannot have been destroyed before its training started "
            f"({day_text(declaration.training_started_on)}).",
            code="invalid",
            fields={"destroyed_on": ["Before training started."]},
        )
    method = (method or "").strip()
    if not method:
        raise ApplicationError(
            "Say how the model was destroyed.", code="invalid", fields={"method": ["Required."]}
        )
    if len(method) > METHOD_MAX:
        raise ApplicationError(
            f"Keep the method under {METHOD_MAX} characters.",
            code="invalid",
            fields={"method": ["Too long."]},
        )
    return method


def destruction_attest(
    *,
    declaration: ModelDeclaration,
    user,
    destroyed_on: date,
    method: str,
    evidence_file=None,
    ip_address: str | None = None,
    user_agent: str = "",
    now: datetime | None = None,
) -> DestructionAttestation:
    """Record a team owner's signed statement that this declared model was destroyed. A second
    attestation is kept (the history is append-only) but releases nothing more."""
    now = now or timezone.now()
    _check_owner(declaration=declaration, user=user)
    method = _check_facts(
        declaration=declaration, destroyed_on=destroyed_on, method=method, now=now
    )
    evidence = evidence_read(evidence_file) if evidence_file else None
    attestation_uuid = uuid.uuid4()
    stored, committed = "", []
    if evidence is not None:
        stored = storage.store(
            f"attestations/{declaration.uuid}/{attestation_uuid}.{evidence.extension}",
            evidence.data,
        )
    try:
        with transaction.atomic():
            declaration = (
                ModelDeclaration.objects.select_for_update(of=("self",))
                .select_related("organization")
                .filter(id=declaration.id)
                .first()
            )
            if declaration is None:  # withdrawn meanwhile
                raise ApplicationError("No such model.", code="not_found", status=404)
            statement = attestation_statement(
                declaration=declaration,
                user=user,
                destroyed_on=destroyed_on,
                method=method,
                evidence_filename=evidence.filename if evidence else "",
                evidence_sha256=evidence.sha256 if evidence else "",
                signed_at=now,
            )
            attestation = DestructionAttestation.objects.create(
                uuid=attestation_uuid,
                declaration=declaration,
                attested_by=user,
                attested_at=now,
                destroyed_on=destroyed_on,
                method=method,
                evidence=stored,
                evidence_filename=evidence.filename if evidence else "",
                evidence_sha256=evidence.sha256 if evidence else "",
                statement=statement,
                signature=attestation_sign(statement),
                ip_address=_valid_ip(ip_address),
                user_agent=(user_agent or "")[:400],
            )
            released = _items_destroyed(declaration=declaration, now=now)
            _tell_creators_attested(declaration=declaration, attestation=attestation)
            transaction.on_commit(lambda: committed.append(True))
            # The holdback is released after commit; a failing hook is logged and retried by
            # the sweep, and must not make a recorded attestation look failed.
            duties_settle_on_commit(i.id for i in released)
    except BaseException:
        if not committed:
            storage.delete_quietly([stored])  # no orphan evidence file when no row is made
        raise
    return attestation


def _valid_ip(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(value)) if value else None
    except ValueError:
        return None


def _items_destroyed(*, declaration: ModelDeclaration, now: datetime) -> list[LicenseGrantItem]:
    """Expired destroy-models items of this model whose every declared model is now attested
    destroyed become `destroyed` (a late attestation lifts `breached` too)."""
    candidates = [
        i
        for i in declaration.items.select_for_update(of=("self",)).filter(
            # ACTIVE too: an item past its expiry the hourly sweep has not reached yet.
            status__in=[
                GrantStatus.ACTIVE,
                GrantStatus.DESTRUCTION_DUE,
                GrantStatus.BREACHED,
                GrantStatus.EXPIRED,
            ],
            expires_at__lte=now,
        )
        if requires_destruction(i)
    ]
    # One query for all candidates: the items still held by a declared model not yet attested.
    still_held = set(
        ModelDeclarationItem.objects.filter(
            grant_item_id__in=[i.id for i in candidates], declaration__attestations__isnull=True
        ).values_list("grant_item_id", flat=True)
    )
    released = [i for i in candidates if i.id not in still_held]
    if released:
        LicenseGrantItem.objects.filter(id__in=[i.id for i in released]).update(
            status=GrantStatus.DESTROYED
        )
        for grant_id in {i.grant_id for i in released}:
            grant_status_sync(grant_id)
    return released


def _tell_creators_attested(*, declaration: ModelDeclaration, attestation) -> None:
    by_creator: dict[int, list[LicenseGrantItem]] = defaultdict(list)
    for item in declaration.items.select_related("creator"):
        by_creator[item.creator_id].append(item)
    for items in by_creator.values():
        creator = items[0].creator
        titles = ", ".join(sorted({f"“{i.work_title}”" for i in items}))
        notify(
            user=creator,
            subject=f"{declaration.organization.name} attested a model destroyed",
            body=(
                f"The team {declaration.organization.name} attested that its model "
                f"{declaration.name} {declaration.version}, trained on your "
                f"work{'s' if len(items) != 1 else ''} {titles}, was destroyed on {day_text(attestation.destroyed_on)}.\n"
                f"Method: {attestation.method}"
            ),
            dedupe_key=f"attested:{declaration.uuid}:{creator.id}",
        )


@dataclass(frozen=True)
class OverdueResult:
    teams: int = 0
    declarations: int = 0
    items_breached: int = 0


def destruction_overdue_sweep(*, now: datetime | None = None) -> OverdueResult:
    """Teams with models overdue for a destruction attestation: their items are breached, the
    team (members and owners) and the creators are told once per model, and moderation hears
    of it (one staff case per team) after commit. The restriction itself is derived
    (status.team_is_restricted)."""
    now = now or timezone.now()
    org_ids = sorted(set(overdue_candidates(now=now).values_list("organization_id", flat=True)))
    teams = declarations_count = breached = 0
    for organization in Organization.objects.filter(id__in=org_ids).order_by("id"):
        overdue = team_overdue_declarations(organization, now=now)
        if not overdue:
            continue
        teams += 1
        declarations_count += len(overdue)
        with transaction.atomic():
            breached += _team_overdue(organization=organization, overdue=overdue, now=now)
            transaction.on_commit(
                partial(registry.team_overdue_send, organization.id, [d.id for d in overdue]),
                robust=True,
            )
    return OverdueResult(teams, declarations_count, breached)


def _team_overdue(*, organization, overdue: list[ModelDeclaration], now: datetime) -> int:
    breached = 0
    for declaration in overdue:
        state = declaration_state(declaration, now=now)
        due = [i for i in state.due_items if i.status != GrantStatus.DESTROYED]
        changed = LicenseGrantItem.objects.filter(id__in=[i.id for i in due]).exclude(
            status__in=[GrantStatus.BREACHED, GrantStatus.REVOKED, GrantStatus.DESTROYED]
        )
        grant_ids = set(changed.values_list("grant_id", flat=True))
        breached += changed.update(status=GrantStatus.BREACHED)
        for grant_id in grant_ids:
            grant_status_sync(grant_id)
        _tell_team_overdue(
            organization=organization, declaration=declaration, deadline=state.deadline
        )
        _tell_creators_overdue(
            organization=organization, declaration=declaration, items=state.due_items
        )
    return breached


def attest_url(declaration: ModelDeclaration) -> str:
    return f"/team/models/{declaration.uuid}/attest/"


def _tell_team_overdue(*, organization, declaration, deadline) -> None:
    body = (
        f"No owner of {organization.name} attested that the model {declaration.name} "
        f"{declaration.version} was destroyed by {day_text(timezone.localdate(deadline))}, as the terms of works it "
        "was trained on require. Until an owner attests it, the team cannot buy licenses or "
        "download files, and Assent staff have been told. The creators have been told too."
    )
    for user in team_members(organization.id):
        notify(
            user=user,
            subject=f"Overdue: attest that {declaration.name} was destroyed",
            body=body,
            url=attest_url(declaration),
            dedupe_key=f"overdue:{declaration.uuid}:{user.id}",
        )


def _tell_creators_overdue(*, organization, declaration, items) -> None:
    by_creator: dict[int, list[LicenseGrantItem]] = defaultdict(list)
    for item in items:
        by_creator[item.creator_id].append(item)
    for creator_id, group in by_creator.items():
        titles = ", ".join(sorted({f"“{i.work_title}”" for i in group}))
        notify(
            user=group[0].creator,
            subject=f"{organization.name} has not attested a model destroyed",
            body=(
                f"The license for {titles} ended and its terms require models trained on it to "
                f"be destroyed. The team {organization.name} has not attested that its model "
                f"{declaration.name} {declaration.version} was. The team is restricted and "
                "Assent staff are following it up."
            ),
            dedupe_key=f"overdue-creator:{declaration.uuid}:{creator_id}",
        )


def destruction_forfeit_sweep(*, now: datetime | None = None) -> list[str]:
    """Items still unattested `LICENSE_FORFEIT_AFTER_DAYS` after their destruction deadline:
    their duty is breached for good (recorded on the item, once), the creator is told, and the
    marketplace forfeits the holdback to them after commit. Returns the item refs forfeited."""
    now = now or timezone.now()
    cutoff = now - grace() - timedelta(days=settings.LICENSE_FORFEIT_AFTER_DAYS)
    due: dict[int, LicenseGrantItem] = {}
    for declaration in overdue_candidates(now=now):
        state = declaration_state(declaration, now=now)
        if state.status != ModelStatus.OVERDUE:
            continue
        for item in state.due_items:
            if item.expires_at < cutoff and item.status != GrantStatus.DESTROYED:
                due[item.id] = item
    if not due:
        return []
    forfeited: list[LicenseGrantItem] = []
    with transaction.atomic():
        undecided = (
            LicenseGrantItem.objects.filter(id__in=sorted(due), duty_outcome="")
            .select_for_update(of=("self",))
            .select_related("creator", "grant__organization")
        )
        for item in undecided:
            LicenseGrantItem.objects.filter(id=item.id).update(duty_outcome=DutyOutcome.BREACHED)
            notify(
                user=item.creator,
                subject=f"The holdback on “{item.work_title}” goes to you",
                body=(
                    f"The team {item.grant.organization.name} never attested that the models "
                    f"trained on “{item.work_title}” were destroyed. The part of the sale Assent "
                    "held back for that is added to your earnings."
                ),
                dedupe_key=f"license-forfeit:{item.item_ref}",
            )
            forfeited.append(item)
        duties_settle_on_commit(item.id for item in forfeited)
    return [item.item_ref for item in forfeited]


__all__ = [
    "attestation_sign",
    "attestation_statement",
    "attestation_verify",
    "destruction_attest",
    "destruction_forfeit_sweep",
    "destruction_overdue_sweep",
    "evidence_read",
    "license_url",
]
