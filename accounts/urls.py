from django.urls import path

from accounts.views.home import studio
from accounts.views.notifications import notifications, notifications_read
from accounts.views.teams import (
    invitation_accept_view,
    invitation_revoke_view,
    membership_remove_view,
    team,
    team_create,
    team_invite,
)
from accounts.views.tokens import token_revoke_view, tokens

app_name = "accounts"

urlpatterns = [
    path("studio/", studio, name="studio"),
    path("team/", team, name="team"),
    path("team/new/", team_create, name="team_create"),
    path("team/<slug:slug>/invite/", team_invite, name="team_invite"),
    path(
        "team/invitations/<int:invitation_id>/revoke/",
        invitation_revoke_view,
        name="invitation_revoke",
    ),
    path(
        "team/members/<int:membership_id>/remove/",
        membership_remove_view,
        name="membership_remove",
    ),
    path("invitations/<str:token>/", invitation_accept_view, name="invitation_accept"),
    path("settings/tokens/", tokens, name="tokens"),
    path("settings/tokens/<int:token_id>/revoke/", token_revoke_view, name="token_revoke"),
    path("notifications/", notifications, name="notifications"),
    path("notifications/read/", notifications_read, name="notifications_read"),
]
