from django.urls import path

from payouts.views.connect import (
    earnings_connect,
    earnings_connect_refresh,
    earnings_connect_return,
)
from payouts.views.earnings import earnings, earnings_csv
from payouts.views.freezes import staff_freeze_create, staff_freeze_lift
from payouts.views.ledger import staff_ledger
from payouts.views.payout_runs import staff_payout_run
from payouts.views.reconciliation import staff_reconciliation
from payouts.views.team_credit import staff_team_credit_pay

app_name = "payouts"

urlpatterns = [
    path("studio/earnings/", earnings, name="earnings"),
    path("studio/earnings.csv", earnings_csv, name="earnings_csv"),
    path("studio/earnings/connect/", earnings_connect, name="connect"),
    path("studio/earnings/connect/return/", earnings_connect_return, name="connect_return"),
    path("studio/earnings/connect/refresh/", earnings_connect_refresh, name="connect_refresh"),
    path("staff/ledger/", staff_ledger, name="staff_ledger"),
    path("staff/ledger/freezes/", staff_freeze_create, name="freeze_create"),
    path("staff/ledger/freezes/<int:freeze_id>/lift/", staff_freeze_lift, name="freeze_lift"),
    path("staff/ledger/payout-run/", staff_payout_run, name="payout_run"),
    path("staff/ledger/team-credit/", staff_team_credit_pay, name="team_credit_pay"),
    path(
        "staff/reconciliation/",
        staff_reconciliation,
        name="staff_reconciliation",
    ),
]
