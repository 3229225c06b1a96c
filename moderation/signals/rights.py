"""Rights marks in the file: plus:DataMining prohibitions (our own delivered copies carry
DMI-PROHIBITED-SEECONSTRAINT naming an Assent license, so a re-upload of one is a strong sign),
an EPUB's TDMRep reservation, C2PA/CAWG training-and-mining `notAllowed`, and authorship metadata (EXIF Artist / Copyright,
XMP dc:creator / dc:rights, IPTC By-line / Copyright; an audio file's artist and copyright tags;
a text's EPUB dc:creator or front matter author) naming someone other than the uploader and the
declared rights holder."""

from __future__ import annotations

import re
import unicodedata

from moderation.models import SignalKind
from moderation.policy import WEIGHTS
from moderation.signals.base import Finding, ScreeningContext
from uploads.models import WorkKind
from uploads.text.metadata import TDM_RESERVED

TRAINING_ENTRIES = (
    "cawg.ai_generative_training",
    "cawg.ai_training",
    "c2pa.ai_generative_training",
    "c2pa.ai_training",
    "cawg.data_mining",
    "c2pa.data_mining",
)


def _tdm_reservation_finding(work) -> Finding:
    """An EPUB whose OPF says <meta property="tdm:reservation">1</meta> (W3C TDMRep): its
    rightsholder reserves text and data mining, as a publisher's ebook does."""
    dublin_core = (work.metadata or {}).get("dublin_core") or {}
    evidence = {"data_mining": TDM_RESERVED}
    for name in ("tdm_policy", "publisher", "rights"):
        if dublin_core.get(name):
            evidence[name] = str(dublin_core[name])[:500]
    return Finding(
        kind=SignalKind.RIGHTS_MARK,
        subject="tdm:reservation",
        weight=WEIGHTS["rights_prohibited"],
        summary=(
            "Its EPUB says its rightsholder reserves text and data mining (TDMRep), so it may "
            "be a publisher's book rather than the uploader's to license."
        ),
        evidence=evidence,
    )


def _data_mining_finding(work) -> Finding | None:
    value = str(work.data_mining or "")
    if value == TDM_RESERVED:
        return _tdm_reservation_finding(work)
    code = value.rstrip("/").rsplit("/", 1)[-1].upper()
    if not code.startswith("DMI-PROHIBITED"):
        return None
    constraints = str((work.metadata or {}).get("xmp", {}).get("other_constraints") or "")
    if code == "DMI-PROHIBITED-SEECONSTRAINT" and "assent license" in constraints.lower():
        return Finding(
            kind=SignalKind.RIGHTS_MARK,
            subject="assent_license",
            weight=WEIGHTS["rights_licensed_copy"],
            summary="It is a copy this platform delivered to a licensee, marked with that license.",
            evidence={"data_mining": value, "other_constraints": constraints[:500]},
        )
    return Finding(
        kind=SignalKind.RIGHTS_MARK,
        subject="plus:DataMining",
        weight=WEIGHTS["rights_prohibited"],
        summary="Its metadata says its owner forbids AI training or data mining.",
        evidence={"data_mining": value, "other_constraints": constraints[:500]},
    )


def _training_mining_finding(work) -> Finding | None:
    entries = ((work.metadata or {}).get("c2pa") or {}).get("training_mining") or {}
    refused = sorted(
        k for k, use in entries.items() if k in TRAINING_ENTRIES and use == "notAllowed"
    )
    if not refused:
        return None
    return Finding(
        kind=SignalKind.RIGHTS_MARK,
        subject="c2pa:training-mining",
        weight=WEIGHTS["rights_prohibited"],
        summary="Its Content Credentials say AI training is not allowed.",
        evidence={"not_allowed": refused},
    )


# --- Authorship --------------------------------------------------------------------------------

_NOISE = re.compile(
    r"\b(copyright|copr|all rights reserved|rights reserved|photo(graph)? by|by|image|courtesy of"
    r"|licensed .*|\d{4}(\s*-\s*\d{2,4})?)\b",
    re.IGNORECASE,
)


def name_tokens(value: str) -> tuple[str, ...]:
    """'© 2024 Jane Doe. All rights reserved.' and 'jane.doe@x.org' → ('jane', 'doe'): accents,
    case, years, copyright words and punctuation do not make two names differ."""
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    text = text.split("@", 1)[0] if "@" in text and " " not in text.strip() else text
    text = re.sub(r"\(c\)|©", " ", text, flags=re.IGNORECASE)
    text = _NOISE.sub(" ", text)
    return tuple(t for t in re.split(r"[^a-z0-9]+", text.lower()) if len(t) > 1)


def _same_person(claimed: tuple[str, ...], known: tuple[str, ...]) -> bool:
    if not claimed or not known:
        return False
    # "Jane Doe" vs "Jane M. Doe" (one contains the other), "janedoe" vs "Jane Doe", "Doe Jane".
    if set(claimed) <= set(known) or set(known) <= set(claimed):
        return True
    joined = "".join(claimed)
    return joined in ("".join(known), "".join(reversed(known)))


def _metadata_names(work) -> dict[str, str]:
    metadata = work.metadata or {}
    exif, xmp, iptc = (metadata.get(k) or {} for k in ("exif", "xmp", "iptc"))
    names = {
        "EXIF Artist": exif.get("artist"),
        "EXIF Copyright": exif.get("copyright"),
        "XMP creator": xmp.get("creator"),
        "XMP rights": xmp.get("rights"),
        "IPTC By-line": iptc.get("byline"),
        "IPTC Copyright": iptc.get("copyright"),
    }
    flat = {}
    for field, value in names.items():
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        if value and str(value).strip():
            flat[field] = str(value)[:200]
    return flat


def _media_creator_names(work) -> dict[str, str]:
    """Audio and text keep their author in Work.metadata_creator (uploads.audio.metadata: the
    artist tag; uploads.text.metadata: EPUB dc:creator or the front matter's author)."""
    if work.kind == WorkKind.IMAGE:
        return {}
    metadata = work.metadata or {}
    if work.kind == WorkKind.AUDIO:
        label = "Artist tag"
    elif (metadata.get("dublin_core") or {}).get("creator"):
        label = "EPUB dc:creator"
    else:
        label = "Front matter author"
    names = {label: work.metadata_creator}
    if work.kind == WorkKind.AUDIO:
        names["Copyright tag"] = (metadata.get("tags") or {}).get("copyright")
    return {f: str(v)[:200] for f, v in names.items() if v and str(v).strip()}


def _known_names(context: ScreeningContext) -> list[tuple[str, ...]]:
    owner, work = context.owner, context.work
    profile = getattr(owner, "creator_profile", None)
    candidates = [owner.email, work.rights_holder, getattr(profile, "display_name", "")]
    return [t for t in (name_tokens(c) for c in candidates if c) if t]


def _mentions_someone_else(value: str, known: list[tuple[str, ...]]) -> bool:
    # A field may name several people ("Jane Doe, Studio X"); any of them being the uploader or the
    # rights holder clears it.
    parts = [p for p in re.split(r"[,;/&]| and ", value) if name_tokens(p)]
    if not parts:
        return False
    return not any(_same_person(name_tokens(p), k) for p in parts for k in known)


def _author_finding(context: ScreeningContext) -> Finding | None:
    work = context.work
    known = _known_names(context)
    names = {**_metadata_names(work), **_media_creator_names(work)}
    others = {f: v for f, v in names.items() if _mentions_someone_else(v, known)}
    if not others:
        return None
    return Finding(
        kind=SignalKind.AUTHOR_MISMATCH,
        subject="metadata",
        weight=WEIGHTS["author_mismatch"],
        summary="Its metadata names someone else as the author or copyright holder.",
        evidence={"fields": others, "rights_holder": work.rights_holder},
    )


def rights_findings(context: ScreeningContext) -> list[Finding]:
    work = context.work
    found = [_data_mining_finding(work), _training_mining_finding(work), _author_finding(context)]
    return [f for f in found if f is not None]
