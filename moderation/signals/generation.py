"""AI-generation evidence against the creator's declaration: IPTC / C2PA digital source types,
generator text chunks (AUTOMATIC1111, ComfyUI, InvokeAI) and the software names of known
generators, as uploads.metadata extracted them into Work.metadata; for audio and text, the
generator hints their metadata readers found (AI music and voice generators named in encoder or
comment tags; tell-tale phrases and generator tools in a text). A work declared "generated" has
nothing to contradict."""

from __future__ import annotations

from moderation.models import SignalKind
from moderation.policy import WEIGHTS
from moderation.signals.base import Finding, ScreeningContext
from uploads.metadata.extract import KNOWN_GENERATOR_SOFTWARE
from uploads.models import AiInvolvement, WorkKind

# IPTC digital source type codes (http://cv.iptc.org/newscodes/digitalsourcetype/), by what they
# say: made by a trained model outright, or a composite that includes such parts.
GENERATED_CODES = {"trainedalgorithmicmedia"}
COMPOSITE_AI_CODES = {"compositewithtrainedalgorithmicmedia", "compositesynthetic"}
# C2PA claim generators that are themselves image generators (in addition to uploads' list).
GENERATOR_CLAIMS = (*KNOWN_GENERATOR_SOFTWARE, "openai", "chatgpt", "gemini", "bing image")


def _code(value: str) -> str:
    return str(value).rstrip("/").rsplit("/", 1)[-1].strip().lower()


def _source_types(work) -> list[str]:
    metadata = work.metadata or {}
    found = [work.digital_source_type, (metadata.get("xmp") or {}).get("digital_source_type")]
    found += (metadata.get("c2pa") or {}).get("digital_source_types") or []
    return [str(v) for v in found if v]


def _generation_evidence(work) -> tuple[list[str], list[str]]:
    """(evidence the file was generated outright, evidence a generator was involved)."""
    metadata = work.metadata or {}
    generated, involved = [], []
    for value in _source_types(work):
        if _code(value) in GENERATED_CODES:
            generated.append(f"digital source type {_code(value)}")
        elif _code(value) in COMPOSITE_AI_CODES:
            involved.append(f"digital source type {_code(value)}")
    for hint in metadata.get("generator_hints") or []:
        # Text chunks carry a prompt and sampler settings: the picture came out of the generator.
        (involved if str(hint).startswith("generator software") else generated).append(str(hint))
    claim = str((metadata.get("c2pa") or {}).get("claim_generator") or "")
    if claim and any(name in claim.lower() for name in GENERATOR_CLAIMS):
        involved.append(f"C2PA claim generator {claim[:100]}")
    return sorted(set(generated)), sorted(set(involved))


# Where the evidence was found, in the summary staff and the creator read. Audio hints come from
# encoder and comment tags; text hints from the metadata or the words themselves.
_WHICH_SAYS = {WorkKind.AUDIO: "its tags say", WorkKind.TEXT: "its text or metadata says"}


def _which_says(work) -> str:
    return _WHICH_SAYS.get(work.kind, "its metadata says")


def ai_findings(context: ScreeningContext) -> list[Finding]:
    work = context.work
    if work.ai_involvement == AiInvolvement.GENERATED:
        return []
    generated, involved = _generation_evidence(work)
    if work.ai_involvement == AiInvolvement.NONE:
        if generated:
            weight = WEIGHTS["ai_generated_declared_none"]
        elif involved:
            weight = WEIGHTS["ai_hint_declared_none"]
        else:
            return []
        summary = (
            f"It was declared as made without AI, but {_which_says(work)} an AI generator made it."
        )
    else:  # assisted: composites and tools fit; a wholly generated picture does not
        if not generated:
            return []
        weight = WEIGHTS["ai_generated_declared_assisted"]
        summary = (
            f"It was declared as AI-assisted, but {_which_says(work)} an AI generator made all of "
            "it."
        )
    return [
        Finding(
            kind=SignalKind.AI_UNDECLARED,
            subject="declaration",
            weight=weight,
            summary=summary,
            evidence={
                "declared": work.ai_involvement,
                "generated": generated,
                "involved": involved,
            },
        )
    ]
