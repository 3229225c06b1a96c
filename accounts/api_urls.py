from django.urls import path

from . import apis

urlpatterns = [
    path("auth/token/", apis.TokenObtainApi.as_view(), name="api-token-obtain"),
    path("auth/tokens/", apis.TokenListCreateApi.as_view(), name="api-tokens"),
    path("auth/tokens/<int:token_id>/", apis.TokenRevokeApi.as_view(), name="api-token-revoke"),
    path("me/", apis.MeApi.as_view(), name="api-me"),
    path("organizations/", apis.OrganizationListApi.as_view(), name="api-organizations"),
    path(
        "organizations/<slug:slug>/invitations/",
        apis.InvitationCreateApi.as_view(),
        name="api-organization-invitations",
    ),
]
