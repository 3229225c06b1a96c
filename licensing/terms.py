"""License terms as a value object: what a model may do with a work, for how long, and what
happens at the end. Canonical form and hash make equal terms equal everywhere (offers, consent
records, license pages, delivered files), and `satisfies` is the one place that decides whether
an offer covers a buyer's intended use."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum


class Use(StrEnum):
    GENERATIVE = "ai-train-generative"
    NONGENERATIVE = "ai-train-nongenerative"
    FINE_TUNE = "ai-fine-tune"
    EVALUATE = "ai-evaluate"
    INPUT = "ai-input"


# Each use as one bit, so "does the offer permit every intended use" is one integer test the
# database can answer on PostgreSQL and SQLite alike: offer_mask & wanted == wanted.
USE_BITS = {use: 1 << i for i, use in enumerate(Use)}


def uses_mask(uses) -> int:
    return sum(USE_BITS[Use(u)] for u in set(uses))


USE_LABELS = {
    Use.GENERATIVE: "train generative models",
    Use.NONGENERATIVE: "train non-generative models (classifiers, embeddings, detectors)",
    Use.FINE_TUNE: "fine-tune existing models",
    Use.EVALUATE: "evaluate and benchmark models",
    Use.INPUT: "use as model input (retrieval, reference at inference time)",
}


# Short names of the uses, for lists in sentences (notifications, a sale's terms in words).
USE_NAMES = {
    Use.GENERATIVE: "generative training",
    Use.NONGENERATIVE: "non-generative training",
    Use.FINE_TUNE: "fine-tuning",
    Use.EVALUATE: "evaluation",
    Use.INPUT: "model input",
}


def uses_in_words(uses) -> str:
    """ "generative training, fine-tuning and evaluation": the uses in the vocabulary's order,
    as people say them. A slug the vocabulary does not know (an old row) is shown as it is."""
    known = [USE_NAMES[use] for use in Use if use in {str(u) for u in uses}]
    unknown = sorted(str(u) for u in uses if str(u) not in set(Use))
    names = known + unknown
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


class OnExpiry(StrEnum):
    DESTROY_MODELS = "destroy-models"
    STOP_TRAINING = "stop-training"


# What happens at the end of the term, as a clause ("…; 1 year; models destroyed at expiry").
ON_EXPIRY_WORDS = {
    OnExpiry.DESTROY_MODELS: "models destroyed at expiry",
    OnExpiry.STOP_TRAINING: "training stops at expiry",
}


MIN_TERM_MONTHS, MAX_TERM_MONTHS = 1, 120


class TermsError(ValueError):
    """Terms that cannot exist; the message says which field and why."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


@dataclass(frozen=True)
class LicenseTerms:
    uses: frozenset[Use]
    commercial: bool
    term_months: int
    on_expiry: OnExpiry
    attribution_required: bool = False

    def __post_init__(self) -> None:
        try:
            uses = frozenset(Use(u) for u in self.uses)
        except ValueError as exc:
            raise TermsError("uses", f"Unknown use: {exc}. Choose from {', '.join(Use)}.") from exc
        if not uses:
            raise TermsError("uses", "Allow at least one use.")
        object.__setattr__(self, "uses", uses)
        if isinstance(self.term_months, bool) or not isinstance(self.term_months, int):
            raise TermsError("term_months", "The term is a whole number of months.")
        if not MIN_TERM_MONTHS <= self.term_months <= MAX_TERM_MONTHS:
            raise TermsError(
                "term_months",
                f"The term must be {MIN_TERM_MONTHS} to {MAX_TERM_MONTHS} months.",
            )
        try:
            object.__setattr__(self, "on_expiry", OnExpiry(self.on_expiry))
        except ValueError as exc:
            raise TermsError("on_expiry", "At expiry: destroy-models or stop-training.") from exc
        for name in ("commercial", "attribution_required"):
            if not isinstance(getattr(self, name), bool):
                raise TermsError(name, f"{name} is true or false.")

    # --- Canonical form -------------------------------------------------------------------

    def canonical(self) -> dict:
        return {
            "attribution_required": self.attribution_required,
            "commercial": self.commercial,
            "on_expiry": str(self.on_expiry),
            "term_months": self.term_months,
            "uses": sorted(str(u) for u in self.uses),
        }

    def canonical_json(self) -> str:
        return json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"))

    @property
    def hash(self) -> str:
        """Stable across processes and versions: SHA-256 of the canonical JSON."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()

    @classmethod
    def from_dict(cls, data: dict) -> LicenseTerms:
        if not isinstance(data, dict):
            raise TermsError("terms", "Terms are an object.")
        uses = data.get("uses")
        if isinstance(uses, str) or not isinstance(uses, list | tuple | set | frozenset):
            raise TermsError("uses", "uses is a list.")
        return cls(
            uses=frozenset(uses),
            commercial=data.get("commercial"),
            term_months=data.get("term_months"),
            on_expiry=data.get("on_expiry"),
            attribution_required=data.get("attribution_required", False),
        )

    # --- Reading it -----------------------------------------------------------------------

    @property
    def requires_destruction(self) -> bool:
        return self.on_expiry == OnExpiry.DESTROY_MODELS

    @property
    def is_generative(self) -> bool:
        return Use.GENERATIVE in self.uses

    def term_label(self) -> str:
        years, months = divmod(self.term_months, 12)
        if months == 0:
            return f"{years} year{'s' if years != 1 else ''}"
        return f"{self.term_months} month{'s' if self.term_months != 1 else ''}"


@dataclass(frozen=True)
class IntendedUse:
    """What a buyer will do: the uses, whether commercially, for how many months, and whether
    they can destroy models at the end (a team that cannot only matches `stop-training`)."""

    uses: frozenset[Use]
    commercial: bool
    months_needed: int
    can_destroy_models: bool = True
    extra: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        try:
            uses = frozenset(Use(u) for u in self.uses)
        except ValueError as exc:
            raise TermsError("use", f"Unknown use: {exc}. Choose from {', '.join(Use)}.") from exc
        if not uses:
            raise TermsError("use", "Say at least one intended use.")
        object.__setattr__(self, "uses", uses)
        months = self.months_needed
        if isinstance(months, bool) or not isinstance(months, int):
            raise TermsError("term_months", "Months needed is a whole number.")
        if not MIN_TERM_MONTHS <= months <= MAX_TERM_MONTHS:
            raise TermsError("term_months", "Months needed must be 1 to 120.")
        for name in ("commercial", "can_destroy_models"):
            if not isinstance(getattr(self, name), bool):
                raise TermsError(name, f"{name} is true or false.")


def satisfies(terms: LicenseTerms, intended: IntendedUse) -> bool:
    """Does an offer on these terms cover this intended use? Every intended use must be
    permitted, commercial use only where allowed, the needed months within the term, and a
    buyer who cannot destroy models only gets terms that do not require it."""
    return (
        intended.uses <= terms.uses
        and (terms.commercial or not intended.commercial)
        and intended.months_needed <= terms.term_months
        and (intended.can_destroy_models or not terms.requires_destruction)
    )


@dataclass(frozen=True)
class Preset:
    key: str
    name: str
    description: str
    terms: LicenseTerms


PRESETS: dict[str, Preset] = {
    preset.key: preset
    for preset in [
        Preset(
            "generative-commercial-3y",
            "Generative, commercial, 3 years",
            "Any model may learn from it, including image generators, for commercial products; "
            "every model trained on it is destroyed after 3 years.",
            LicenseTerms(frozenset(Use), True, 36, OnExpiry.DESTROY_MODELS, True),
        ),
        Preset(
            "nongenerative-research-5y",
            "Non-generative research, 5 years",
            "Classifiers, embeddings and detectors, not for commercial use; training stops "
            "after 5 years.",
            LicenseTerms(
                frozenset({Use.NONGENERATIVE, Use.EVALUATE}), False, 60, OnExpiry.STOP_TRAINING
            ),
        ),
        Preset(
            "evaluation-1y",
            "Evaluation only, 1 year",
            "Only to test and benchmark models, commercially or not; no training.",
            LicenseTerms(frozenset({Use.EVALUATE}), True, 12, OnExpiry.STOP_TRAINING),
        ),
        Preset(
            "fine-tune-commercial-2y",
            "Fine-tuning, commercial, 2 years",
            "Adapting existing models (not training new ones from scratch) for commercial use; "
            "models destroyed after 2 years.",
            LicenseTerms(
                frozenset({Use.FINE_TUNE, Use.EVALUATE}), True, 24, OnExpiry.DESTROY_MODELS, True
            ),
        ),
    ]
}
