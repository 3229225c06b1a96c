"""Model declarations: a team states which model it trained on which of its license items. The
declaration is checked against every item's terms before it is stored; the creators whose works
are in it are told after it commits (`notices`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Membership
from config.errors import ApplicationError
from config.input_fields import BIGINT_MAX
from licensing.models import (
    GrantStatus,
    LicenseGrant,
    LicenseGrantItem,
    ModelDeclaration,
    ModelDeclarationItem,
)
from licensing.services.notices import declaration_notices_enqueue
from licensing.terms import IntendedUse, LicenseTerms, TermsError, Use, satisfies

# The training uses that let a model of each kind learn from a work. A generative model needs
# `ai-train-generative`; a non-generative one needs non-generative training or fine-tuning.
# Evaluation and model input are not training, so items licensed only for those never fit.
TRAINING_USES = {
    True: (Use.GENERATIVE,),
    False: (Use.NONGENERATIVE, Use.FINE_TUNE),
}


@dataclass(frozen=True)
class DeclarationInput:
    """What the team says about its model (the text fields are stripped)."""

    name: str
    version: str
    purpose: str
    is_commercial: bool
    is_generative: bool
    training_started_on: date
    training_ended_on: date


@dataclass
class ItemProblem:
    item: LicenseGrantItem
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "id": self.item.id,
            "work_id": self.item.work_id,
            "work_title": self.item.work_title,
            "license": str(self.item.grant.uuid),
            "reasons": self.reasons,
        }


def _day(moment) -> str:
    day = timezone.localdate(moment)
    return f"{day.day} {day:%b %Y}"


def item_problems(item: LicenseGrantItem, model: DeclarationInput) -> list[str]:
    """Why this item cannot be in this model (empty: it can). Every reason is listed, so the
    team sees at once all it must change."""
    if item.status == GrantStatus.REVOKED:
        why = f": {item.revoke_reason}" if item.revoke_reason else ""
        return [f"This license item was revoked{why}; the work may not be used."]
    try:
        terms = LicenseTerms.from_dict(item.terms)
    except TermsError:
        return ["Its terms cannot be read; contact Assent support."]
    reasons = []
    if model.is_commercial and not terms.commercial:
        reasons.append("Its terms are non-commercial only; this model is commercial.")
    uses = TRAINING_USES[model.is_generative]
    if not any(_permits(terms, use) for use in uses):
        if model.is_generative:
            reasons.append("Its terms do not permit generative training.")
        else:
            reasons.append(
                "Its terms permit no training (neither non-generative training nor fine-tuning)."
            )
    if model.training_started_on < timezone.localdate(item.starts_at):
        reasons.append(f"Training started before the license began on {_day(item.starts_at)}.")
    if model.training_ended_on > timezone.localdate(item.expires_at):
        reasons.append(f"Training ends after the license expires on {_day(item.expires_at)}.")
    return reasons


def _permits(terms: LicenseTerms, use: Use) -> bool:
    # The use alone: commerciality is reported as its own reason, the term by the dates.
    intended = IntendedUse(uses=frozenset({use}), commercial=False, months_needed=1)
    return satisfies(terms, intended)


def _as_uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def _as_int(value) -> int | None:
    """An item id, or None: no row has an id beyond a bigint, and asking for one would
    overflow the database driver."""
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= BIGINT_MAX else None


def declaration_items_resolve(
    *, organization, item_ids: Iterable = (), grant_uuids: Iterable = ()
) -> list[LicenseGrantItem]:
    """The license items named by id and by whole grant (a grant brings all its non-revoked
    items), of this team only. Ids that are not the team's are refused together, by value,
    without saying whether they exist elsewhere."""
    item_ids, grant_uuids = list(item_ids or ()), list(grant_uuids or ())
    parsed_items = {raw: _as_int(raw) for raw in item_ids}
    parsed_grants = {raw: _as_uuid(raw) for raw in grant_uuids}
    team_items = LicenseGrantItem.objects.filter(grant__organization=organization).select_related(
        "grant"
    )
    by_id = {i.id: i for i in team_items.filter(id__in={v for v in parsed_items.values() if v})}
    grants = {
        g.uuid: g
        for g in LicenseGrant.objects.filter(
            organization=organization, uuid__in={v for v in parsed_grants.values() if v}
        )
    }
    unknown_items = [str(raw) for raw, v in parsed_items.items() if v not in by_id]
    unknown_grants = [str(raw) for raw, v in parsed_grants.items() if v not in grants]
    if unknown_items or unknown_grants:
        parts = []
        if unknown_items:
            parts.append(f"license items {', '.join(unknown_items)}")
        if unknown_grants:
            parts.append(f"licenses {', '.join(unknown_grants)}")
        raise ApplicationError(
            f"Not licensed to your team: {'; '.join(parts)}.",
            code="unknown_items",
            extra={"unknown_items": unknown_items, "unknown_licenses": unknown_grants},
        )
    if grants:
        for item in team_items.filter(grant__in=grants.values()).exclude(
            status=GrantStatus.REVOKED
        ):
            by_id.setdefault(item.id, item)
    if not by_id:
        raise ApplicationError(
            "Name the license items or whole licenses the model was trained on.",
            code="no_items",
            fields={"items": ["Choose at least one license or license item."]},
        )
    return sorted(by_id.values(), key=lambda i: i.id)


def _input_clean(**values) -> DeclarationInput:
    model = DeclarationInput(
        **{k: v.strip() if isinstance(v, str) else v for k, v in values.items()}
    )
    fields = {}
    for name in ("name", "version", "purpose"):
        if not getattr(model, name):
            fields[name] = ["This field is required."]
    limits = {"name": 120, "version": 60, "purpose": 2000}
    for name, limit in limits.items():
        if len(getattr(model, name)) > limit:
            fields[name] = [f"At most {limit} characters."]
    for name in ("training_started_on", "training_ended_on"):
        if not isinstance(getattr(model, name), date):
            fields[name] = ["A date (YYYY-MM-DD)."]
    if not fields and model.training_ended_on < model.training_started_on:
        fields["training_ended_on"] = ["Training cannot end before it started."]
    if fields:
        raise ApplicationError("Some fields are invalid.", code="invalid", fields=fields)
    return model


def _ensure_member(organization, user) -> None:
    if not Membership.objects.filter(organization=organization, user=user).exists():
        raise ApplicationError("You are not a member of this team.", code="not_found", status=404)


def model_declare(
    *,
    organization,
    user,
    name: str,
    version: str,
    purpose: str,
    is_commercial: bool,
    is_generative: bool,
    training_started_on: date,
    training_ended_on: date,
    item_ids: Iterable = (),
    grant_uuids: Iterable = (),
) -> ModelDeclaration:
    """Declare a model trained on these license items (by id) and whole licenses (by uuid) of
    the team. Any member of the team may declare, owners and members alike: the declaration is
    a statement of fact the team owes the creators, not a purchase.

    Each item is checked against its frozen terms (`item_problems`):
    - a commercial model needs items whose terms allow commercial use;
    - a generative model needs `ai-train-generative`; a non-generative model needs
      `ai-train-nongenerative` or `ai-fine-tune` (evaluation or input alone is not training);
    - training must lie within the item's license: it may not start before the item's start
      date nor end after its expiry date (dates compared in the site's time zone);
    - revoked items (refunds, upheld claims) may not be used at all.
    Any problem refuses the whole declaration with one `terms_mismatch` error whose `extra`
    lists every offending item and all its reasons. The same name and version twice for a team
    is refused (`duplicate_model`). The creators are told after the declaration commits."""
    _ensure_member(organization, user)
    model = _input_clean(
        name=name,
        version=version,
        purpose=purpose,
        is_commercial=bool(is_commercial),
        is_generative=bool(is_generative),
        training_started_on=training_started_on,
        training_ended_on=training_ended_on,
    )
    items = declaration_items_resolve(
        organization=organization, item_ids=item_ids, grant_uuids=grant_uuids
    )
    problems = [p for p in (ItemProblem(i, item_problems(i, model)) for i in items) if p.reasons]
    if problems:
        raise ApplicationError(
            f"{len(problems)} of {len(items)} license item{'s' if len(items) != 1 else ''} "
            "do not allow this model. Remove them or change the declaration.",
            code="terms_mismatch",
            extra={"offending_items": [p.as_dict() for p in problems]},
        )
    return _declaration_store(organization=organization, user=user, model=model, items=items)


def _duplicate(model: DeclarationInput) -> ApplicationError:
    return ApplicationError(
        f"Your team already declared {model.name} version {model.version}. Give this one a "
        "new version.",
        code="duplicate_model",
        status=409,
        fields={"version": ["This name and version are already declared."]},
    )


def _declaration_store(*, organization, user, model: DeclarationInput, items) -> ModelDeclaration:

    if ModelDeclaration.objects.filter(
        organization=organization, name=model.name, version=model.version
    ).exists():
        raise _duplicate(model)
    try:
        with transaction.atomic():
            declaration = ModelDeclaration.objects.create(
                organization=organization,
                declared_by=user,
                name=model.name,
                version=model.version,
                purpose=model.purpose,
                is_commercial=model.is_commercial,
                is_generative=model.is_generative,
                training_started_on=model.training_started_on,
                training_ended_on=model.training_ended_on,
            )
            ModelDeclarationItem.objects.bulk_create(
                ModelDeclarationItem(declaration=declaration, grant_item=item) for item in items
            )
            declaration_id = declaration.id
            # A declaration with many creators means as many emails: sent by a worker.
            transaction.on_commit(lambda: declaration_notices_enqueue(declaration_id))
    except IntegrityError as exc:
        # Two requests racing to declare the same name and version: the second loses here.
        raise _duplicate(model) from exc
    return declaration
