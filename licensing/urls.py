from django.urls import path

from . import views

app_name = "licensing"

urlpatterns = [
    path("studio/works/<int:work_id>/offers/new/", views.offer_new, name="offer_new"),
    path(
        "studio/works/<int:work_id>/offers/<int:offer_id>/withdraw/",
        views.offer_withdraw_view,
        name="offer_withdraw",
    ),
    path("studio/works/<int:work_id>/withdraw/", views.work_withdraw_view, name="work_withdraw"),
    path("studio/consents/", views.consent_history_view, name="consent_history"),
    path("studio/offers/bulk/", views.bulk_offer, name="bulk_offer"),
    path("studio/offers/bulk/<int:job_id>/", views.bulk_job, name="bulk_job"),
    path("licenses/terms/<str:terms_hash>/", views.terms_page, name="terms_page"),
    path("offers/<uuid:offer_uuid>/rsl.xml", views.offer_rsl, name="offer_rsl"),
    path("offers/<uuid:offer_uuid>/cawg.json", views.offer_cawg, name="offer_cawg"),
]
