from django.urls import path

from . import views_claims as views

app_name = "claims"

urlpatterns = [
    path("works/<uuid:work_uuid>/claim/", views.claim_new, name="claim_new"),
    path("claims/<uuid:claim_uuid>/", views.claim_status, name="claim_status"),
    path("studio/claims/<uuid:claim_uuid>/answer/", views.claim_answer_view, name="answer"),
    path("staff/claims/", views.staff_claims, name="staff_claims"),
    path("staff/claims/<uuid:claim_uuid>/", views.staff_claim, name="staff_claim"),
    path("staff/claims/<uuid:claim_uuid>/uphold/", views.staff_claim_uphold, name="uphold"),
    path("staff/claims/<uuid:claim_uuid>/dismiss/", views.staff_claim_dismiss, name="dismiss"),
    path("staff/claims/<uuid:claim_uuid>/refunds/", views.staff_claim_refunds, name="refunds"),
]
