from django.urls import path

from . import apis_claims as apis

urlpatterns = [
    path("claims/", apis.ClaimCreateApi.as_view(), name="api-claims"),
    path("claims/<uuid:claim_uuid>/", apis.ClaimStatusApi.as_view(), name="api-claim"),
    path(
        "claims/<uuid:claim_uuid>/answer/", apis.ClaimAnswerApi.as_view(), name="api-claim-answer"
    ),
    path(
        "claims/<uuid:claim_uuid>/uphold/", apis.ClaimUpholdApi.as_view(), name="api-claim-uphold"
    ),
    path(
        "claims/<uuid:claim_uuid>/dismiss/",
        apis.ClaimDismissApi.as_view(),
        name="api-claim-dismiss",
    ),
]
