"""Marketplace pages, in three URL namespaces: `datasets`, `orders` (orders and licenses) and
`staff_market`; the catalog and downloads have none."""

from django.urls import include, path

from marketplace.views import catalog, datasets, downloads, licenses, orders, staff

catalog_patterns = [
    path("catalog/", catalog.catalog, name="catalog"),
    path("catalog/works/<int:work_id>/", catalog.catalog_work_page, name="catalog_work"),
    path(
        "catalog/works/<int:work_id>/<str:kind>/",
        catalog.catalog_work_file,
        name="catalog_work_file",
    ),
    path("downloads/<int:file_id>/", downloads.package_file_download, name="package_download"),
]

dataset_patterns = [
    path("datasets/", datasets.dataset_list, name="list"),
    path("datasets/<uuid:dataset_uuid>/", datasets.dataset_detail, name="detail"),
    path("datasets/<uuid:dataset_uuid>/rename/", datasets.dataset_rename_view, name="rename"),
    path("datasets/<uuid:dataset_uuid>/delete/", datasets.dataset_delete_view, name="delete"),
    path("datasets/<uuid:dataset_uuid>/add/", datasets.dataset_add, name="add"),
    path("datasets/<uuid:dataset_uuid>/remove/", datasets.dataset_remove, name="remove"),
    path(
        "datasets/<uuid:dataset_uuid>/notices/dismiss/",
        datasets.dataset_notices_dismiss,
        name="notices_dismiss",
    ),
    path("datasets/<uuid:dataset_uuid>/checkout/", datasets.dataset_checkout, name="checkout"),
    path(
        "datasets/<uuid:dataset_uuid>/checkout/cancel/",
        datasets.dataset_checkout_cancel,
        name="checkout_cancel",
    ),
]

order_patterns = [
    path("orders/", orders.order_list, name="list"),
    path("orders/<uuid:order_uuid>/", orders.order_detail, name="detail"),
    path("orders/<uuid:order_uuid>/receipt/", orders.order_receipt, name="receipt"),
    path("studio/sales/", orders.sales, name="sales"),
    path("licenses/", licenses.license_list, name="license_list"),
    path(
        "licenses/<uuid:grant_uuid>/package/urls.txt",
        licenses.license_package_urls,
        name="license_package_urls",
    ),
    path("licenses/<uuid:grant_uuid>/", licenses.license_detail, name="license_detail"),
    path("licenses/<uuid:grant_uuid>/package/", licenses.license_package, name="license_package"),
    path("licenses/<uuid:grant_uuid>/renew/", licenses.license_renew, name="license_renew"),
]

staff_patterns = [
    path("staff/orders/", staff.staff_orders, name="orders"),
    path("staff/orders/<uuid:order_uuid>/", staff.staff_order_detail, name="order"),
    path("staff/orders/<uuid:order_uuid>/refund/", staff.staff_order_refund, name="refund"),
    path("staff/webhooks/", staff.staff_webhooks, name="webhooks"),
    path("staff/webhooks/<str:event_id>/replay/", staff.staff_webhook_replay, name="replay"),
]

urlpatterns = [
    *catalog_patterns,
    path("", include((dataset_patterns, "datasets"))),
    path("", include((order_patterns, "orders"))),
    path("", include((staff_patterns, "staff_market"))),
]

# Data requests (namespace `data_requests`): the team's pages under /requests/, the creators'
# under /studio/requests/.
from marketplace.views import data_requests as dr  # noqa: E402

data_request_patterns = [
    path("requests/", dr.request_list, name="list"),
    path("requests/<uuid:request_uuid>/", dr.request_detail, name="detail"),
    path("requests/<uuid:request_uuid>/checkout/", dr.request_checkout, name="checkout"),
    path(
        "requests/<uuid:request_uuid>/checkout/cancel/",
        dr.request_checkout_cancel,
        name="checkout_cancel",
    ),
    path("requests/<uuid:request_uuid>/close/", dr.request_close, name="close"),
    path("requests/<uuid:request_uuid>/cancel/", dr.request_cancel, name="cancel"),
    path(
        "requests/<uuid:request_uuid>/responses/<uuid:response_uuid>/accept/",
        dr.response_accept,
        name="accept",
    ),
    path(
        "requests/<uuid:request_uuid>/responses/<uuid:response_uuid>/decline/",
        dr.response_decline,
        name="decline",
    ),
    path("studio/requests/", dr.studio_request_list, name="studio_list"),
    path("studio/requests/<uuid:request_uuid>/", dr.studio_request_detail, name="studio_detail"),
    path(
        "studio/requests/<uuid:request_uuid>/offer/<int:work_id>/",
        dr.studio_offer,
        name="offer",
    ),
    path(
        "studio/requests/offers/<uuid:response_uuid>/withdraw/",
        dr.studio_withdraw,
        name="withdraw",
    ),
]
urlpatterns += [path("", include((data_request_patterns, "data_requests")))]
