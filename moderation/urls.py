"""Moderation pages, in two URL namespaces kept from before: `moderation` (the staff home, review
cases, bans, a creator's answer) and `claims` (rights claims)."""

from django.urls import include, path

from moderation.views import bans, cases, claims, home

case_patterns = [
    path("staff/", home.staff_home, name="staff_home"),
    path("staff/review/", cases.review_queue, name="queue"),
    path("staff/review/count/", cases.review_count, name="count"),
    path("staff/review/bulk/", cases.review_bulk, name="bulk"),
    path("staff/review/log/", cases.review_log, name="log"),
    path("staff/review/<int:case_id>/", cases.review_case, name="case"),
    path("staff/review/<int:case_id>/decide/", cases.review_case_decide, name="decide"),
    path("staff/accounts/<int:user_id>/ban/", bans.account_ban_view, name="ban"),
    path("staff/accounts/<int:user_id>/unban/", bans.account_unban_view, name="unban"),
    path("studio/works/<int:work_id>/review-answer/", cases.work_case_answer, name="answer"),
]

claim_patterns = [
    path("works/<uuid:work_uuid>/claim/", claims.claim_new, name="claim_new"),
    path("claims/<uuid:claim_uuid>/", claims.claim_status, name="claim_status"),
    path("studio/claims/<uuid:claim_uuid>/answer/", claims.claim_answer_view, name="answer"),
    path("staff/claims/", claims.staff_claims, name="staff_claims"),
    path("staff/claims/<uuid:claim_uuid>/", claims.staff_claim, name="staff_claim"),
    path("staff/claims/<uuid:claim_uuid>/uphold/", claims.staff_claim_uphold, name="uphold"),
    path("staff/claims/<uuid:claim_uuid>/dismiss/", claims.staff_claim_dismiss, name="dismiss"),
    path("staff/claims/<uuid:claim_uuid>/refunds/", claims.staff_claim_refunds, name="refunds"),
]

urlpatterns = [
    path("", include((case_patterns, "moderation"))),
    path("", include((claim_patterns, "claims"))),
]
