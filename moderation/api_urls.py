"""Moderation API v1 routes: staff review cases and bans, rights claims."""

from django.urls import path

from moderation.apis import bans, cases, claims

urlpatterns = [
    path("staff/cases/", cases.StaffCaseListApi.as_view(), name="api-staff-cases"),
    path("staff/cases/<int:case_id>/", cases.StaffCaseDetailApi.as_view(), name="api-staff-case"),
    path(
        "staff/cases/<int:case_id>/decision/",
        cases.StaffCaseDecisionApi.as_view(),
        name="api-staff-case-decision",
    ),
    path(
        "staff/accounts/<int:user_id>/ban/",
        bans.StaffAccountBanApi.as_view(),
        name="api-staff-account-ban",
    ),
    path("claims/", claims.ClaimCreateApi.as_view(), name="api-claims"),
    path("claims/<uuid:claim_uuid>/", claims.ClaimStatusApi.as_view(), name="api-claim"),
    path(
        "claims/<uuid:claim_uuid>/answer/",
        claims.ClaimAnswerApi.as_view(),
        name="api-claim-answer",
    ),
    path(
        "claims/<uuid:claim_uuid>/uphold/",
        claims.ClaimUpholdApi.as_view(),
        name="api-claim-uphold",
    ),
    path(
        "claims/<uuid:claim_uuid>/dismiss/",
        claims.ClaimDismissApi.as_view(),
        name="api-claim-dismiss",
    ),
]
