"""API v1 routes of the marketplace; each area's module keeps its own urlpatterns."""

from .apis import catalog, datasets, orders

urlpatterns = [*catalog.urlpatterns, *datasets.urlpatterns, *orders.urlpatterns]
