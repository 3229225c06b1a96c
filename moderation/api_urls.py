from django.urls import path

from . import apis

urlpatterns = [
    path("staff/cases/", apis.StaffCaseListApi.as_view(), name="api-staff-cases"),
    path("staff/cases/<int:case_id>/", apis.StaffCaseDetailApi.as_view(), name="api-staff-case"),
    path(
        "staff/cases/<int:case_id>/decision/",
        apis.StaffCaseDecisionApi.as_view(),
        name="api-staff-case-decision",
    ),
    path(
        "staff/accounts/<int:user_id>/ban/",
        apis.StaffAccountBanApi.as_view(),
        name="api-staff-account-ban",
    ),
]
