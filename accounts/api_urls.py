from django.urls import path

from accounts.apis.teams import InvitationCreateApi, OrganizationListApi
from accounts.apis.tokens import TokenListCreateApi, TokenObtainApi, TokenRevokeApi
from accounts.apis.users import MeApi

urlpatterns = [
    path("auth/token/", TokenObtainApi.as_view(), name="api-token-obtain"),
    path("auth/tokens/", TokenListCreateApi.as_view(), name="api-tokens"),
    path("auth/tokens/<int:token_id>/", TokenRevokeApi.as_view(), name="api-token-revoke"),
    path("me/", MeApi.as_view(), name="api-me"),
    path("organizations/", OrganizationListApi.as_view(), name="api-organizations"),
    path(
        "organizations/<slug:slug>/invitations/",
        InvitationCreateApi.as_view(),
        name="api-organization-invitations",
    ),
]
