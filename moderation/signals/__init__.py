"""Screening signals: each module finds one family of evidence about a work and returns
`Finding`s; `signals_compute` runs them all and `signals_store` writes them (one row per work,
kind and subject; a re-screen replaces the set, it never adds a second copy)."""

from __future__ import annotations

from django.db import transaction

from moderation.models import ScreeningSignal
from moderation.signals.audio import audio_findings
from moderation.signals.base import Finding, ScreeningContext
from moderation.signals.duplicates import duplicate_findings
from moderation.signals.generation import ai_findings
from moderation.signals.linked import linked_account_findings
from moderation.signals.rights import rights_findings
from moderation.signals.text import text_findings
from moderation.signals.velocity import velocity_findings

__all__ = ["Finding", "ScreeningContext", "signals_compute", "signals_store"]

FAMILIES = (
    duplicate_findings,  # exact, near, known stolen, flood (near and flood: pictures)
    audio_findings,  # near copies of recordings; a recording that could not be checked
    text_findings,  # the same words normalized; near copies of texts
    ai_findings,
    rights_findings,  # do-not-train marks and author mismatch
    velocity_findings,
    linked_account_findings,
)


def signals_compute(*, context: ScreeningContext) -> list[Finding]:
    findings: list[Finding] = []
    for family in FAMILIES:
        findings.extend(family(context))
    return findings


def signals_store(*, work, findings: list[Finding]) -> list[ScreeningSignal]:
    """Upsert by (work, kind, subject) and drop what this screening no longer found (a known
    stolen entry withdrawn, a matched work deleted), so the rows are the current evidence."""
    with transaction.atomic():
        kept = []
        for finding in findings:
            signal, _ = ScreeningSignal.objects.update_or_create(
                work=work,
                kind=finding.kind,
                subject=finding.subject,
                defaults={
                    "weight": finding.weight,
                    "summary": finding.summary[:500],
                    "evidence": finding.evidence,
                    "related_work_id": finding.related_work_id,
                    "distance": finding.distance,
                },
            )
            kept.append(signal.id)
        ScreeningSignal.objects.filter(work=work).exclude(id__in=kept).delete()
    return list(ScreeningSignal.objects.filter(work=work))
