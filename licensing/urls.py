"""Licensing pages. Three URL namespaces, kept from before the modules were gathered here:
`licensing` (offers, consent, public terms), `models` (declarations) and `attestations`."""

from django.urls import include, path

from licensing.views import attestations, declarations, offers, terms

offer_patterns = [
    path("studio/works/<int:work_id>/offers/new/", offers.offer_new, name="offer_new"),
    path(
        "studio/works/<int:work_id>/offers/<int:offer_id>/withdraw/",
        offers.offer_withdraw_view,
        name="offer_withdraw",
    ),
    path("studio/works/<int:work_id>/withdraw/", offers.work_withdraw_view, name="work_withdraw"),
    path("studio/consents/", offers.consent_history_view, name="consent_history"),
    path("studio/offers/net/", offers.offer_net, name="offer_net"),
    path("studio/offers/bulk/", offers.bulk_offer, name="bulk_offer"),
    path("studio/offers/bulk/<int:job_id>/", offers.bulk_job, name="bulk_job"),
    path("licenses/terms/<str:terms_hash>/", terms.terms_page, name="terms_page"),
    path("offers/<uuid:offer_uuid>/rsl.xml", terms.offer_rsl, name="offer_rsl"),
    path("offers/<uuid:offer_uuid>/cawg.json", terms.offer_cawg, name="offer_cawg"),
]

declaration_patterns = [
    path("team/models/", declarations.model_list, name="list"),
    path("team/models/new/", declarations.model_new, name="new"),
    path("team/models/<uuid:declaration_uuid>/", declarations.model_detail, name="detail"),
    path("studio/models/", declarations.studio_models, name="studio_models"),
    path("studio/licenses/", declarations.studio_licenses, name="studio_licenses"),
]

attestation_patterns = [
    path("team/models/<uuid:declaration_uuid>/attest/", attestations.attestation_new, name="new"),
]

urlpatterns = [
    path("", include((offer_patterns, "licensing"))),
    path("", include((declaration_patterns, "models"))),
    path("", include((attestation_patterns, "attestations"))),
]
