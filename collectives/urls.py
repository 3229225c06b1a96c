"""Collectives' pages, in the `collectives` namespace."""

from django.urls import include, path

from collectives.views import collectives as v

patterns = [
    path("collectives/", v.collective_list, name="list"),
    path("collectives/new/", v.collective_new, name="new"),
    path("collectives/<slug:slug>/", v.collective_detail, name="detail"),
    path("collectives/<slug:slug>/join/", v.collective_join_view, name="join"),
    path("collectives/<slug:slug>/leave/", v.collective_leave_view, name="leave"),
    path("collectives/<slug:slug>/pool/", v.pool_works, name="pool"),
    path(
        "collectives/<slug:slug>/pool/<int:work_id>/remove/",
        v.pool_work_remove,
        name="pool_remove",
    ),
    path("collectives/<slug:slug>/proposals/", v.proposal_new, name="propose"),
    path(
        "collectives/<slug:slug>/proposals/<int:proposal_id>/vote/",
        v.proposal_vote,
        name="vote",
    ),
]

urlpatterns = [path("", include((patterns, "collectives")))]
