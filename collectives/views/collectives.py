"""Collectives' pages: the directory, founding, a collective's page (public facts; for members
the pool, proposals with their votes, and sales), pooling works with consent, and the POSTs
that join, leave, propose and vote. The rules live in the services."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.permissions import creator_required
from collectives.forms import CollectiveForm, ProposalForm
from collectives.models import Proposal
from collectives.selectors.collectives import (
    collective_by_slug,
    collective_sales,
    collectives_directory,
    collectives_of,
    floors,
    leaving,
    members,
    open_proposals_first,
    poolable_works,
    pooled,
    quorum_needed,
    sales_summary,
    standing,
    strikes_running,
)
from collectives.services.membership import collective_found, collective_join, collective_leave
from collectives.services.pool import (
    assignment_text,
    published_formula,
    work_unassign,
    works_assign,
)
from collectives.services.votes import ballot_cast, proposal_open
from config.errors import ApplicationError
from config.input_fields import parse_id
from licensing.consent import ConsentContext
from marketplace.selectors.data_requests import pool_match_counts

SALES_SHOWN = 50


def _collective_or_404(slug: str):
    collective = collective_by_slug(slug)
    if collective is None:
        raise Http404("No such collective.")
    return collective


def collective_list(request):
    user = request.user
    mine = list(collectives_of(user)) if user.is_authenticated else []
    context = {
        "collectives": collectives_directory()[:200],
        "mine": mine,
        "is_creator": user.is_authenticated and user.role == Role.CREATOR,
    }
    return render(request, "collectives/list.html", context)


@creator_required
def collective_new(request):
    form = CollectiveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            collective = collective_found(founder=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, f"{collective.name} is founded; you are its first member.")
            return redirect("collectives:detail", slug=collective.slug)
    return render(request, "collectives/new.html", {"form": form}, status=_status(form))


def collective_detail(request, slug):
    collective = _collective_or_404(slug)
    member = standing(collective, request.user)
    context = {
        "collective": collective,
        "member": member,
        "leaving": None if member else leaving(collective, request.user),
        "floors": floors(collective),
        "strikes": strikes_running(collective),
        "formula": published_formula(collective),
        "is_creator": request.user.is_authenticated and request.user.role == Role.CREATOR,
    }
    if member is not None or _is_staff(request.user):
        summary = sales_summary(collective)
        context.update(
            sales=collective_sales(collective)[:SALES_SHOWN],
            revenue=summary.revenue,
            teams=summary.teams,
        )
    if member is not None:
        context.update(
            proposals=open_proposals_first(collective, user=request.user),
            quorum=quorum_needed(collective),
            my_pool=pooled(collective, member=request.user),
            members=members(collective),
            proposal_form=ProposalForm(initial={"currency": "USD", "enabled": True}),
            # Buyers' open requests the pool fits: members answer them work by work.
            pool_requests=pool_match_counts(
                work_ids=pooled(collective).values_list("work_id", flat=True)
            ),
        )
    return render(request, "collectives/detail.html", context)


def _is_staff(user) -> bool:
    return user.is_authenticated and user.role == Role.STAFF


@require_POST
@creator_required
def collective_join_view(request, slug):
    collective = _collective_or_404(slug)
    collective_join(collective=collective, user=request.user)
    messages.success(request, f"You joined {collective.name}.")
    return redirect("collectives:detail", slug=slug)


@require_POST
@creator_required
def collective_leave_view(request, slug):
    collective = _collective_or_404(slug)
    try:
        member = collective_leave(collective=collective, user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"You leave {collective.name} on {member.leaves_at:%-d %B %Y}: until then your pooled "
            "works keep its rules for new sales. Licenses already sold run to their end.",
        )
    return redirect("collectives:detail", slug=slug)


@creator_required
def pool_works(request, slug):
    """Two steps: tick works, then read the text naming the collective and the formula, and
    consent. Nothing is pooled without the second step."""
    collective = _collective_or_404(slug)
    if standing(collective, request.user) is None:
        raise Http404("Join the collective first.")
    works = list(poolable_works(collective, request.user)[:500])
    data = request.POST if request.method == "POST" else None
    chosen_ids = {parse_id(v) for v in data.getlist("works")} - {None} if data else set()
    chosen = [w for w in works if w.id in chosen_ids]
    error = None
    if data is not None and not chosen:
        error = "Tick at least one of your works."
    elif data is not None and data.get("consent") == "yes":
        try:
            works_assign(
                collective=collective,
                user=request.user,
                work_ids=[w.id for w in chosen],
                consent=True,
                context=ConsentContext.from_request(request),
            )
        except ApplicationError as exc:
            error = exc.message
        else:
            messages.success(request, f"{len(chosen)} work(s) pooled in {collective.name}.")
            return redirect("collectives:detail", slug=slug)
    context = {
        "collective": collective,
        "works": works,
        "chosen": chosen,
        "chosen_ids": {w.id for w in chosen},
        "review": bool(chosen) and error is None,
        "text": assignment_text(collective=collective, works=chosen) if chosen else "",
        "error": error,
    }
    return render(request, "collectives/pool.html", context, status=400 if error else 200)


@require_POST
@creator_required
def pool_work_remove(request, slug, work_id):
    collective = _collective_or_404(slug)
    try:
        assignment = work_unassign(collective=collective, user=request.user, work_id=work_id)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"“{assignment.work.title}” leaves the pool on {assignment.ends_at:%-d %B %Y}.",
        )
    return redirect("collectives:detail", slug=slug)


@require_POST
@creator_required
def proposal_new(request, slug):
    collective = _collective_or_404(slug)
    form = ProposalForm(request.POST)
    if form.is_valid():
        payload = form.payload()
        if form.is_valid():
            try:
                proposal = proposal_open(
                    collective=collective,
                    user=request.user,
                    kind=form.cleaned_data["kind"],
                    payload=payload,
                )
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, f"Proposed: {proposal.summary}. Members can vote now.")
            return redirect("collectives:detail", slug=slug)
    messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("collectives:detail", slug=slug)


@require_POST
@creator_required
def proposal_vote(request, slug, proposal_id):
    collective = _collective_or_404(slug)
    proposal = Proposal.objects.filter(collective=collective, id=proposal_id).first()
    if proposal is None:
        raise Http404("No such proposal.")
    choice = request.POST.get("vote")
    if choice not in ("yes", "no"):
        messages.error(request, "Vote yes or no.")
        return redirect("collectives:detail", slug=slug)
    try:
        ballot_cast(proposal=proposal, user=request.user, in_favour=choice == "yes")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        proposal.refresh_from_db()
        outcome = {
            "passed": " It passed and applies now to new sales.",
            "rejected": " It was rejected.",
        }.get(proposal.status, "")
        messages.success(request, f"Your vote is recorded.{outcome}")
    return redirect(f"{request.path.rsplit('/proposals/', 1)[0]}/#proposals")


def _form_errors(form, exc: ApplicationError) -> None:
    for name, errors in (exc.fields or {"__all__": [exc.message]}).items():
        form.add_error(name if name in form.fields else None, errors[0] if errors else exc.message)


def _status(form) -> int:
    return 400 if form.is_bound and form.errors else 200
