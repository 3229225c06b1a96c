"""Accounts linked to the uploader by a shared identifier, weighed by what is known of them.

Identifiers used:
- the IP addresses recorded on the account's consent records (licensing.ConsentRecord), which
  are the only network addresses Assent keeps;
- the same original file (SHA-256) among the works of both accounts.
Payout details are not compared: a Stripe Connect account id is unique per creator and the bank
details behind it stay with Stripe, whose own checks see them."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from licensing.models import ConsentRecord
from moderation.models import AccountBan, SignalKind
from moderation.policy import WEIGHTS
from moderation.signals.base import Finding, ScreeningContext
from uploads.models import Work, WorkStatus

MAX_LINKED = 20


def _shared_ip_accounts(owner_id: int) -> dict[int, set[str]]:
    ips = set(
        ConsentRecord.objects.filter(user_id=owner_id)
        .exclude(ip_address=None)
        .values_list("ip_address", flat=True)[:200]
    )
    linked: dict[int, set[str]] = {}
    rows = ConsentRecord.objects.filter(ip_address__in=ips).exclude(user_id=owner_id)
    for user_id, ip in rows.values_list("user_id", "ip_address").distinct()[:500]:
        linked.setdefault(user_id, set()).add(f"ip {ip}")
    return linked


def _shared_file_accounts(owner_id: int) -> dict[int, set[str]]:
    hashes = Work.objects.filter(owner_id=owner_id).values("sha256")
    rows = Work.objects.filter(sha256__in=hashes).exclude(owner_id=owner_id)
    linked: dict[int, set[str]] = {}
    for user_id, sha in rows.values_list("owner_id", "sha256")[:500]:
        linked.setdefault(user_id, set()).add(f"file {sha[:12]}")
    return linked


def linked_account_findings(context: ScreeningContext) -> list[Finding]:
    owner_id = context.owner.id
    linked = _shared_ip_accounts(owner_id)
    for user_id, shared in _shared_file_accounts(owner_id).items():
        linked.setdefault(user_id, set()).update(shared)
    if not linked:
        return []
    ids = sorted(linked)[:MAX_LINKED]
    banned = set(
        AccountBan.objects.filter(user_id__in=ids, lifted_at=None).values_list("user_id", flat=True)
    )
    refused = set(
        Work.objects.filter(
            owner_id__in=ids, status__in=[WorkStatus.REJECTED, WorkStatus.REMOVED]
        ).values_list("owner_id", flat=True)
    )
    emails = dict(get_user_model().objects.filter(id__in=ids).values_list("id", "email"))
    findings = []
    for user_id in ids:
        if user_id in banned:
            weight, state = WEIGHTS["linked_banned"], "a banned account"
        elif user_id in refused:
            weight, state = WEIGHTS["linked_rejected"], "an account whose uploads were refused"
        else:
            weight, state = WEIGHTS["linked_plain"], "another account"
        findings.append(
            Finding(
                kind=SignalKind.LINKED_ACCOUNT,
                subject=f"account:{user_id}",
                weight=weight,
                summary=f"The account shares identifiers with {state}.",
                evidence={
                    "account_id": user_id,
                    "email": emails.get(user_id, ""),
                    "shared": sorted(linked[user_id])[:20],
                    "banned": user_id in banned,
                },
            )
        )
    return findings
