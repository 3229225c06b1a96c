"""Collectives API: the public directory and pages; founding and joining (creators); the pool,
proposals, ballots and sales (members; staff may read sales)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from accounts.permissions import IsCreator, IsStaffRole
from collectives import serializers as s
from collectives.models import Collective, Proposal
from collectives.selectors.collectives import (
    collective_by_slug,
    collective_sales,
    collectives_directory,
    floors,
    open_proposals_first,
    pooled,
    sales_summary,
    standing,
    strikes_running,
)
from collectives.services.membership import collective_found, collective_join, collective_leave
from collectives.services.pool import published_formula, work_unassign, works_assign
from collectives.services.votes import ballot_cast, proposal_open
from config.errors import ApplicationError
from licensing.consent import ConsentContext

SALES_SHOWN = 200


def _collective(slug: str) -> Collective:
    collective = collective_by_slug(slug)
    if collective is None:
        raise ApplicationError("No such collective.", code="not_found", status=404)
    return collective


def _member_of(slug: str, user) -> Collective:
    collective = _collective(slug)
    if standing(collective, user) is None:
        raise ApplicationError(
            "Only members of this collective can do this.", code="not_member", status=403
        )
    return collective


def _detail(collective: Collective, user) -> dict:
    collective.floors_list = [
        {"use": f.floor.use, "currency": f.floor.currency, "amount": f.floor.amount, "text": f.text}
        for f in floors(collective)
    ]
    data = s.CollectiveOutput(collective).data
    data.update(
        floors=collective.floors_list,
        strikes=s.StrikeOutput(strikes_running(collective), many=True).data,
        formula=published_formula(collective),
        is_member=standing(collective, user) is not None,
    )
    return data


class CollectiveListCreateApi(APIView):
    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsCreator()]

    @extend_schema(responses=s.CollectiveOutput(many=True))
    def get(self, request):
        return Response(s.CollectiveOutput(collectives_directory()[:500], many=True).data)

    @extend_schema(
        request=s.CollectiveCreateInput,
        responses={
            201: s.CollectiveDetailOutput,
            400: OpenApiResponse(description="`invalid`: a field, named in `fields`."),
            403: OpenApiResponse(description="Only creator accounts found collectives."),
            409: OpenApiResponse(description="`name_taken`."),
        },
    )
    def post(self, request):
        data = s.CollectiveCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        collective = collective_found(founder=request.user, **data.validated_data)
        return Response(
            _detail(_collective(collective.slug), request.user), status=status.HTTP_201_CREATED
        )


class CollectiveDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: s.CollectiveDetailOutput, 404: OpenApiResponse(description="No such.")}
    )
    def get(self, request, slug):
        return Response(_detail(_collective(slug), request.user))


class CollectiveJoinApi(APIView):
    permission_classes = [IsCreator]

    @extend_schema(
        request=None,
        responses={
            200: s.CollectiveDetailOutput,
            403: OpenApiResponse(description="Not a creator."),
        },
    )
    def post(self, request, slug):
        collective = _collective(slug)
        collective_join(collective=collective, user=request.user)
        return Response(_detail(_collective(slug), request.user))


class CollectiveLeaveApi(APIView):
    permission_classes = [IsCreator]

    @extend_schema(
        request=None,
        responses={
            200: s.CollectiveDetailOutput,
            409: OpenApiResponse(description="`not_member`."),
        },
    )
    def post(self, request, slug):
        collective_leave(collective=_collective(slug), user=request.user)
        return Response(_detail(_collective(slug), request.user))


class PoolApi(APIView):
    permission_classes = [IsCreator]

    @extend_schema(responses=s.AssignmentOutput(many=True))
    def get(self, request, slug):
        collective = _member_of(slug, request.user)
        return Response(s.AssignmentOutput(pooled(collective)[:1000], many=True).data)

    @extend_schema(
        request=s.AssignInput,
        responses={
            201: s.AssignmentOutput(many=True),
            400: OpenApiResponse(description="`consent_required`, `invalid` (not your works)."),
            403: OpenApiResponse(description="`not_member`."),
            409: OpenApiResponse(description="`already_pooled`."),
        },
    )
    def post(self, request, slug):
        collective = _member_of(slug, request.user)
        data = s.AssignInput(data=request.data)
        data.is_valid(raise_exception=True)
        assignments = works_assign(
            collective=collective,
            user=request.user,
            work_ids=data.validated_data["work_ids"],
            consent=data.validated_data["consent"],
            context=ConsentContext.from_request(request),
        )
        return Response(
            s.AssignmentOutput(assignments, many=True).data, status=status.HTTP_201_CREATED
        )


class PoolWorkApi(APIView):
    permission_classes = [IsCreator]

    @extend_schema(
        responses={200: s.AssignmentOutput, 404: OpenApiResponse(description="Not pooled.")}
    )
    def delete(self, request, slug, work_id):
        collective = _collective(slug)
        assignment = work_unassign(collective=collective, user=request.user, work_id=work_id)
        return Response(s.AssignmentOutput(assignment).data)


class ProposalListCreateApi(APIView):
    permission_classes = [IsCreator]

    @extend_schema(responses=s.ProposalOutput(many=True))
    def get(self, request, slug):
        collective = _member_of(slug, request.user)
        return Response(
            s.ProposalOutput(open_proposals_first(collective, user=request.user), many=True).data
        )

    @extend_schema(
        request=s.ProposalInput,
        responses={
            201: s.ProposalOutput,
            400: OpenApiResponse(description="`invalid`: the kind or a payload field."),
            403: OpenApiResponse(description="`not_member`."),
        },
    )
    def post(self, request, slug):
        collective = _member_of(slug, request.user)
        data = s.ProposalInput(data=request.data)
        data.is_valid(raise_exception=True)
        proposal = proposal_open(
            collective=collective,
            user=request.user,
            kind=data.validated_data["kind"],
            payload=data.validated_data["payload"],
        )
        proposal = next(
            p for p in open_proposals_first(collective, user=request.user) if p.id == proposal.id
        )
        return Response(s.ProposalOutput(proposal).data, status=status.HTTP_201_CREATED)


class BallotApi(APIView):
    permission_classes = [IsCreator]

    @extend_schema(
        request=s.BallotInput,
        responses={
            201: s.BallotOutput,
            403: OpenApiResponse(description="`not_member`."),
            409: OpenApiResponse(description="`already_voted` (another choice), `vote_closed`."),
        },
    )
    def post(self, request, slug, proposal_id):
        collective = _member_of(slug, request.user)
        proposal = Proposal.objects.filter(collective=collective, id=proposal_id).first()
        if proposal is None:
            raise ApplicationError("No such proposal.", code="not_found", status=404)
        data = s.BallotInput(data=request.data)
        data.is_valid(raise_exception=True)
        ballot = ballot_cast(
            proposal=proposal, user=request.user, in_favour=data.validated_data["in_favour"]
        )
        ballot.proposal.refresh_from_db()
        return Response(s.BallotOutput(ballot).data, status=status.HTTP_201_CREATED)


class SalesApi(APIView):
    permission_classes = [IsCreator | IsStaffRole]

    @extend_schema(
        responses={200: s.SalesOutput, 403: OpenApiResponse(description="`not_member`.")}
    )
    def get(self, request, slug):
        if request.user.role == Role.STAFF:
            collective = _collective(slug)
        else:
            collective = _member_of(slug, request.user)
        summary = sales_summary(collective)
        sales = collective_sales(collective).select_related("order")[:SALES_SHOWN]
        return Response(
            {
                "revenue": summary.revenue,
                "teams": summary.teams,
                "sales": s.SaleOutput(sales, many=True).data,
            }
        )
