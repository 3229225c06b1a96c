"""Which public works (with their running licenses) a verification query matches."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from licensing.models import GrantStatus, LicenseGrantItem
from licensing.selectors.offers import sellable_offers
from licensing.terms import USE_LABELS, LicenseTerms, TermsError
from uploads.models import Work, WorkKind, WorkStatus


def public_works() -> QuerySet[Work]:
    """Works the public catalog shows: approved, with an offer on sale. A held, rejected or
    removed work, or one whose creator withdrew consent, is private here."""
    on_sale = sellable_offers().filter(work_id=OuterRef("pk"))
    return Work.objects.filter(status=WorkStatus.LISTED).filter(Exists(on_sale))


def terms_sentences(terms: LicenseTerms) -> list[str]:
    """The terms in plain words for the public (no price: that stays between the parties)."""
    uses = [label for use, label in USE_LABELS.items() if use in terms.uses]  # generative first
    listing = uses[0] if len(uses) == 1 else ", ".join(uses[:-1]) + " and " + uses[-1]
    sentences = [
        f"The team may {listing}.",
        "Commercial use is allowed." if terms.commercial else "Non-commercial use only.",
    ]
    if terms.requires_destruction:
        sentences.append(
            f"After {terms.term_label()} every model trained on the works must be destroyed "
            "and the team must attest it."
        )
    else:
        sentences.append(
            f"After {terms.term_label()} training must stop; models already trained may be kept."
        )
    if terms.attribution_required:
        sentences.append("The creator is credited in every model's documentation.")
    return sentences


def terms_of(raw: dict) -> LicenseTerms | None:
    try:
        return LicenseTerms.from_dict(raw)
    except TermsError:  # a stored snapshot we cannot read is left out rather than guessed
        return None


@dataclass(frozen=True)
class PublicLicenseEntry:
    grant_uuid: object
    team_name: str
    terms: LicenseTerms
    sentences: list[str]
    starts_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class NearEvidence:
    """Why a candidate looks like the query: the PDQ distance of a picture, or the score (0-1,
    higher is closer) of a recording or a text, and where in a recording the clip sits."""

    score: float
    distance: int | None = None  # PDQ Hamming distance, images only
    offset_ms: int | None = None  # audio: the clip starts this far into the work

    @classmethod
    def from_distance(cls, distance: int) -> NearEvidence:
        # The same measure as a recording's score: the share of the 256 bits that agree.
        return cls(score=round(1 - distance / 256, 4), distance=distance)


EXACT = NearEvidence(score=1.0, distance=0)


@dataclass(frozen=True)
class VerifiedWork:
    id: int
    uuid: object
    kind: str  # the work's medium: image, audio or text
    title: str
    creator_name: str  # "" when the creator did not choose to be named
    has_thumbnail: bool
    has_preview: bool
    match: str  # "exact" (same bytes, or the same text) or "near" (same picture, sound, words)
    distance: int | None  # PDQ Hamming distance (0 for an exact match); None for audio and text
    score: float  # 0-1, 1 for an exact match
    offset_ms: int | None  # audio: where in the work the clip starts
    licenses: list[PublicLicenseEntry]

    @property
    def offset_clock(self) -> str | None:
        """Where in the work the clip starts, as 1:05 (or 1:02:03 past an hour)."""
        if self.offset_ms is None:
            return None
        minutes, seconds = divmod(self.offset_ms // 1000, 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


_VERIFIED_WORK_FIELDS = (
    "id",
    "uuid",
    "kind",
    "title",
    "thumbnail",
    "preview",
    "sha256",
    "text_sha256",
    "owner__id",
    "owner__creator_profile__display_name",
    "owner__creator_profile__is_named_publicly",
)


def verified_works(
    *,
    sha256: str | None,
    near: Mapping[int, int | NearEvidence],
    text_sha256: str | None = None,
    now: datetime | None = None,
) -> list[VerifiedWork]:
    """The public works among the candidates (same bytes as `sha256`, same normalized text as
    `text_sha256`, or the near matches `near`: work id -> PDQ distance or evidence), each with
    its running licenses, closest first.

    The same three queries run whether the candidates are public, private or absent, so the
    answer for a private work is the answer for no work at all, in content and in work done."""
    now = now or timezone.now()
    # Never an empty IN (), which Django answers without asking the database: 0 is no id.
    candidates = Q(id__in=[*near, 0]) | Q(sha256=sha256 or "-") | Q(text_sha256=text_sha256 or "-")
    rows = list(
        public_works()
        .filter(candidates)
        .select_related("owner__creator_profile")
        .only(*_VERIFIED_WORK_FIELDS)
        .order_by("id")
    )
    licenses = _running_licenses([w.id for w in rows] or [0], now)
    found = []
    for work in rows:
        exact = (bool(sha256) and work.sha256 == sha256) or (
            bool(text_sha256) and work.text_sha256 == text_sha256
        )
        evidence = EXACT if exact else _evidence(near[work.id])
        profile = getattr(work.owner, "creator_profile", None)
        named = profile is not None and profile.is_named_publicly
        found.append(
            VerifiedWork(
                id=work.id,
                uuid=work.uuid,
                kind=work.kind,
                title=work.title,
                creator_name=profile.display_name if named else "",
                has_thumbnail=bool(work.thumbnail),
                has_preview=bool(work.preview),
                match="exact" if exact else "near",
                distance=evidence.distance if work.kind == WorkKind.IMAGE else None,
                score=evidence.score,
                offset_ms=None if exact else evidence.offset_ms,
                licenses=licenses.get(work.id, []),
            )
        )
    return sorted(found, key=lambda w: (-w.score, w.id))


def _evidence(value: int | NearEvidence) -> NearEvidence:
    return value if isinstance(value, NearEvidence) else NearEvidence.from_distance(value)


_LICENSE_FIELDS = (
    "work_id",
    "grant__uuid",
    "grant__organization__name",
    "terms",
    "starts_at",
    "expires_at",
)


def _running_licenses(work_ids: list[int], now: datetime) -> dict[int, list[PublicLicenseEntry]]:
    items = (
        LicenseGrantItem.objects.filter(
            work_id__in=work_ids,
            status=GrantStatus.ACTIVE,
            grant__status=GrantStatus.ACTIVE,
            starts_at__lte=now,
            expires_at__gt=now,
        )
        .order_by("expires_at", "id")
        .values_list(*_LICENSE_FIELDS)
    )
    out: dict[int, list[PublicLicenseEntry]] = {}
    for work_id, grant_uuid, team, raw_terms, starts_at, expires_at in items:
        terms = terms_of(raw_terms)
        if terms is None:
            continue
        entry = PublicLicenseEntry(
            grant_uuid, team, terms, terms_sentences(terms), starts_at, expires_at
        )
        out.setdefault(work_id, []).append(entry)
    return out
