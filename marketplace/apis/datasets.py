"""Datasets API: create with an intended use and works (by id or catalog filter), read the
quote, rename, delete, add and remove works, check out."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsBuyer
from accounts.selectors.teams import organization_for_member
from config.errors import ApplicationError
from marketplace.selectors.datasets import dataset_for_member, dataset_quote, datasets_for_member
from marketplace.serializers.datasets import (
    DatasetCreateInput,
    DatasetOutput,
    DatasetRenameInput,
    DatasetSummaryOutput,
    DatasetWorksInput,
    DatasetWorksRemoveInput,
    dataset_data,
)
from marketplace.serializers.orders import CheckoutInput, OrderOutput
from marketplace.services.checkout import order_checkout_start
from marketplace.services.datasets import (
    dataset_create,
    dataset_delete,
    dataset_rename,
    dataset_works_add,
    dataset_works_remove,
    intended_use_parse,
)


def team_for(request, slug: str | None = None):
    organization = organization_for_member(user=request.user, slug=slug)
    if organization is not None:
        return organization
    if slug and organization_for_member(user=request.user) is not None:
        # Say what happened: the caller has a team, not this one (as the declarations API
        # says; whether the named team exists is not told).
        raise ApplicationError(
            "No such team among yours.",
            code="not_found",
            status=404,
            fields={"organization": [f"You are not a member of '{str(slug)[:100]}'."]},
        )
    raise ApplicationError(
        "You are not in a team yet: create one or accept an invitation first.",
        code="no_team",
        status=409,
    )


def _dataset_response(dataset, *, skipped=None, status_code=200) -> Response:
    return Response(
        dataset_data(dataset, dataset_quote(dataset=dataset), skipped=skipped),
        status=status_code,
    )


class DatasetListCreateApi(ListAPIView):
    permission_classes = [IsBuyer]
    serializer_class = DatasetSummaryOutput

    def get_queryset(self):
        return datasets_for_member(user=self.request.user)

    @extend_schema(request=DatasetCreateInput, responses={201: DatasetOutput})
    def post(self, request):
        data = DatasetCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        intended = intended_use_parse(
            uses=values["uses"],
            commercial=values["commercial"],
            months_needed=values["months_needed"],
            can_destroy_models=values["can_destroy_models"],
        )
        dataset, skipped = dataset_create(
            organization=team_for(request, request.data.get("organization")),
            user=request.user,
            name=values.get("name", ""),
            intended=intended,
            currency=values["currency"],
            work_ids=values.get("work_ids"),
            filters=values.get("filters"),
        )
        return _dataset_response(dataset, skipped=skipped, status_code=status.HTTP_201_CREATED)


class DatasetDetailApi(APIView):
    permission_classes = [IsBuyer]

    @extend_schema(responses=DatasetOutput)
    def get(self, request, dataset_uuid):
        return _dataset_response(dataset_for_member(user=request.user, dataset_uuid=dataset_uuid))

    @extend_schema(
        request=DatasetRenameInput,
        responses=DatasetOutput,
        description="Rename a draft. A bad name answers 400 `invalid_name`; a dataset checked "
        "out or bought 409 `dataset_locked`.",
    )
    def patch(self, request, dataset_uuid):
        dataset = dataset_for_member(user=request.user, dataset_uuid=dataset_uuid)
        data = DatasetRenameInput(data=request.data)
        data.is_valid(raise_exception=True)
        return _dataset_response(dataset_rename(dataset=dataset, name=data.validated_data["name"]))

    @extend_schema(
        request=None,
        responses={204: None},
        description="Delete a dataset and its items. Once it has an order (paid, awaiting "
        "payment, or a checkout that expired or failed, which a late payment can still "
        "complete) it is kept: 409 `dataset_has_orders`.",
    )
    def delete(self, request, dataset_uuid):
        dataset_delete(dataset=dataset_for_member(user=request.user, dataset_uuid=dataset_uuid))
        return Response(status=status.HTTP_204_NO_CONTENT)


class DatasetWorksApi(APIView):
    permission_classes = [IsBuyer]

    @extend_schema(request=DatasetWorksInput, responses=DatasetOutput)
    def post(self, request, dataset_uuid):
        dataset = dataset_for_member(user=request.user, dataset_uuid=dataset_uuid)
        data = DatasetWorksInput(data=request.data)
        data.is_valid(raise_exception=True)
        skipped = dataset_works_add(
            dataset=dataset,
            work_ids=data.validated_data.get("work_ids"),
            filters=data.validated_data.get("filters"),
        )
        dataset.refresh_from_db()
        return _dataset_response(dataset, skipped=skipped)

    @extend_schema(request=DatasetWorksRemoveInput, responses=DatasetOutput)
    def delete(self, request, dataset_uuid):
        dataset = dataset_for_member(user=request.user, dataset_uuid=dataset_uuid)
        data = DatasetWorksRemoveInput(data=request.data)
        data.is_valid(raise_exception=True)
        dataset_works_remove(dataset=dataset, work_ids=data.validated_data["work_ids"])
        dataset.refresh_from_db()
        return _dataset_response(dataset)


class DatasetCheckoutApi(APIView):
    permission_classes = [IsBuyer]

    @extend_schema(request=CheckoutInput, responses={201: OrderOutput})
    def post(self, request, dataset_uuid):
        dataset = dataset_for_member(user=request.user, dataset_uuid=dataset_uuid)
        data = CheckoutInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = order_checkout_start(
            dataset=dataset,
            user=request.user,
            destruction_acknowledged=data.validated_data["acknowledge_destruction"],
        )
        return Response(OrderOutput(order).data, status=status.HTTP_201_CREATED)
