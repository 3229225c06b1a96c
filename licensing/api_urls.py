from django.urls import path

from . import apis

urlpatterns = [
    path("works/<int:work_id>/offers/", apis.OfferListCreateApi.as_view(), name="api-offers"),
    path(
        "works/<int:work_id>/offers/<int:offer_id>/withdraw/",
        apis.OfferWithdrawApi.as_view(),
        name="api-offer-withdraw",
    ),
    path("works/<int:work_id>/withdraw/", apis.WorkWithdrawApi.as_view(), name="api-work-withdraw"),
    path("presets/", apis.PresetListApi.as_view(), name="api-presets"),
    path("consents/", apis.ConsentHistoryApi.as_view(), name="api-consents"),
]
