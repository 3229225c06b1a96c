"""The screening policy: one place that turns a work's signals into a risk score and an outcome
(list, hold for review, reject). Signal modules take their weights from here; the thresholds are
settings (config/settings/base.py, "Moderation: screening policy").

Score: for each signal kind, the strongest weight found, summed over kinds and capped at 100 (five
near copies of one picture are one piece of evidence, not five).

Weights (0-100):
  known_stolen      100  matches the registry of known stolen works (hard rule: reject)
  exact_duplicate    60  same bytes (SHA-256) as another account's work (hard rule: reject when
                         that work is listed; otherwise held)
  near_duplicate     50  another account's work within MODERATION_NEAR_CLOSE_DISTANCE (PDQ, any of
                         the 8 flips/rotations); 35 up to the index threshold (NEARDUP_THRESHOLD)
  rights_mark        70  plus:DataMining DMI-PROHIBITED-SEECONSTRAINT naming an Assent license (a
                         re-upload of a copy we delivered); 35 other DMI-PROHIBITED* values or a
                         C2PA/CAWG training-mining `notAllowed`
  ai_undeclared      55  declared "none" but IPTC/C2PA digital source type trainedAlgorithmicMedia,
                         a generator's text chunk (A1111, ComfyUI, InvokeAI), an audio encoder or
                         comment tag naming an AI music or voice generator (Suno, Udio,
                         ElevenLabs...) or a text that gives itself away ("as an AI language
                         model"); 45 for EXIF Software / CreatorTool / C2PA claim generator of a
                         known generator or a composite-with-AI source type; 40 declared
                         "assisted" but the file says wholly generated
  author_mismatch    30  EXIF Artist/Copyright, XMP dc:creator/dc:rights or IPTC By-line (audio:
                         the artist or copyright tag; text: EPUB dc:creator or the front matter's
                         author) names someone other than the uploader (display name, email) and
                         the declared rights holder
  flood              35  MODERATION_FLOOD_MIN_SIMILAR or more of the account's own works within the
                         match threshold of this one
  velocity           30  a new account over MODERATION_NEW_ACCOUNT_MAX_PER_HOUR / _PER_DAY; 20 an
                         established one over MODERATION_MAX_PER_HOUR / _PER_DAY or a day above
                         MODERATION_HISTORY_BURST_FACTOR times its usual rate
  linked_account     40  shares an identifier with a banned account; 20 with an account whose works
                         were rejected or removed; 5 otherwise (shown to staff, never decisive)
  unchecked          40  an audio work processing could not fingerprint: screening could not look
                         for copies (held for a person whatever the score: never listed unseen)

Audio and text works use the same kinds: exact_duplicate 60 for another account's text with the
same normalized wording (Work.text_sha256; a copy with other line breaks, case or punctuation);
near_duplicate 50 for another account's recording that matches once aligned (Chromaprint score
>= uploads.audio.fingerprint.MATCH_SCORE: re-encoded, trimmed, gain-changed, a clip) or text whose
estimated shingle Jaccard is >= uploads.text.fingerprint.MATCH_SIMILARITY (a lightly edited copy).
The earlier upload is presumed the original, as for pictures.

Outcome: a hard rule first (known stolen, exact copy of a listed work, uploader banned → reject);
then score >= MODERATION_REJECT_SCORE → reject, >= MODERATION_HOLD_SCORE → hold, else list; a
work that could not be checked for copies is never listed by the machine (at least hold).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings

from moderation.models import Outcome, SignalKind

# Bump whenever a weight, a rule or a threshold's meaning changes; stored on every Screening.
POLICY_VERSION = "2026-12.1"

WEIGHTS = {
    "known_stolen": 100,
    "exact_duplicate": 60,
    "near_duplicate_close": 50,
    "near_duplicate": 35,
    "rights_licensed_copy": 70,
    "rights_prohibited": 35,
    "ai_generated_declared_none": 55,
    "ai_hint_declared_none": 45,
    "ai_generated_declared_assisted": 40,
    "author_mismatch": 30,
    "flood": 35,
    "velocity_new_account": 30,
    "velocity_established": 20,
    "linked_banned": 40,
    "linked_rejected": 20,
    "linked_plain": 5,
    "exact_text_duplicate": 60,
    "near_duplicate_audio": 50,
    "near_duplicate_text": 50,
    "unchecked": 40,
}

MAX_SCORE = 100
# Signals weaker than this (a plain shared identifier) are context for staff, not a reason
# given to the creator.
REASON_MIN_WEIGHT = 10


@dataclass(frozen=True)
class SignalView:
    """What the policy reads of a signal (a stored ScreeningSignal or a fresh finding)."""

    kind: str
    weight: int
    summary: str
    evidence: dict = field(default_factory=dict)


@dataclass
class Judgement:
    score: int
    outcome: str
    reasons: list[str]
    hard_rule: str = ""


def risk_score(signals: Iterable[SignalView]) -> int:
    strongest: dict[str, int] = {}
    for signal in signals:
        strongest[signal.kind] = max(strongest.get(signal.kind, 0), signal.weight)
    return min(MAX_SCORE, sum(strongest.values()))


def _hard_rule(signals: list[SignalView], *, uploader_banned: bool) -> str:
    if uploader_banned:
        return "The account that uploaded it is banned."
    for signal in signals:
        if signal.kind == SignalKind.KNOWN_STOLEN:
            return "It matches a work registered as stolen from its owner."
        if signal.kind == SignalKind.EXACT_DUPLICATE and signal.evidence.get("other_listed"):
            return "It is an exact copy of a work another account has listed."
    return ""


def _needs_person(signals: list[SignalView]) -> bool:
    # Screening that could not look for copies has cleared nothing: a person looks instead.
    return any(signal.kind == SignalKind.UNCHECKED for signal in signals)


def _reasons(signals: list[SignalView]) -> list[str]:
    # Strongest first, one line per kind: what the creator and staff read.
    seen, reasons = set(), []
    for signal in sorted(signals, key=lambda s: -s.weight):
        if signal.kind not in seen and signal.weight >= REASON_MIN_WEIGHT:
            seen.add(signal.kind)
            reasons.append(signal.summary)
    return reasons


def screening_judge(signals: Iterable[SignalView], *, uploader_banned: bool = False) -> Judgement:
    signals = list(signals)
    score = risk_score(signals)
    reasons = _reasons(signals)
    rule = _hard_rule(signals, uploader_banned=uploader_banned)
    if rule:
        return Judgement(
            score=max(score, settings.MODERATION_REJECT_SCORE),
            outcome=Outcome.REJECT,
            reasons=[rule, *[r for r in reasons if r != rule]],
            hard_rule=rule,
        )
    if score >= settings.MODERATION_REJECT_SCORE:
        outcome = Outcome.REJECT
    elif score >= settings.MODERATION_HOLD_SCORE or _needs_person(signals):
        outcome = Outcome.HOLD
    else:
        outcome = Outcome.LIST
    return Judgement(score=score, outcome=outcome, reasons=reasons)
