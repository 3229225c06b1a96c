from django.urls import path

from . import apis_attestations

urlpatterns = [
    path(
        "models/<uuid:declaration_uuid>/attestations/",
        apis_attestations.AttestationListCreateApi.as_view(),
        name="api-model-attestations",
    ),
]
