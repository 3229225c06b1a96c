"""Pages: each area's module keeps its own urlpatterns, gathered here."""

from .views import catalog

urlpatterns = [*catalog.urlpatterns]
