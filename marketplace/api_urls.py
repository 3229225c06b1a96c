"""Marketplace API v1 routes: the catalog, datasets and quotes, orders, licenses and packages."""

from django.urls import path

from marketplace.apis import catalog, datasets, orders

urlpatterns = [
    path("catalog/", catalog.CatalogApi.as_view(), name="api-catalog"),
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
