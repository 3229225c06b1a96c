from django.urls import path

from . import views_attestations

app_name = "attestations"

urlpatterns = [
    path(
        "team/models/<uuid:declaration_uuid>/attest/",
        views_attestations.attestation_new,
        name="new",
    ),
]
