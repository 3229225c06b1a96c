"""Copies: the same bytes as another account's work, a near copy (PDQ, any flip or rotation) of
any work on the platform whatever its status, a match with the known-stolen registry, and many
near-identical uploads inside one account (a flood)."""

from __future__ import annotations

from django.conf import settings

from moderation.models import KnownStolenWork, SignalKind
from moderation.policy import WEIGHTS
from moderation.signals.base import Finding, ScreeningContext
from uploads.models import Work, WorkStatus

# The earlier upload is presumed the original: a copy found among later uploads of other accounts
# is shown to staff but weighs little against this work.
LATER_COPY_WEIGHT = 10

_STATUS_WORDS = {
    WorkStatus.LISTED: "listed",
    WorkStatus.PENDING_REVIEW: "waiting for review",
    WorkStatus.REJECTED: "rejected",
    WorkStatus.REMOVED: "removed",
}


def _is_earlier(other: Work, work: Work) -> bool:
    return (other.created_at, other.id) < (work.created_at, work.id)


def exact_duplicate_findings(context: ScreeningContext) -> list[Finding]:
    work = context.work
    findings = []
    others = Work.objects.filter(sha256=work.sha256).exclude(owner_id=work.owner_id)
    for other in others.exclude(status__in=[WorkStatus.PROCESSING, WorkStatus.FAILED])[:20]:
        earlier = _is_earlier(other, work)
        words = _STATUS_WORDS.get(other.status, other.status)
        summary = (
            f"Another account uploaded exactly the same file earlier ({words})."
            if earlier
            else "Another account uploaded exactly the same file later."
        )
        findings.append(
            Finding(
                kind=SignalKind.EXACT_DUPLICATE,
                subject=f"work:{other.id}",
                weight=WEIGHTS["exact_duplicate"] if earlier else LATER_COPY_WEIGHT,
                summary=summary,
                related_work_id=other.id,
                distance=0,
                evidence={
                    "sha256": work.sha256,
                    "other_work_id": other.id,
                    "other_owner_id": other.owner_id,
                    "other_status": other.status,
                    "other_is_earlier": earlier,
                    "other_listed": earlier and other.status == WorkStatus.LISTED,
                },
            )
        )
    return findings


def known_stolen_findings(context: ScreeningContext) -> list[Finding]:
    work = context.work
    hits: dict[int, tuple[int, str]] = {}  # stolen id -> (distance, how)
    for match in context.near_matches:
        if match.source == "stolen":
            hits[match.id] = min(hits.get(match.id, (999, "")), (match.distance, "pdq"))
    for stolen_id in (
        KnownStolenWork.objects.filter(sha256=work.sha256)
        .exclude(sha256="")
        .values_list("id", flat=True)
    ):
        hits[stolen_id] = (0, "sha256")
    return [
        Finding(
            kind=SignalKind.KNOWN_STOLEN,
            subject=f"stolen:{stolen_id}",
            weight=WEIGHTS["known_stolen"],
            distance=distance,
            summary="It matches a work registered as stolen from its owner.",
            evidence={"known_stolen_id": stolen_id, "distance": distance, "matched_by": how},
        )
        for stolen_id, (distance, how) in sorted(hits.items())
    ]


def _matched_works(context: ScreeningContext) -> list[tuple[Work, int, int]]:
    best: dict[int, tuple[int, int]] = {}
    for match in context.near_matches:
        if match.source == "work":
            current = best.get(match.id)
            if current is None or match.distance < current[0]:
                best[match.id] = (match.distance, match.query_index)
    works = Work.objects.filter(id__in=best).only(
        "id", "owner_id", "status", "created_at", "sha256"
    )
    return [(w, *best[w.id]) for w in works]


# Which transformation of the upload matched, in pdqhash's dihedral order.
VARIANTS = (
    "as is",
    "rotated 90°",
    "rotated 180°",
    "rotated 270°",
    "flipped left-right",
    "flipped top-bottom",
    "transposed",
    "transversed",
)


def near_duplicate_findings(context: ScreeningContext) -> list[Finding]:
    work = context.work
    close = settings.MODERATION_NEAR_CLOSE_DISTANCE
    findings = []
    for other, distance, variant in _matched_works(context):
        if other.owner_id == work.owner_id or other.sha256 == work.sha256:
            continue  # own works are the flood check; same bytes are the exact check
        earlier = _is_earlier(other, work)
        if not earlier:
            weight = LATER_COPY_WEIGHT
        else:
            weight = WEIGHTS["near_duplicate_close" if distance <= close else "near_duplicate"]
        words = _STATUS_WORDS.get(other.status, other.status)
        how = "" if variant == 0 else f" ({VARIANTS[variant]})"
        summary = (
            f"It looks like a picture another account uploaded earlier{how}, now {words}."
            if earlier
            else f"Another account uploaded a picture that looks like it later{how}."
        )
        findings.append(
            Finding(
                kind=SignalKind.NEAR_DUPLICATE,
                subject=f"work:{other.id}",
                weight=weight,
                summary=summary,
                related_work_id=other.id,
                distance=distance,
                evidence={
                    "other_work_id": other.id,
                    "other_owner_id": other.owner_id,
                    "other_status": other.status,
                    "other_is_earlier": earlier,
                    "distance": distance,
                    "variant": VARIANTS[variant],
                },
            )
        )
    return findings


def flood_findings(context: ScreeningContext) -> list[Finding]:
    work = context.work
    own = sorted(
        (other.id, distance)
        for other, distance, _ in _matched_works(context)
        if other.owner_id == work.owner_id
    )
    if len(own) < settings.MODERATION_FLOOD_MIN_SIMILAR:
        return []
    return [
        Finding(
            kind=SignalKind.FLOOD,
            subject="account",
            weight=WEIGHTS["flood"],
            summary=f"The same account uploaded {len(own)} other near-identical pictures.",
            evidence={
                "similar_work_ids": [i for i, _ in own[:100]],
                "count": len(own),
                "distances": [d for _, d in own[:100]],
            },
        )
    ]


def duplicate_findings(context: ScreeningContext) -> list[Finding]:
    return [
        *exact_duplicate_findings(context),
        *known_stolen_findings(context),
        *near_duplicate_findings(context),
        *flood_findings(context),
    ]


def copy_evidence(work: Work, other: Work) -> dict:
    """What every copy signal says about the other work (audio and text use it too)."""
    earlier = _is_earlier(other, work)
    return {
        "other_work_id": other.id,
        "other_title": other.title[:200],
        "other_owner_id": other.owner_id,
        "other_owner": other.owner.email,
        "other_status": other.status,
        "other_is_earlier": earlier,
    }


def copy_weight(work: Work, other: Work, weight: int) -> int:
    return weight if _is_earlier(other, work) else LATER_COPY_WEIGHT


def status_words(other: Work) -> str:
    return _STATUS_WORDS.get(other.status, other.status)
