from django.urls import path

from . import views, views_reconciliation

app_name = "payouts"

urlpatterns = [
    path("studio/earnings/", views.earnings, name="earnings"),
    path("studio/earnings.csv", views.earnings_csv, name="earnings_csv"),
    path("studio/earnings/connect/", views.earnings_connect, name="connect"),
    path("studio/earnings/connect/return/", views.earnings_connect_return, name="connect_return"),
    path(
        "studio/earnings/connect/refresh/", views.earnings_connect_refresh, name="connect_refresh"
    ),
    path("staff/ledger/", views.staff_ledger, name="staff_ledger"),
    path("staff/ledger/freezes/", views.staff_freeze_create, name="freeze_create"),
    path("staff/ledger/freezes/<int:freeze_id>/lift/", views.staff_freeze_lift, name="freeze_lift"),
    path("staff/ledger/payout-run/", views.staff_payout_run, name="payout_run"),
    path("staff/ledger/team-credit/", views.staff_team_credit_pay, name="team_credit_pay"),
    path(
        "staff/reconciliation/",
        views_reconciliation.staff_reconciliation,
        name="staff_reconciliation",
    ),
]
