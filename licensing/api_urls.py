"""Licensing API v1 routes: offers and consent, model declarations, destruction attestations."""

from django.urls import path

from licensing.apis import attestations, declarations, offers

urlpatterns = [
    path("works/<int:work_id>/offers/", offers.OfferListCreateApi.as_view(), name="api-offers"),
    path(
        "works/<int:work_id>/offers/<int:offer_id>/withdraw/",
        offers.OfferWithdrawApi.as_view(),
        name="api-offer-withdraw",
    ),
    path(
        "works/<int:work_id>/withdraw/", offers.WorkWithdrawApi.as_view(), name="api-work-withdraw"
    ),
    path("presets/", offers.PresetListApi.as_view(), name="api-presets"),
    path("consents/", offers.ConsentHistoryApi.as_view(), name="api-consents"),
    path("models/", declarations.DeclarationListCreateApi.as_view(), name="api-models"),
    path(
        "models/<uuid:declaration_uuid>/",
        declarations.DeclarationDetailApi.as_view(),
        name="api-model",
    ),
    path(
        "models/<uuid:declaration_uuid>/attestations/",
        attestations.AttestationListCreateApi.as_view(),
        name="api-model-attestations",
    ),
]
