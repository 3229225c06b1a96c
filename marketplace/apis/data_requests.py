"""Data requests API. Teams: post, list and read their requests, accept or decline offered
works, close or cancel, check out. Creators: the open requests with their matching works, a
preview of the consent text, offering a work, their responses, withdrawing one."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsBuyer, IsCreator
from config.errors import ApplicationError
from config.openapi import paginated
from licensing.consent import ConsentContext
from licensing.money import net_per_sale
from marketplace.apis.datasets import team_for
from marketplace.models import DataRequestResponse
from marketplace.selectors.data_requests import (
    creator_responses_in,
    match_counts,
    matching_works,
    open_requests,
    request_for_creator,
    request_for_member,
    request_responses,
    request_tally,
    requests_for_member,
    response_stage,
    responses_for_creator,
)
from marketplace.serializers import data_requests as s
from marketplace.serializers.orders import CheckoutInput, OrderOutput
from marketplace.serializers.prices import money
from marketplace.services.data_request_checkout import data_request_checkout_start
from marketplace.services.data_request_responses import (
    consent_hash,
    data_request_response_accept,
    data_request_response_create,
    data_request_response_decline,
    data_request_response_withdraw,
    response_offer_quote,
)
from marketplace.services.data_requests import (
    data_request_cancel,
    data_request_close,
    data_request_create,
)
from marketplace.services.datasets import intended_use_parse
from uploads.models import Work


def _page(view, request, rows, shape):
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(rows, request, view=view)
    return paginator.get_paginated_response([shape(row) for row in page])


# --- the team's side ---------------------------------------------------------------------------


def _team_summary(data_request) -> dict:
    return {
        **s.request_data(data_request, for_team=True),
        "show_team_name": data_request.show_team_name,
        "offered": data_request.offered_count,
        "accepted": data_request.accepted_count,
    }


def team_request_detail(data_request) -> dict:
    responses = request_responses(data_request=data_request)
    return {
        **s.request_data(data_request, for_team=True),
        "show_team_name": data_request.show_team_name,
        "responses": [
            {**s.response_data(r, r.stage), "is_available": r.is_available} for r in responses
        ],
        "tally": s.tally_data(
            request_tally(data_request=data_request, responses=responses),
            data_request.currency,
        ),
    }


class DataRequestListCreateApi(APIView):
    permission_classes = [IsBuyer]

    @extend_schema(
        operation_id="v1_data_requests_list", responses=paginated(s.TeamRequestSummaryOutput)
    )
    def get(self, request):
        return _page(self, request, requests_for_member(user=request.user), _team_summary)

    @extend_schema(request=s.DataRequestCreateInput, responses={201: s.TeamRequestDetailOutput})
    def post(self, request):
        data = s.DataRequestCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        data_request = data_request_create(
            organization=team_for(request, values.get("organization")),
            user=request.user,
            title=values["title"],
            description=values["description"],
            intended=intended_use_parse(
                uses=values["uses"],
                commercial=values["commercial"],
                months_needed=values["months_needed"],
                can_destroy_models=values["can_destroy_models"],
            ),
            count_wanted=values["count_wanted"],
            deadline=values["deadline"],
            currency=values["currency"],
            price_amount=values.get("price"),
            budget_amount=values.get("budget"),
            tags=values.get("tags", []),
            min_width=values["min_width"],
            min_height=values["min_height"],
            accepts_ai_generated=values["accepts_ai_generated"],
            show_team_name=values["show_team_name"],
        )
        return Response(team_request_detail(data_request), status=status.HTTP_201_CREATED)


class DataRequestDetailApi(APIView):
    permission_classes = [IsBuyer]

    @extend_schema(responses=s.TeamRequestDetailOutput)
    def get(self, request, request_uuid):
        data_request = request_for_member(user=request.user, request_uuid=request_uuid)
        return Response(team_request_detail(data_request))


class DataRequestCloseApi(APIView):
    permission_classes = [IsBuyer]
    change = staticmethod(data_request_close)

    @extend_schema(request=None, responses=s.TeamRequestDetailOutput)
    def post(self, request, request_uuid):
        data_request = request_for_member(user=request.user, request_uuid=request_uuid)
        return Response(team_request_detail(self.change(data_request=data_request)))


class DataRequestCancelApi(DataRequestCloseApi):
    change = staticmethod(data_request_cancel)


def _team_response(request, request_uuid, response_uuid) -> DataRequestResponse:
    data_request = request_for_member(user=request.user, request_uuid=request_uuid)
    response = data_request.responses.filter(uuid=response_uuid).first()
    if response is None:
        raise ApplicationError("No such response.", code="not_found", status=404)
    return response


class ResponseAcceptApi(APIView):
    permission_classes = [IsBuyer]
    decide = staticmethod(data_request_response_accept)

    @extend_schema(request=None, responses=s.TeamResponseOutput)
    def post(self, request, request_uuid, response_uuid):
        response = _team_response(request, request_uuid, response_uuid)
        response = self.decide(response=response, user=request.user)
        detail = team_request_detail(response.request)
        return Response(next(r for r in detail["responses"] if r["uuid"] == str(response.uuid)))


class ResponseDeclineApi(ResponseAcceptApi):
    decide = staticmethod(data_request_response_decline)


class DataRequestCheckoutApi(APIView):
    permission_classes = [IsBuyer]

    @extend_schema(request=CheckoutInput, responses={201: OrderOutput})
    def post(self, request, request_uuid):
        data_request = request_for_member(user=request.user, request_uuid=request_uuid)
        data = CheckoutInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = data_request_checkout_start(
            data_request=data_request,
            user=request.user,
            destruction_acknowledged=data.validated_data["acknowledge_destruction"],
        )
        return Response(OrderOutput(order).data, status=status.HTTP_201_CREATED)


# --- the creators' side ------------------------------------------------------------------------


class OpenRequestListApi(APIView):
    permission_classes = [IsCreator]

    @extend_schema(
        operation_id="v1_open_data_requests_list", responses=paginated(s.OpenRequestOutput)
    )
    def get(self, request):
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(open_requests(), request, view=self)
        counts = match_counts(requests=page, creator=request.user)
        rows = [{**s.request_data(r, for_team=False), "matching_works": counts[r.id]} for r in page]
        return paginator.get_paginated_response(rows)


class OpenRequestDetailApi(APIView):
    permission_classes = [IsCreator]

    @extend_schema(responses=s.OpenRequestDetailOutput)
    def get(self, request, request_uuid):
        data_request = request_for_creator(creator=request.user, request_uuid=request_uuid)
        mine = creator_responses_in(data_request=data_request, creator=request.user)
        works = (
            []
            if not data_request.is_open
            else matching_works(data_request=data_request, creator=request.user).exclude(
                id__in=list(mine)
            )
        )
        return Response(
            {
                **s.request_data(data_request, for_team=False),
                "matching_works": [
                    {
                        "work_id": w.id,
                        "title": w.title,
                        "width": w.width,
                        "height": w.height,
                        "offer_id": w.cheapest_offer_id,
                    }
                    for w in works
                ],
                "my_responses": [s.response_data(r, response_stage(r)) for r in mine.values()],
            }
        )


def _creator_work(request, work_id: int) -> Work:
    work = Work.objects.filter(id=work_id, owner=request.user).first()
    if work is None:
        raise ApplicationError("No such work.", code="not_found", status=404)
    return work


class ResponsePreviewApi(APIView):
    permission_classes = [IsCreator]

    @extend_schema(parameters=[s.ResponsePreviewInput], responses=s.ResponsePreviewOutput)
    def get(self, request, request_uuid):
        data_request = request_for_creator(creator=request.user, request_uuid=request_uuid)
        data = s.ResponsePreviewInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        work = _creator_work(request, data.validated_data["work_id"])
        offer, price, text = response_offer_quote(
            data_request=data_request,
            work=work,
            creator=request.user,
            price_amount=data.validated_data.get("price"),
        )
        net = net_per_sale(price_amount=price, currency=data_request.currency)
        c = data_request.currency
        return Response(
            {
                "work_id": work.id,
                "offer_id": offer.id,
                "terms": offer.terms.canonical(),
                "price": money(price, c),
                "fee": money(net.fee_amount, c),
                "net": money(net.net_amount, c),
                "consent_text": text,
                "consent_hash": consent_hash(text),
            }
        )


class ResponseCreateApi(APIView):
    permission_classes = [IsCreator]

    @extend_schema(request=s.ResponseCreateInput, responses={201: s.ResponseOutput})
    def post(self, request, request_uuid):
        data_request = request_for_creator(creator=request.user, request_uuid=request_uuid)
        data = s.ResponseCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        response = data_request_response_create(
            data_request=data_request,
            work=_creator_work(request, values["work_id"]),
            creator=request.user,
            consent=values["consent"],
            context=ConsentContext.from_request(request),
            price_amount=values.get("price"),
            shown_hash=values.get("consent_hash"),
        )
        return Response(s.response_data(response, response.status), status=201)


class MyResponseListApi(APIView):
    permission_classes = [IsCreator]

    @extend_schema(
        operation_id="v1_data_request_responses_list", responses=paginated(s.ResponseOutput)
    )
    def get(self, request):
        rows = responses_for_creator(creator=request.user)
        return _page(self, request, rows, lambda r: s.response_data(r, response_stage(r)))


class MyResponseWithdrawApi(APIView):
    permission_classes = [IsCreator]

    @extend_schema(request=None, responses=s.ResponseOutput)
    def post(self, request, response_uuid):
        response = responses_for_creator(creator=request.user).filter(uuid=response_uuid).first()
        if response is None:
            raise ApplicationError("No such response.", code="not_found", status=404)
        response = data_request_response_withdraw(response=response, creator=request.user)
        return Response(s.response_data(response, response_stage(response)))
