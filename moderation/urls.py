from django.urls import path

from . import views

app_name = "moderation"

urlpatterns = [
    path("staff/", views.staff_home, name="staff_home"),
    path("staff/review/", views.review_queue, name="queue"),
    path("staff/review/count/", views.review_count, name="count"),
    path("staff/review/bulk/", views.review_bulk, name="bulk"),
    path("staff/review/log/", views.review_log, name="log"),
    path("staff/review/<int:case_id>/", views.review_case, name="case"),
    path("staff/review/<int:case_id>/decide/", views.review_case_decide, name="decide"),
    path("staff/accounts/<int:user_id>/ban/", views.account_ban_view, name="ban"),
    path("staff/accounts/<int:user_id>/unban/", views.account_unban_view, name="unban"),
    path("studio/works/<int:work_id>/review-answer/", views.work_case_answer, name="answer"),
]
