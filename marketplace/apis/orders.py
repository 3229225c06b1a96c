"""Orders and licenses of the caller's teams; refunds by staff."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsBuyer, IsStaffRole

from .. import serializers as s
from ..selectors.datasets import (
    license_for_member,
    licenses_for_member,
    order_for_member,
    order_for_staff,
    orders_for_member,
)
from ..services.delivery import current_package, package_request
from ..services.refunds import order_refund


class OrderListApi(ListAPIView):
    permission_classes = [IsBuyer]
    serializer_class = s.OrderOutput

    def get_queryset(self):
        return orders_for_member(user=self.request.user).select_related("license_grant")


class OrderDetailApi(APIView):
    permission_classes = [IsBuyer]

    @extend_schema(responses=s.OrderDetailOutput)
    def get(self, request, order_uuid):
        order = order_for_member(user=request.user, order_uuid=order_uuid)
        return Response(s.OrderDetailOutput(order).data)


class OrderRefundApi(APIView):
    permission_classes = [IsStaffRole]

    @extend_schema(request=s.RefundInput, responses={201: s.RefundOutput})
    def post(self, request, order_uuid):
        order = order_for_staff(order_uuid=order_uuid)
        data = s.RefundInput(data=request.data)
        data.is_valid(raise_exception=True)
        refund = order_refund(
            order=order,
            actor=request.user,
            reason=data.validated_data["reason"],
            item_ids=data.validated_data.get("item_ids"),
        )
        return Response(s.RefundOutput(refund).data, status=status.HTTP_201_CREATED)


class LicenseListApi(ListAPIView):
    permission_classes = [IsBuyer]
    serializer_class = s.LicenseOutput

    def get_queryset(self):
        return licenses_for_member(user=self.request.user)


class LicenseDetailApi(APIView):
    permission_classes = [IsBuyer]

    @extend_schema(responses=s.LicenseDetailOutput)
    def get(self, request, license_uuid):
        grant = license_for_member(user=request.user, grant_uuid=license_uuid)
        data = s.LicenseDetailOutput(grant).data
        order = getattr(grant, "order", None)
        data["package"] = s.package_data(current_package(order), request.user) if order else None
        return Response(data)


class LicensePackageApi(APIView):
    """Rebuild the package (e.g. after a refund removed items): a new version is built."""

    permission_classes = [IsBuyer]

    @extend_schema(request=None, responses={202: s.PackageOutput})
    def post(self, request, license_uuid):
        grant = license_for_member(user=request.user, grant_uuid=license_uuid)
        package = package_request(order=grant.order, user=request.user)
        return Response(s.package_data(package, request.user), status=status.HTTP_202_ACCEPTED)


urlpatterns = [
    path("orders/", OrderListApi.as_view(), name="api-orders"),
    path("orders/<uuid:order_uuid>/", OrderDetailApi.as_view(), name="api-order"),
    path("orders/<uuid:order_uuid>/refunds/", OrderRefundApi.as_view(), name="api-order-refunds"),
    path("licenses/", LicenseListApi.as_view(), name="api-licenses"),
    path("licenses/<uuid:license_uuid>/", LicenseDetailApi.as_view(), name="api-license"),
    path(
        "licenses/<uuid:license_uuid>/package/",
        LicensePackageApi.as_view(),
        name="api-license-package",
    ),
]
