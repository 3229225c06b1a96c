"""Copies of text: another account's work with the same words once normalized (other line
breaks, case, punctuation or file format: `Work.text_sha256`), and one whose MinHash signature
says most of its word shingles are shared (a lightly edited copy)."""

from __future__ import annotations

from moderation.models import SignalKind
from moderation.neardup.text import text_matches
from moderation.policy import WEIGHTS
from moderation.signals.base import Finding, ScreeningContext
from moderation.signals.duplicates import copy_evidence, copy_weight, status_words
from uploads.models import Work, WorkKind, WorkStatus
from uploads.text.fingerprint import from_bytes

MAX_MATCHES = 20


def _others(work: Work):
    # Own works are re-uploads, and the same bytes are the exact check's (duplicates.py).
    return (
        Work.objects.exclude(owner_id=work.owner_id)
        .exclude(sha256=work.sha256)
        .exclude(status__in=[WorkStatus.PROCESSING, WorkStatus.FAILED])
        .select_related("owner")
    )


def exact_text_findings(work: Work) -> list[Finding]:
    if not work.text_sha256:
        return []
    findings = []
    for other in _others(work).filter(text_sha256=work.text_sha256).order_by("id")[:MAX_MATCHES]:
        evidence = copy_evidence(work, other)
        earlier = evidence["other_is_earlier"]
        summary = (
            f"Another account uploaded the same text earlier ({status_words(other)})."
            if earlier
            else "Another account uploaded the same text later."
        )
        findings.append(
            Finding(
                kind=SignalKind.EXACT_DUPLICATE,
                subject=f"work:{other.id}",
                weight=copy_weight(work, other, WEIGHTS["exact_text_duplicate"]),
                summary=summary,
                related_work_id=other.id,
                distance=0,
                evidence={
                    "medium": WorkKind.TEXT,
                    "matched_by": "normalized text",
                    "text_sha256": work.text_sha256,
                    # Read by the policy's hard rule, as for the same bytes.
                    "other_listed": earlier and other.status == WorkStatus.LISTED,
                    **evidence,
                },
            )
        )
    return findings


def near_text_findings(work: Work) -> list[Finding]:
    if not work.text_minhash:
        return []
    signature = from_bytes(bytes(work.text_minhash))
    matches = {m.key: m.similarity for m in text_matches(signature, exclude_work_id=work.id)}
    others = _others(work).filter(id__in=matches)
    if work.text_sha256:
        others = others.exclude(text_sha256=work.text_sha256)  # the same words: exact above
    findings = []
    for other in others.order_by("id")[:MAX_MATCHES]:
        evidence = copy_evidence(work, other)
        summary = (
            f"Most of its text is in a work another account uploaded earlier, now "
            f"{status_words(other)}."
            if evidence["other_is_earlier"]
            else "Another account uploaded a text that shares most of its wording later."
        )
        findings.append(
            Finding(
                kind=SignalKind.NEAR_DUPLICATE,
                subject=f"work:{other.id}",
                weight=copy_weight(work, other, WEIGHTS["near_duplicate_text"]),
                summary=summary,
                related_work_id=other.id,
                evidence={
                    "medium": WorkKind.TEXT,
                    "similarity": round(matches[other.id], 3),
                    **evidence,
                },
            )
        )
    return findings


def text_findings(context: ScreeningContext) -> list[Finding]:
    work = context.work
    if work.kind != WorkKind.TEXT:
        return []
    return [*exact_text_findings(work), *near_text_findings(work)]
