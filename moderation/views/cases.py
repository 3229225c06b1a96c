"""The review queue and one case: signals, decisions, bulk decisions, the log; a creator's answer."""

from __future__ import annotations

import json
import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import SYSTEM_ACTOR_EMAIL, User
from accounts.permissions import creator_required, staff_required
from config.errors import ApplicationError
from config.input_fields import canonical_choice, parse_id
from moderation.forms import AnswerForm, BulkDecisionForm, CloseForm, DecisionForm
from moderation.models import CaseKind, CaseStatus, DecisionAction, ReviewCase
from moderation.selectors.bans import account_history
from moderation.selectors.cases import (
    case_get,
    case_signals,
    open_case_count,
    team_case_facts,
    work_open_case,
)
from moderation.selectors.comparisons import case_comparisons
from moderation.selectors.log import AUTOMATIC, LOG_ACTIONS, case_log, decision_log, log_entries
from moderation.selectors.overview import open_cases
from moderation.services.decisions import case_answer, case_decide, cases_decide_bulk
from moderation.views.bans import back_url
from uploads.models import Work

CASES_PER_PAGE = 50


DECISIONS_PER_PAGE = 50


def _form_errors(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


@staff_required
def review_queue(request):
    kind = canonical_choice(request.GET.get("kind", ""), CaseKind.values) or ""
    page = Paginator(open_cases(kind=kind or None), CASES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "kind": kind, "kinds": CaseKind.choices}
    return render(request, "moderation/queue.html", context)


@staff_required
def review_count(request):
    """The nav's badge: how many cases are open (fetched by htmx after each staff page)."""
    return render(request, "moderation/_count_badge.html", {"count": open_case_count()})


@staff_required
@require_POST
def review_bulk(request):
    form = BulkDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Nothing was decided. {_form_errors(form)}")
        return redirect(back_url(request, reverse("moderation:queue")))
    data = form.cleaned_data
    try:
        batch = cases_decide_bulk(
            case_ids=data["case_ids"],
            actor=request.user,
            action=data["action"],
            reason=data["reason"],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        verb = "Approved" if data["action"] == DecisionAction.APPROVE else "Rejected"
        count = len(set(data["case_ids"]))
        messages.success(
            request, f"{verb} {count} case{'s' if count != 1 else ''} (batch {batch})."
        )
    return redirect(back_url(request, reverse("moderation:queue")))


def _pretty_metadata(work: Work) -> str:
    return json.dumps(work.metadata or {}, indent=2, sort_keys=True, ensure_ascii=False)


@staff_required
def review_case(request, case_id: int):
    case = case_get(case_id=case_id)
    if case is None:
        raise Http404("No such case.")
    if case.work_id is None:
        return _team_case(request, case)
    signals = case_signals(case=case)
    context = {
        "case": case,
        "work": case.work,
        "signals": signals,
        "comparisons": case_comparisons(work=case.work, signals=signals),
        "metadata_json": _pretty_metadata(case.work),
        "history": account_history(user=case.work.owner, exclude_work_id=case.work_id),
        "case_decisions": case_log(case=case),
        "is_open": case.status == CaseStatus.OPEN,
        "decision_form": DecisionForm(),
        "is_claim": case.kind == CaseKind.CLAIM,
    }
    return render(request, "moderation/case.html", context)


def _team_case(request, case: ReviewCase):
    """A destruction-overdue case: the team, its owners, the models overdue now (derived, so
    the page shows when the team has attested since), and the close form."""
    context = {
        "case": case,
        "facts": team_case_facts(case=case),
        "case_decisions": case_log(case=case),
        "is_open": case.status == CaseStatus.OPEN,
        "close_form": CloseForm(),
    }
    return render(request, "moderation/team_case.html", context)


@staff_required
@require_POST
def review_case_decide(request, case_id: int):
    case = get_object_or_404(
        ReviewCase.objects.select_related("work__owner", "organization"), id=case_id
    )
    is_team = case.work_id is None
    form = (CloseForm if is_team else DecisionForm)(request.POST)
    if not form.is_valid():
        messages.error(request, f"Nothing was decided. {_form_errors(form)}")
        return redirect("moderation:case", case_id=case.id)
    try:
        case_decide(case=case, actor=request.user, **form.cleaned_data)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("moderation:case", case_id=case.id)
    if is_team:
        messages.success(request, f"Case {case.id} closed: {case.organization.name}.")
        return redirect("moderation:queue")
    verb = "approved" if form.cleaned_data["action"] == DecisionAction.APPROVE else "rejected"
    messages.success(request, f"Case {case.id} {verb}: “{case.work.title}”.")
    return redirect("moderation:queue")


def _int_param(request, name: str) -> int | None:
    return parse_id(request.GET.get(name, ""))


@staff_required
def review_log(request):
    action = canonical_choice(request.GET.get("action", ""), [a for a, _ in LOG_ACTIONS]) or ""
    actor = request.GET.get("actor", "").strip().lower()
    batch = request.GET.get("batch", "").strip()
    try:
        batch = uuid.UUID(batch) if batch else None
    except ValueError:
        batch = None
    filters = {
        "action": action,
        "actor_id": None if actor == AUTOMATIC else _int_param(request, "actor"),
        "automatic": actor == AUTOMATIC,
        "account_id": _int_param(request, "account"),
        "work_id": _int_param(request, "work"),
        "batch": batch,
    }
    page = Paginator(decision_log(**filters), DECISIONS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "entries": log_entries(page.object_list),
        "filters": filters,
        "is_filtered": any(filters.values()),
        "actions": LOG_ACTIONS,
        # People only: the system account's acts are listed as automatic.
        "staff": User.objects.filter(is_staff=True)
        .exclude(email=SYSTEM_ACTOR_EMAIL)
        .order_by("email")
        .only("id", "email"),
        "automatic_value": AUTOMATIC,
    }
    return render(request, "moderation/log.html", context)


def work_case_section(request, work) -> str:
    """The review section of a creator's work page (registered with uploads in
    AppConfig.ready): why the work is held or rejected, and the one answer they may give."""
    case = work_open_case(work=work)
    # A decided case without an answer adds nothing to the status banner's reason.
    if case is None or (case.status != CaseStatus.OPEN and case.answered_at is None):
        return ""
    context = {"case": case, "work": work, "form": AnswerForm(), "is_open": case.status == "open"}
    return render_to_string("moderation/_work_case_section.html", context, request=request)


@creator_required
@require_POST
def work_case_answer(request, work_id: int):
    work = get_object_or_404(Work, id=work_id, owner=request.user)
    case = work_open_case(work=work)
    form = AnswerForm(request.POST)
    back = reverse("uploads:work_detail", args=[work.id]) + "#review"
    if case is None:
        messages.error(request, "There is no review to answer on this work.")
        return redirect(back)
    if not form.is_valid():
        messages.error(request, "Write your answer (up to 5,000 characters).")
        return redirect(back)
    try:
        case_answer(case=case, creator=request.user, text=form.cleaned_data["text"])
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Your answer was sent to the review team.")
    return redirect(back)
