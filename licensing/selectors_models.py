"""Reads for model declarations: a team's declarations, one declaration for a member or staff,
the declarations that used a creator's works, and a creator's works with their licenses."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from accounts.selectors import memberships_for_user
from config.errors import ApplicationError
from uploads.models import Work

from .lifecycle.status import declaration_state
from .models import (
    DestructionAttestation,
    LicenseGrant,
    LicenseGrantItem,
    ModelDeclaration,
)


def _not_found() -> ApplicationError:
    return ApplicationError("No such model declaration.", code="not_found", status=404)


def _with_state_data(queryset: QuerySet[ModelDeclaration]) -> QuerySet[ModelDeclaration]:
    """What `declaration_state` reads, fetched in a fixed number of queries."""
    return queryset.select_related("organization", "declared_by").prefetch_related(
        Prefetch("items", LicenseGrantItem.objects.order_by("expires_at", "id")),
        Prefetch(
            "attestations",
            DestructionAttestation.objects.select_related("attested_by").order_by("-attested_at"),
        ),
    )


def with_states(declarations, *, now=None) -> list[ModelDeclaration]:
    """Each declaration with `.state` (status and deadline), computed once."""
    now = now or timezone.now()
    declarations = list(declarations)
    for declaration in declarations:
        declaration.state = declaration_state(declaration, now=now)
    return declarations


def declarations_for_member(*, user, organization=None) -> QuerySet[ModelDeclaration]:
    """The declarations of the user's teams (or of one of them), newest first."""
    queryset = ModelDeclaration.objects.filter(organization__memberships__user=user)
    if organization is not None:
        queryset = queryset.filter(organization=organization)
    return _with_state_data(queryset.annotate(item_count=Count("declared_items"))).order_by(
        "-created_at", "-id"
    )


def declaration_for_member(*, user, declaration_uuid) -> ModelDeclaration:
    declaration = _with_state_data(
        ModelDeclaration.objects.filter(uuid=declaration_uuid, organization__memberships__user=user)
    ).first()
    if declaration is None:
        raise _not_found()
    return declaration


def declaration_for_staff(*, declaration_uuid) -> ModelDeclaration:
    declaration = _with_state_data(ModelDeclaration.objects.filter(uuid=declaration_uuid)).first()
    if declaration is None:
        raise _not_found()
    return declaration


def declaration_items(declaration: ModelDeclaration) -> list[LicenseGrantItem]:
    """The declaration's items with their licenses (for detail pages)."""
    return list(
        LicenseGrantItem.objects.filter(declared_in__declaration=declaration)
        .select_related("grant")
        .order_by("work_title", "id")
    )


def team_for_member(*, user, slug: str | None = None):
    """The team a member acts for: the named one (None if not theirs), else their first."""
    memberships = memberships_for_user(user=user)
    if slug:
        memberships = memberships.filter(organization__slug=slug)
    membership = memberships.first()
    return membership.organization if membership else None


def licenses_for_declaring(*, organization) -> list[LicenseGrant]:
    """The team's licenses with their items, for choosing what a model was trained on."""
    return list(
        LicenseGrant.objects.filter(organization=organization)
        .prefetch_related(Prefetch("items", LicenseGrantItem.objects.order_by("work_title", "id")))
        .order_by("-created_at", "-id")
    )


# --- Creators ---------------------------------------------------------------------------------


def declarations_for_creator(*, creator) -> QuerySet[ModelDeclaration]:
    """Every declaration that includes one of the creator's works, with `.creator_items` (their
    works in it, and no one else's)."""
    return (
        _with_state_data(
            ModelDeclaration.objects.filter(
                id__in=ModelDeclaration.objects.filter(items__creator=creator).values("id")
            )
        )
        .prefetch_related(
            Prefetch(
                "items",
                LicenseGrantItem.objects.filter(creator=creator).order_by("work_title", "id"),
                to_attr="creator_items",
            )
        )
        .order_by("-created_at", "-id")
    )


def creator_licensed_works(*, creator) -> QuerySet[Work]:
    """The creator's works that have been licensed, each with its license items (team, terms,
    dates, status), the models declared on each item and their attestations."""
    declarations = _with_state_data(ModelDeclaration.objects.order_by("-created_at", "-id"))
    items = (
        LicenseGrantItem.objects.filter(creator=creator)
        .select_related("grant__organization")
        .prefetch_related(Prefetch("model_declarations", declarations))
        .order_by("-starts_at", "-id")
    )
    return (
        Work.objects.filter(owner=creator, license_items__creator=creator)
        .distinct()
        .prefetch_related(Prefetch("license_items", items, to_attr="licenses"))
        .order_by("title", "id")
    )
