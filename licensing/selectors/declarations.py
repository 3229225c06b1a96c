"""Reads for model declarations: a team's declarations, one declaration for a member or staff,
the declarations that used a creator's works, and a creator's works with their licenses."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, F, Prefetch, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from accounts.selectors.teams import memberships_for_user
from config.errors import ApplicationError
from licensing.models import (
    DestructionAttestation,
    LicenseGrant,
    LicenseGrantItem,
    ModelDeclaration,
)
from licensing.selectors.status import declaration_state
from uploads.models import Work


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


# Works listed per license on the declare page; a larger license is declared whole, or its works
# are found by title.
DECLARE_ITEMS_SHOWN = 50


def licenses_for_declaring(
    *, organization, query: str = "", selected_ids: Iterable[int] = ()
) -> list[LicenseGrant]:
    """The team's licenses, for choosing what a model was trained on. Each has `.item_count`
    (its works), `.match_count` (those whose title contains `query`; all without one) and
    `.item_list`: the first DECLARE_ITEMS_SHOWN matches by title, plus any of
    `selected_ids` (ticked before a search, so they stay ticked). Three queries (four with
    selected works not among the first), however many works the licenses hold."""
    grants = list(
        LicenseGrant.objects.filter(organization=organization)
        .annotate(item_count=Count("items"))
        .order_by("-created_at", "-id")
    )
    if not grants:
        return []
    items = LicenseGrantItem.objects.filter(grant__organization=organization)
    matching = items.filter(work_title__icontains=query) if query else items
    counts = dict(
        matching.order_by().values("grant_id").annotate(n=Count("id")).values_list("grant_id", "n")
    )
    first = matching.annotate(
        rank=Window(
            RowNumber(), partition_by=F("grant_id"), order_by=[F("work_title").asc(), F("id").asc()]
        )
    ).filter(rank__lte=DECLARE_ITEMS_SHOWN)
    shown = {item.id: item for item in first}
    wanted = [i for i in selected_ids if i not in shown][:1000]
    if wanted:
        shown.update((item.id, item) for item in items.filter(id__in=wanted))
    by_grant: dict[int, list[LicenseGrantItem]] = {}
    for item in shown.values():
        by_grant.setdefault(item.grant_id, []).append(item)
    for grant in grants:
        grant.match_count = counts.get(grant.id, 0)
        grant.item_list = sorted(by_grant.get(grant.id, []), key=lambda i: (i.work_title, i.id))
        grant.hidden_count = max(grant.match_count - DECLARE_ITEMS_SHOWN, 0)
    return grants


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
