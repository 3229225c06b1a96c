"""Pages: each area's module keeps its own urlpatterns, gathered here."""

from django.urls import include, path

from .views import catalog, datasets, downloads, licenses, orders, staff

urlpatterns = [
    *catalog.urlpatterns,
    *downloads.urlpatterns,
    path("", include((datasets.urlpatterns, "datasets"))),
    path("", include(([*orders.urlpatterns, *licenses.urlpatterns], "orders"))),
    path("", include((staff.urlpatterns, "staff_market"))),
]
