"""The decision log as staff read it: each staff decision under the staff member who took it,
and each screening outcome (listed, held, rejected on upload) as the automatic decision it is,
never under a person's name. A case's own log is the same, for its work."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import CharField, QuerySet, Value

from accounts.selectors.users import actor_name, is_system_actor
from moderation.models import Decision, DecisionAction, Outcome, ReviewCase, Screening

AUTOMATIC_SCREENING = "Automatic screening"
# The `action` filter's values for screening outcomes, beside the staff's DecisionAction ones.
SCREENING_ACTIONS = {
    f"screening_{Outcome.LIST}": "Listed on screening",
    f"screening_{Outcome.HOLD}": "Held for review on screening",
    f"screening_{Outcome.REJECT}": "Rejected on screening",
}
LOG_ACTIONS = [*DecisionAction.choices, *SCREENING_ACTIONS.items()]
AUTOMATIC = "automatic"  # the `actor` filter's value for what no person decided


@dataclass(frozen=True)
class LogEntry:
    key: str  # "decision-12", "screening-40": unique across both
    at: datetime
    action: str  # a DecisionAction value or a SCREENING_ACTIONS key
    label: str
    by: str  # the staff member's email, or AUTOMATIC_SCREENING
    is_automatic: bool
    reason: str
    case_id: int | None = None
    work_id: int | None = None
    account: object | None = None  # the account a ban or unban was about
    batch: uuid.UUID | None = None


def decision_entry(decision: Decision) -> LogEntry:
    return LogEntry(
        key=f"decision-{decision.id}",
        at=decision.at,
        action=decision.action,
        label=decision.get_action_display(),
        by=actor_name(decision.actor),
        is_automatic=is_system_actor(decision.actor),
        reason=decision.reason,
        case_id=decision.case_id,
        work_id=decision.work_id,
        account=decision.account,
        batch=decision.batch,
    )


def screening_entry(screening: Screening, *, case_id: int | None = None) -> LogEntry:
    action = f"screening_{screening.outcome}"
    reasons = " ".join(r if r.endswith(".") else f"{r}." for r in screening.reasons or [])
    return LogEntry(
        key=f"screening-{screening.id}",
        at=screening.at,
        action=action,
        label=SCREENING_ACTIONS.get(action, screening.get_outcome_display()),
        by=AUTOMATIC_SCREENING,
        is_automatic=True,
        reason=f"Score {screening.score}. {reasons or 'Nothing needed a person to look.'}",
        case_id=case_id,
        work_id=screening.work_id,
    )


def case_log(*, case: ReviewCase) -> list[LogEntry]:
    """What was decided about the case's work, oldest first: how screening judged it, and
    the staff decisions on the case."""
    entries = [decision_entry(d) for d in case.decisions.select_related("actor", "account")]
    if case.work_id is not None:
        entries += [screening_entry(s) for s in Screening.objects.filter(work_id=case.work_id)]
    return sorted(entries, key=lambda e: (e.at, e.key))


def decision_log(
    *,
    action: str = "",
    actor_id: int | None = None,
    automatic: bool = False,
    account_id: int | None = None,
    work_id: int | None = None,
    batch=None,
) -> QuerySet:
    """Staff decisions and screening outcomes, newest first, as rows of (source, id, at) to
    page through; `log_entries` reads a page of them. Filters that only a staff decision has
    (a staff member, an account, a batch) leave the screenings out, and `automatic` the
    decisions."""
    decisions = Decision.objects.all()
    screenings = Screening.objects.all()
    if action in SCREENING_ACTIONS:
        decisions = decisions.none()
        screenings = screenings.filter(outcome=action.removeprefix("screening_"))
    elif action:
        decisions, screenings = decisions.filter(action=action), screenings.none()
    if actor_id:
        decisions, screenings = decisions.filter(actor_id=actor_id), screenings.none()
    if automatic:
        decisions = decisions.none()
    if account_id:
        decisions, screenings = decisions.filter(account_id=account_id), screenings.none()
    if work_id:
        decisions, screenings = (
            decisions.filter(work_id=work_id),
            screenings.filter(work_id=work_id),
        )
    if batch:
        decisions, screenings = decisions.filter(batch=batch), screenings.none()
    rows = [
        decisions.annotate(source=Value("decision", output_field=CharField())),
        screenings.annotate(source=Value("screening", output_field=CharField())),
    ]
    # Each part unordered (their models' default order is not allowed inside a union).
    first, second = (qs.order_by().values("source", "id", "at") for qs in rows)
    return first.union(second, all=True).order_by("-at", "-id")


def log_entries(rows) -> list[LogEntry]:
    """A page of `decision_log` rows as entries, in the page's order (two queries)."""
    rows = list(rows)
    ids = {
        source: [r["id"] for r in rows if r["source"] == source]
        for source in ("decision", "screening")
    }
    decisions = Decision.objects.select_related("actor", "account").in_bulk(ids["decision"])
    screenings = Screening.objects.in_bulk(ids["screening"])
    entries = []
    for row in rows:
        if row["source"] == "decision" and row["id"] in decisions:
            entries.append(decision_entry(decisions[row["id"]]))
        elif row["source"] == "screening" and row["id"] in screenings:
            entries.append(screening_entry(screenings[row["id"]]))
    return entries
