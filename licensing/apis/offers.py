"""Offers API: offer a work with explicit consent, list and withdraw offers, presets, consent
history."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsCreator
from config.errors import ApplicationError
from config.openapi import paginated
from licensing import serializers as s
from licensing.consent import ConsentContext
from licensing.models import Offer
from licensing.selectors.offers import consent_history, offers_for_work
from licensing.services.offers import (
    offer_create,
    offer_withdraw,
    terms_resolve,
    work_consent_withdraw,
)
from licensing.terms import PRESETS
from uploads.models import Work


def _own_work(request, work_id: int) -> Work:
    work = Work.objects.filter(id=work_id, owner=request.user).first()
    if work is None:
        raise ApplicationError("No such work.", code="not_found", status=404)
    return work


class OfferListCreateApi(APIView):
    permission_classes = [IsCreator]

    @extend_schema(responses=s.OfferOutput(many=True))
    def get(self, request, work_id: int):
        offers = offers_for_work(work=_own_work(request, work_id))
        return Response(s.OfferOutput(offers, many=True).data)

    @extend_schema(request=s.OfferCreateInput, responses={201: s.OfferOutput})
    def post(self, request, work_id: int):
        work = _own_work(request, work_id)
        data = s.OfferCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        terms, preset = terms_resolve(preset=values.get("preset"), terms=values.get("terms"))
        offer = offer_create(
            work=work,
            actor=request.user,
            terms=terms,
            preset=preset,
            price_amount=values["price"],
            currency=values["currency"],
            consent=values["consent"],
            context=ConsentContext.from_request(request),
        )
        return Response(s.OfferOutput(offer).data, status=status.HTTP_201_CREATED)


class OfferWithdrawApi(APIView):
    permission_classes = [IsCreator]

    @extend_schema(request=None, responses=s.OfferOutput)
    def post(self, request, work_id: int, offer_id: int):
        work = _own_work(request, work_id)
        offer = get_object_or_404(Offer.objects.select_related("work"), id=offer_id, work=work)
        offer = offer_withdraw(
            offer=offer, actor=request.user, context=ConsentContext.from_request(request)
        )
        return Response(s.OfferOutput(offer).data)


class WorkWithdrawApi(APIView):
    permission_classes = [IsCreator]

    @extend_schema(request=None, responses=s.OfferOutput(many=True))
    def post(self, request, work_id: int):
        offers = work_consent_withdraw(
            work=_own_work(request, work_id),
            actor=request.user,
            context=ConsentContext.from_request(request),
        )
        return Response(s.OfferOutput(offers, many=True).data)


class PresetListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=s.PresetOutput(many=True))
    def get(self, request):
        body = [
            {
                "key": p.key,
                "name": p.name,
                "description": p.description,
                "terms": {**p.terms.canonical(), "hash": p.terms.hash},
            }
            for p in PRESETS.values()
        ]
        return Response(body)


class ConsentHistoryApi(APIView):
    permission_classes = [IsCreator]

    @extend_schema(operation_id="v1_consents_list", responses=paginated(s.ConsentRecordOutput))
    def get(self, request):

        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(consent_history(user=request.user), request, view=self)
        return paginator.get_paginated_response(s.ConsentRecordOutput(page, many=True).data)
