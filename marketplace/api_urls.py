"""Marketplace API v1 routes: the catalog, datasets and quotes, orders, licenses and packages."""

from django.urls import path

from marketplace.apis import catalog, datasets, orders

urlpatterns = [
    path("catalog/", catalog.CatalogApi.as_view(), name="api-catalog"),
    path("catalog/works/<int:work_id>/", catalog.CatalogWorkApi.as_view(), name="api-catalog-work"),
    path("datasets/", datasets.DatasetListCreateApi.as_view(), name="api-datasets"),
    path("datasets/<uuid:dataset_uuid>/", datasets.DatasetDetailApi.as_view(), name="api-dataset"),
    path(
        "datasets/<uuid:dataset_uuid>/works/",
        datasets.DatasetWorksApi.as_view(),
        name="api-dataset-works",
    ),
    path(
        "datasets/<uuid:dataset_uuid>/checkout/",
        datasets.DatasetCheckoutApi.as_view(),
        name="api-dataset-checkout",
    ),
    path("orders/", orders.OrderListApi.as_view(), name="api-orders"),
    path("orders/<uuid:order_uuid>/", orders.OrderDetailApi.as_view(), name="api-order"),
    path(
        "orders/<uuid:order_uuid>/refunds/",
        orders.OrderRefundApi.as_view(),
        name="api-order-refunds",
    ),
    path("licenses/", orders.LicenseListApi.as_view(), name="api-licenses"),
    path("licenses/<uuid:license_uuid>/", orders.LicenseDetailApi.as_view(), name="api-license"),
    path(
        "licenses/<uuid:license_uuid>/package/",
        orders.LicensePackageApi.as_view(),
        name="api-license-package",
    ),
    path(
        "licenses/<uuid:license_uuid>/renew/",
        orders.LicenseRenewApi.as_view(),
        name="api-license-renew",
    ),
]

# Data requests: the team's side under data-requests/, the creators' under open-data-requests/
# and data-request-responses/.
from marketplace.apis import data_requests as dr  # noqa: E402

urlpatterns += [
    path("data-requests/", dr.DataRequestListCreateApi.as_view(), name="api-data-requests"),
    path(
        "data-requests/<uuid:request_uuid>/",
        dr.DataRequestDetailApi.as_view(),
        name="api-data-request",
    ),
    path(
        "data-requests/<uuid:request_uuid>/close/",
        dr.DataRequestCloseApi.as_view(),
        name="api-data-request-close",
    ),
    path(
        "data-requests/<uuid:request_uuid>/cancel/",
        dr.DataRequestCancelApi.as_view(),
        name="api-data-request-cancel",
    ),
    path(
        "data-requests/<uuid:request_uuid>/checkout/",
        dr.DataRequestCheckoutApi.as_view(),
        name="api-data-request-checkout",
    ),
    path(
        "data-requests/<uuid:request_uuid>/responses/<uuid:response_uuid>/accept/",
        dr.ResponseAcceptApi.as_view(),
        name="api-data-request-response-accept",
    ),
    path(
        "data-requests/<uuid:request_uuid>/responses/<uuid:response_uuid>/decline/",
        dr.ResponseDeclineApi.as_view(),
        name="api-data-request-response-decline",
    ),
    path("open-data-requests/", dr.OpenRequestListApi.as_view(), name="api-open-data-requests"),
    path(
        "open-data-requests/<uuid:request_uuid>/",
        dr.OpenRequestDetailApi.as_view(),
        name="api-open-data-request",
    ),
    path(
        "open-data-requests/<uuid:request_uuid>/responses/preview/",
        dr.ResponsePreviewApi.as_view(),
        name="api-open-data-request-preview",
    ),
    path(
        "open-data-requests/<uuid:request_uuid>/responses/",
        dr.ResponseCreateApi.as_view(),
        name="api-open-data-request-responses",
    ),
    path(
        "data-request-responses/",
        dr.MyResponseListApi.as_view(),
        name="api-data-request-responses",
    ),
    path(
        "data-request-responses/<uuid:response_uuid>/withdraw/",
        dr.MyResponseWithdrawApi.as_view(),
        name="api-data-request-response-withdraw",
    ),
]
