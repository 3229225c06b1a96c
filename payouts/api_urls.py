from django.urls import path

from payouts.apis.earnings import EarningsApi
from payouts.apis.payout_runs import PayoutListApi
from payouts.apis.reconciliation import StaffReconciliationApi
from payouts.apis.team_credit import StaffTeamCreditPaymentApi

urlpatterns = [
    path("earnings/", EarningsApi.as_view(), name="api-earnings"),
    path("payouts/", PayoutListApi.as_view(), name="api-payouts"),
    path("staff/reconciliation/", StaffReconciliationApi.as_view(), name="api-reconciliation"),
    path(
        "staff/team-credit-payments/",
        StaffTeamCreditPaymentApi.as_view(),
        name="api-team-credit-payments",
    ),
]
