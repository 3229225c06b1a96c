from django.urls import path

from . import apis_models

urlpatterns = [
    path("models/", apis_models.DeclarationListCreateApi.as_view(), name="api-models"),
    path(
        "models/<uuid:declaration_uuid>/",
        apis_models.DeclarationDetailApi.as_view(),
        name="api-model",
    ),
]
