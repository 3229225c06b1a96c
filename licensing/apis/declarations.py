"""Model declarations API: a team declares the models it trains on its licenses, lists them with
their status, and reads one (items, status, deadline, attestations). Team members and owners
may declare and read their teams' models; staff may read any declaration; creators use the
studio pages."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from accounts.permissions import IsBuyer, IsStaffRole
from accounts.selectors.teams import memberships_for_user
from config.errors import ApplicationError
from licensing import serializers as s
from licensing.selectors.declarations import (
    declaration_for_member,
    declaration_for_staff,
    declaration_items,
    declarations_for_member,
    with_states,
)
from licensing.services.declarations import model_declare


def declaring_team(user, slug: str | None):
    """The team the caller declares for: the named one, or their only one. With several teams
    the slug is required: a declaration is a statement the team makes, so we never guess."""
    memberships = list(memberships_for_user(user=user))
    if slug:
        chosen = [m for m in memberships if m.organization.slug == slug]
        if not chosen:
            raise ApplicationError("No such team among yours.", code="not_found", status=404)
        return chosen[0].organization
    if not memberships:
        raise ApplicationError(
            "You are not in a team yet: create one or accept an invitation first.",
            code="no_team",
            status=409,
        )
    if len(memberships) > 1:
        slugs = [m.organization.slug for m in memberships]
        raise ApplicationError(
            f"You belong to several teams: say which with `organization` ({', '.join(slugs)}).",
            code="team_required",
            fields={"organization": ["Required when you belong to several teams."]},
            extra={"teams": slugs},
        )
    return memberships[0].organization


def _detail(declaration) -> dict:
    declaration.state = with_states([declaration])[0].state
    declaration.item_list = declaration_items(declaration)
    return s.DeclarationDetailOutput(declaration).data


class DeclarationListCreateApi(ListAPIView):
    permission_classes = [IsBuyer]
    serializer_class = s.DeclarationOutput

    def get_queryset(self):
        return declarations_for_member(user=self.request.user)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return with_states(page) if page is not None else None

    @extend_schema(
        request=s.DeclarationCreateInput,
        responses={
            201: s.DeclarationDetailOutput,
            400: OpenApiResponse(
                s.TermsMismatchOutput,
                description="`terms_mismatch`: every offending item with its reasons; "
                "`unknown_items`: ids not licensed to your team; `invalid`: bad fields.",
            ),
            409: OpenApiResponse(description="`duplicate_model`, `no_team`."),
        },
    )
    def post(self, request):
        data = s.DeclarationCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        declaration = model_declare(
            organization=declaring_team(request.user, values.get("organization")),
            user=request.user,
            name=values["name"],
            version=values["version"],
            purpose=values["purpose"],
            is_commercial=values["commercial"],
            is_generative=values["generative"],
            training_started_on=values["training_started_on"],
            training_ended_on=values["training_ended_on"],
            item_ids=values["items"],
            grant_uuids=values["grants"],
        )
        declaration = declaration_for_member(user=request.user, declaration_uuid=declaration.uuid)
        return Response(_detail(declaration), status=status.HTTP_201_CREATED)


class DeclarationDetailApi(APIView):
    permission_classes = [IsBuyer | IsStaffRole]

    @extend_schema(responses=s.DeclarationDetailOutput)
    def get(self, request, declaration_uuid):
        if request.user.role == Role.STAFF:
            declaration = declaration_for_staff(declaration_uuid=declaration_uuid)
        else:
            declaration = declaration_for_member(
                user=request.user, declaration_uuid=declaration_uuid
            )
        return Response(_detail(declaration))
