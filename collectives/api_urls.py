"""Collectives API v1 routes."""

from django.urls import path

from collectives.apis import collectives as c

urlpatterns = [
    path("collectives/", c.CollectiveListCreateApi.as_view(), name="api-collectives"),
    path("collectives/<slug:slug>/", c.CollectiveDetailApi.as_view(), name="api-collective"),
    path(
        "collectives/<slug:slug>/join/", c.CollectiveJoinApi.as_view(), name="api-collective-join"
    ),
    path(
        "collectives/<slug:slug>/leave/",
        c.CollectiveLeaveApi.as_view(),
        name="api-collective-leave",
    ),
    path("collectives/<slug:slug>/works/", c.PoolApi.as_view(), name="api-collective-works"),
    path(
        "collectives/<slug:slug>/works/<int:work_id>/",
        c.PoolWorkApi.as_view(),
        name="api-collective-work",
    ),
    path(
        "collectives/<slug:slug>/proposals/",
        c.ProposalListCreateApi.as_view(),
        name="api-collective-proposals",
    ),
    path(
        "collectives/<slug:slug>/proposals/<int:proposal_id>/ballots/",
        c.BallotApi.as_view(),
        name="api-collective-ballots",
    ),
    path("collectives/<slug:slug>/sales/", c.SalesApi.as_view(), name="api-collective-sales"),
]
