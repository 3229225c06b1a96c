"""Copies of audio: another account's recording that this one matches once aligned (re-encoded,
trimmed, gain-changed, or a clip of it), by Chromaprint fingerprint; and an audio work that
processing could not fingerprint, which screening cannot clear of being a copy."""

from __future__ import annotations

from moderation.models import SignalKind
from moderation.neardup.audio import audio_matches
from moderation.policy import WEIGHTS
from moderation.signals.base import Finding, ScreeningContext
from moderation.signals.duplicates import copy_evidence, copy_weight, status_words
from uploads.audio.fingerprint import FRAME_SECONDS, from_bytes
from uploads.models import Work, WorkKind


def _unchecked_finding(work: Work) -> Finding:
    error = str(((work.metadata or {}).get("errors") or {}).get("fingerprint") or "")
    return Finding(
        kind=SignalKind.UNCHECKED,
        subject="audio_fingerprint",
        weight=WEIGHTS["unchecked"],
        summary="It could not be checked for copies: its audio could not be fingerprinted.",
        evidence={"error": error[:200] or "no fingerprint was stored"},
    )


def _near_copy_finding(work: Work, other: Work, score: float, offset: int) -> Finding:
    evidence = copy_evidence(work, other)
    if evidence["other_is_earlier"]:
        words = status_words(other)
        summary = f"It sounds like a recording another account uploaded earlier, now {words}."
    else:
        summary = "Another account uploaded a recording that sounds like it later."
    return Finding(
        kind=SignalKind.NEAR_DUPLICATE,
        subject=f"work:{other.id}",
        weight=copy_weight(work, other, WEIGHTS["near_duplicate_audio"]),
        summary=summary,
        related_work_id=other.id,
        evidence={
            "medium": WorkKind.AUDIO,
            "score": round(score, 3),
            # Where the two line up: this upload's start is this far into the other track
            # (negative: the other track's start is that far into this upload).
            "offset_seconds": round(offset * FRAME_SECONDS, 1),
            **evidence,
        },
    )


def audio_findings(context: ScreeningContext) -> list[Finding]:
    work = context.work
    if work.kind != WorkKind.AUDIO:
        return []
    stored = bytes(work.audio_fingerprint or b"")
    if not stored:
        return [_unchecked_finding(work)]
    matches = {m.key: m for m in audio_matches(from_bytes(stored), exclude_work_id=work.id)}
    others = (
        Work.objects.filter(id__in=matches)
        .exclude(owner_id=work.owner_id)  # a creator's own re-upload is not a copy of anyone's
        .exclude(sha256=work.sha256)  # the same bytes are the exact check's
        .select_related("owner")
    )
    return [
        _near_copy_finding(work, other, matches[other.id].score, matches[other.id].offset)
        for other in others.order_by("id")[:20]
    ]
