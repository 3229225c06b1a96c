from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("studio/", views.studio, name="studio"),
    path("team/", views.team, name="team"),
    path("team/new/", views.team_create, name="team_create"),
    path("team/<slug:slug>/invite/", views.team_invite, name="team_invite"),
    path(
        "team/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke_view,
        name="invitation_revoke",
    ),
    path(
        "team/members/<int:membership_id>/remove/",
        views.membership_remove_view,
        name="membership_remove",
    ),
    path("invitations/<str:token>/", views.invitation_accept_view, name="invitation_accept"),
    path("settings/tokens/", views.tokens, name="tokens"),
    path("settings/tokens/<int:token_id>/revoke/", views.token_revoke_view, name="token_revoke"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
]
