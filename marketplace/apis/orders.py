"""Orders and licenses of the caller's teams; refunds by staff."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsBuyer, IsStaffRole
from config.errors import ApplicationError
from marketplace.selectors.datasets import (
    license_for_member,
    licenses_for_member,
    order_for_member,
    order_for_staff,
    orders_for_member,
)
from marketplace.selectors.licenses import license_declared_models
from marketplace.serializers import renewals as rs
from marketplace.serializers.licenses import (
    LicenseDetailOutput,
    LicenseOutput,
    PackageOutput,
    declared_models_data,
    package_data,
    restriction_data,
)
from marketplace.serializers.orders import OrderDetailOutput, OrderOutput, RefundInput, RefundOutput
from marketplace.services.delivery import current_package, license_package_rebuild
from marketplace.services.refunds import order_refund
from marketplace.services.renewals import renewal_quote, renewal_start
from marketplace.services.restrictions import team_restriction


class OrderListApi(ListAPIView):
    permission_classes = [IsBuyer]
    serializer_class = OrderOutput

    def get_queryset(self):
        return orders_for_member(user=self.request.user).select_related("license_grant")


class OrderDetailApi(APIView):
    permission_classes = [IsBuyer]

    @extend_schema(responses=OrderDetailOutput)
    def get(self, request, order_uuid):
        order = order_for_member(user=request.user, order_uuid=order_uuid)
        return Response(OrderDetailOutput(order).data)


class OrderRefundApi(APIView):
    permission_classes = [IsStaffRole]

    @extend_schema(request=RefundInput, responses={201: RefundOutput})
    def post(self, request, order_uuid):
        order = order_for_staff(order_uuid=order_uuid)
        data = RefundInput(data=request.data)
        data.is_valid(raise_exception=True)
        refund = order_refund(
            order=order,
            actor=request.user,
            reason=data.validated_data["reason"],
            item_ids=data.validated_data.get("item_ids"),
        )
        return Response(RefundOutput(refund).data, status=status.HTTP_201_CREATED)


class LicenseListApi(ListAPIView):
    permission_classes = [IsBuyer]
    serializer_class = LicenseOutput

    def get_queryset(self):
        return licenses_for_member(user=self.request.user)


class LicenseDetailApi(APIView):
    permission_classes = [IsBuyer]

    @extend_schema(responses=LicenseDetailOutput)
    def get(self, request, license_uuid):
        grant = license_for_member(user=request.user, grant_uuid=license_uuid)
        data = LicenseDetailOutput(grant).data
        order = getattr(grant, "order", None)
        data["package"] = package_data(current_package(order), request.user) if order else None
        data["restriction"] = restriction_data(team_restriction(organization=grant.organization))
        data["declared_models"] = declared_models_data(license_declared_models(grant=grant))
        data["odrl_url"] = f"/public/licenses/{grant.uuid}/odrl.json"
        return Response(data)


class LicensePackageApi(APIView):
    """Rebuild the package (e.g. after a refund removed items): a new version is built."""

    permission_classes = [IsBuyer]

    @extend_schema(request=None, responses={202: PackageOutput})
    def post(self, request, license_uuid):
        grant = license_for_member(user=request.user, grant_uuid=license_uuid)
        order = getattr(grant, "order", None)
        if order is None:
            raise ApplicationError("This license has no package.", code="not_found", status=404)
        package = license_package_rebuild(order=order, user=request.user)
        return Response(package_data(package, request.user), status=status.HTTP_202_ACCEPTED)


class LicenseRenewApi(APIView):
    """GET: what renewing would cost now, item by item, and what cannot be renewed and why.
    POST: a renewal dataset of the renewable items (check it out with
    `POST /api/v1/datasets/{uuid}/checkout/`)."""

    permission_classes = [IsBuyer]

    @extend_schema(responses=rs.RenewalOutput)
    def get(self, request, license_uuid):
        grant = license_for_member(user=request.user, grant_uuid=license_uuid)
        return Response(rs.renewal_data(renewal_quote(grant=grant, user=request.user)))

    @extend_schema(request=None, responses={201: rs.RenewalOutput})
    def post(self, request, license_uuid):
        grant = license_for_member(user=request.user, grant_uuid=license_uuid)
        dataset, quote = renewal_start(grant=grant, user=request.user)
        return Response(rs.renewal_data(quote, dataset), status=status.HTTP_201_CREATED)
