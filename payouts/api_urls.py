from django.urls import path

from . import apis

urlpatterns = [
    path("earnings/", apis.EarningsApi.as_view(), name="api-earnings"),
    path("payouts/", apis.PayoutListApi.as_view(), name="api-payouts"),
    path("staff/reconciliation/", apis.StaffReconciliationApi.as_view(), name="api-reconciliation"),
    path(
        "staff/team-credit-payments/",
        apis.StaffTeamCreditPaymentApi.as_view(),
        name="api-team-credit-payments",
    ),
]
