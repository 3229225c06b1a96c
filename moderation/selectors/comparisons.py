"""What the case page shows between a held work and each work it matched: for pictures the PDQ
distance, for recordings the fingerprint agreement and where the two line up, for texts the
estimated shared wording and a word-level diff of their openings."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from moderation.diffs import OPENING_WORDS, WordDiff, opening, word_diff
from moderation.models import ScreeningSignal
from uploads import storage
from uploads.models import Work, WorkKind
from uploads.text.extract import extract_text

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Comparison:
    signal: ScreeningSignal
    medium: str  # WorkKind of the held work
    figure: str  # the headline number ("7", "94%"), "" when there is none
    figure_label: str
    alignment: str = ""  # audio: where the two recordings line up
    diff: WordDiff | None = None  # text: the two openings, word by word


def clock(seconds: float) -> str:
    total = round(abs(seconds))
    return f"{total // 60}:{total % 60:02d}"


def alignment_words(offset_seconds: float | None) -> str:
    """`offset_seconds` as audio signals record it: this upload's start is that far into the
    other track (negative: the other track's start is that far into this upload)."""
    if offset_seconds is None:
        return ""
    if round(offset_seconds) >= 0:
        return f"matches from {clock(offset_seconds)} in the other track"
    return f"the other track matches from {clock(offset_seconds)} in this upload"


def work_opening(work: Work, words: int = OPENING_WORDS) -> str:
    """The first words of a text work as uploaded (read from the original, as delivery reads
    it), or its public excerpt if the original cannot be read."""
    try:
        text = extract_text(storage.read(work.original.name), work.media_type).text
    except Exception:  # a vanished or unreadable original must not break the case page
        logger.warning("opening of text work %s unreadable; using the excerpt", work.id)
        text = work.excerpt
    return opening(text, words)


def _picture(signal: ScreeningSignal) -> Comparison:
    if signal.distance is None:
        return Comparison(signal, WorkKind.IMAGE, "", "")
    return Comparison(signal, WorkKind.IMAGE, str(signal.distance), "bits apart (of 256)")


def _recording(signal: ScreeningSignal) -> Comparison:
    evidence = signal.evidence or {}
    if "score" not in evidence:
        return Comparison(signal, WorkKind.AUDIO, "", "the same file")
    return Comparison(
        signal,
        WorkKind.AUDIO,
        f"{round(100 * float(evidence['score']))}%",
        "of the fingerprint agrees",
        alignment=alignment_words(evidence.get("offset_seconds")),
    )


def _text(held_opening: str, signal: ScreeningSignal) -> Comparison:
    evidence = signal.evidence or {}
    diff = word_diff(work_opening(signal.related_work), held_opening)
    if "similarity" in evidence:
        figure = f"{round(100 * float(evidence['similarity']))}%"
        label = "estimated shared wording (3-word phrases)"
    else:
        figure, label = "", "the same words" if evidence.get("text_sha256") else "the same file"
    return Comparison(signal, WorkKind.TEXT, figure, label, diff=diff)


def case_comparisons(*, work: Work, signals: list[ScreeningSignal]) -> list[Comparison]:
    """One comparison per signal that names another work, in the signals' order."""
    comparisons = []
    held_opening = None  # the held text read from storage once, however many it matches
    for signal in signals:
        if signal.related_work is None:
            continue
        if work.kind == WorkKind.AUDIO:
            comparisons.append(_recording(signal))
        elif work.kind == WorkKind.TEXT and signal.related_work.kind == WorkKind.TEXT:
            if held_opening is None:
                held_opening = work_opening(work)
            comparisons.append(_text(held_opening, signal))
        else:
            comparisons.append(_picture(signal))
    return comparisons
