"""Proposals and ballots: the only way a collective's rules change.

A proposal passes with a simple majority of the ballots cast (more yes than no), if enough
members voted (the quorum, a percentage of the members who may vote). It is decided once, with
the collective's row locked: when its window closes (a beat task), or as soon as the ballots
left could no longer change the result. Ballots are append-only, one per member and proposal;
casting the same vote again is a no-op, changing it is refused."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Organization
from accounts.services.notifications import notify
from collectives.models import (
    Ballot,
    Collective,
    Floor,
    Proposal,
    ProposalKind,
    ProposalStatus,
    Strike,
)
from collectives.rules import floor_text, in_pool
from collectives.services.membership import (
    open_membership,
    quorum_needed_for,
    rules_check,
    voters,
)
from common.money import format_money, is_supported, normalise_currency, unsupported_currency
from config.errors import ApplicationError
from config.input_fields import not_one_of
from licensing.models import Offer, OfferStatus
from licensing.money import MAX_PRICE
from licensing.terms import USE_BITS, USE_LABELS, Use


def _use(payload: dict) -> Use:
    raw = str(payload.get("use") or "").strip().lower()
    try:
        return Use(raw)
    except ValueError as exc:
        raise ApplicationError(
            f"Unknown use {raw!r}.", code="invalid", fields={"use": [not_one_of(raw, list(Use))]}
        ) from exc


def _amount_currency(payload: dict) -> tuple[int, str]:
    currency = normalise_currency(str(payload.get("currency") or ""))
    if not is_supported(currency):
        message = unsupported_currency(currency)
        raise ApplicationError(message, code="invalid", fields={"currency": [message]})
    amount = payload.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount <= MAX_PRICE:
        raise ApplicationError(
            "The amount is a whole number of minor units (cents), 0 to remove the floor.",
            code="invalid",
            fields={"amount": ["Whole minor units, 0 or more."]},
        )
    return amount, currency


def proposal_describe(*, collective: Collective, kind: str, payload: dict) -> tuple[dict, str]:
    """Check a proposal's content and say it in words; returns (clean payload, summary)."""
    if kind == ProposalKind.FLOOR_SET:
        use = _use(payload)
        amount, currency = _amount_currency(payload)
        if not amount:
            return {"use": str(use), "amount": 0, "currency": currency}, (
                f"Remove the {currency} floor to {USE_LABELS[use]}"
            )
        return {"use": str(use), "amount": amount, "currency": currency}, (
            f"Floor of {format_money(amount, currency)} per license to {USE_LABELS[use]}"
        )
    if kind == ProposalKind.MONTHLY_MINIMUM_SET:
        amount, currency = _amount_currency(payload)
        if not amount:
            return {"amount": 0, "currency": currency}, f"Remove the {currency} monthly minimum"
        return {"amount": amount, "currency": currency}, (
            f"At least {format_money(amount, currency)} per month of a license's term"
        )
    if kind == ProposalKind.NO_COMMERCIAL_GENERATIVE:
        enabled = payload.get("enabled", True)
        if not isinstance(enabled, bool):
            raise ApplicationError("enabled is true or false.", fields={"enabled": ["Boolean."]})
        return {"enabled": enabled}, (
            "No generative training by commercial buyers"
            if enabled
            else "Allow generative training by commercial buyers again"
        )
    if kind == ProposalKind.STRIKE_TEAM:
        slug = str(payload.get("team") or "").strip()
        team = Organization.objects.filter(slug=slug).first()
        if team is None:
            raise ApplicationError(
                "No such buyer team.", code="invalid", fields={"team": ["Unknown team."]}
            )
        return {"team": team.slug, "organization_id": team.id}, (
            f"Withhold every pooled work from {team.name}"
        )
    if kind == ProposalKind.STRIKE_USE:
        use = _use(payload)
        return {"use": str(use)}, f"Withhold every pooled work from use: {USE_LABELS[use]}"
    if kind == ProposalKind.STRIKE_END:
        strike_id = payload.get("strike_id")
        strike = Strike.objects.filter(
            collective=collective, id=strike_id if isinstance(strike_id, int) else None
        ).first()
        if strike is None or strike.ended_at is not None:
            raise ApplicationError(
                "No running strike with that id.",
                code="invalid",
                fields={"strike_id": ["Unknown strike."]},
            )
        return {"strike_id": strike.id}, f"End the strike: {strike_summary(strike)}"
    if kind == ProposalKind.RULES_SET:
        rules = rules_check(
            quorum_percent=payload.get("quorum_percent", collective.quorum_percent),
            vote_window_hours=payload.get("vote_window_hours", collective.vote_window_hours),
            leave_notice_days=payload.get("leave_notice_days", collective.leave_notice_days),
        )
        return rules, (
            f"Quorum {rules['quorum_percent']}%, votes open {rules['vote_window_hours']} hours, "
            f"{rules['leave_notice_days']} days' notice to leave"
        )
    raise ApplicationError(
        f"Unknown proposal kind {kind!r}.",
        code="invalid",
        fields={"kind": [not_one_of(kind, ProposalKind.values)]},
    )


def strike_summary(strike: Strike) -> str:
    if strike.organization_id:
        return f"no sales to {strike.organization.name}"
    return f"no sales to {USE_LABELS[Use(strike.use)]}"


def _member_required(collective: Collective, user) -> None:
    if open_membership(collective=collective, user=user) is None:
        raise ApplicationError(
            "Only members of this collective can do this.", code="not_member", status=403
        )


def proposal_open(*, collective: Collective, user, kind: str, payload) -> Proposal:
    _member_required(collective, user)
    if not isinstance(payload, dict):
        raise ApplicationError("payload is an object.", fields={"payload": ["An object."]})
    clean, summary = proposal_describe(collective=collective, kind=kind, payload=payload)
    return Proposal.objects.create(
        collective=collective,
        kind=kind,
        payload=clean,
        summary=summary[:300],
        proposed_by=user,
        closes_at=timezone.now() + timedelta(hours=collective.vote_window_hours),
    )


def ballot_cast(*, proposal: Proposal, user, in_favour) -> Ballot:
    """Vote once. The same vote again returns the ballot already cast; a different one is
    refused (409 `already_voted`): ballots are a record, not a setting."""
    if not isinstance(in_favour, bool):
        raise ApplicationError(
            "Vote yes (true) or no (false).", fields={"in_favour": ["true or false."]}
        )
    with transaction.atomic():
        collective = Collective.objects.select_for_update().get(id=proposal.collective_id)
        _member_required(collective, user)
        proposal = Proposal.objects.select_for_update().get(id=proposal.id)
        existing = Ballot.objects.filter(proposal=proposal, voter=user).first()
        if existing is not None:
            if existing.in_favour != in_favour:
                raise ApplicationError(
                    "You have voted on this proposal already; a ballot cannot be changed.",
                    code="already_voted",
                    status=409,
                )
            return existing
        if proposal.status != ProposalStatus.OPEN or proposal.closes_at <= timezone.now():
            raise ApplicationError(
                "Voting on this proposal has closed.", code="vote_closed", status=409
            )
        try:
            with transaction.atomic():
                ballot = Ballot.objects.create(proposal=proposal, voter=user, in_favour=in_favour)
        except IntegrityError:  # the same member voting in two requests at once
            return Ballot.objects.get(proposal=proposal, voter=user)
        _decide_if_settled(collective, proposal, at_close=False)
    return ballot


def proposals_close_due(*, now=None) -> int:
    """Decide every open proposal whose window has closed (beat; idempotent)."""
    now = now or timezone.now()
    due = list(
        Proposal.objects.filter(status=ProposalStatus.OPEN, closes_at__lte=now).values_list(
            "id", flat=True
        )
    )
    for proposal_id in due:
        proposal_close(proposal_id=proposal_id)
    return len(due)


def proposal_close(*, proposal_id: int) -> Proposal | None:
    with transaction.atomic():
        proposal = Proposal.objects.filter(id=proposal_id).first()
        if proposal is None:
            return None
        collective = Collective.objects.select_for_update().get(id=proposal.collective_id)
        proposal = Proposal.objects.select_for_update().get(id=proposal_id)
        if proposal.status == ProposalStatus.OPEN:
            _decide_if_settled(collective, proposal, at_close=True)
    return proposal


def _decide_if_settled(collective: Collective, proposal: Proposal, *, at_close: bool) -> None:
    electorate = voters(collective).count()
    ballots = list(proposal.ballots.values_list("in_favour", flat=True))
    yes, no = sum(ballots), len(ballots) - sum(ballots)
    remaining = max(0, electorate - len(ballots))
    quorum = quorum_needed_for(collective, electorate)
    if not at_close and remaining:
        # Before the window closes, decide only when no ballot still to come can change it.
        certain_pass = len(ballots) >= quorum and yes > no + remaining
        certain_fail = len(ballots) >= quorum and no >= yes + remaining
        if not (certain_pass or certain_fail):
            return
    if len(ballots) < quorum:
        status = ProposalStatus.NO_QUORUM
    elif yes > no:
        status = ProposalStatus.PASSED
    else:
        status = ProposalStatus.REJECTED
    proposal.status = status
    proposal.electorate, proposal.yes_count, proposal.no_count = electorate, yes, no
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["status", "electorate", "yes_count", "no_count", "decided_at"])
    if status == ProposalStatus.PASSED:
        _apply(collective, proposal)


def _apply(collective: Collective, proposal: Proposal) -> None:
    """Make a passed proposal the collective's rule, at once, for new sales."""
    payload, now = proposal.payload, timezone.now()
    kind = proposal.kind
    if kind in (ProposalKind.FLOOR_SET, ProposalKind.MONTHLY_MINIMUM_SET):
        use = payload.get("use", Floor.PER_MONTH)
        key = {"collective": collective, "use": use, "currency": payload["currency"]}
        if payload["amount"] == 0:
            Floor.objects.filter(**key).delete()
        else:
            floor, _ = Floor.objects.update_or_create(
                **key,
                defaults={
                    "amount": payload["amount"],
                    "use_bit": USE_BITS[Use(use)] if use else 0,
                    "proposal": proposal,
                },
            )
            _tell_offers_below(collective, floor, proposal)
    elif kind == ProposalKind.NO_COMMERCIAL_GENERATIVE:
        collective.no_commercial_generative = payload["enabled"]
        collective.save(update_fields=["no_commercial_generative"])
    elif kind == ProposalKind.STRIKE_TEAM:
        Strike.objects.create(
            collective=collective,
            organization_id=payload["organization_id"],
            started_at=now,
            proposal=proposal,
        )
    elif kind == ProposalKind.STRIKE_USE:
        Strike.objects.create(
            collective=collective, use=payload["use"], started_at=now, proposal=proposal
        )
    elif kind == ProposalKind.STRIKE_END:
        Strike.objects.filter(id=payload["strike_id"], ended_at__isnull=True).update(ended_at=now)
    elif kind == ProposalKind.RULES_SET:
        for name, value in payload.items():
            setattr(collective, name, value)
        collective.save(update_fields=list(payload))


def _tell_offers_below(collective: Collective, floor: Floor, proposal: Proposal) -> None:
    """Offers on pooled works that a raised floor leaves below it stop being sold (the sale
    rule says so); their creators are told, once per proposal, never silently repriced."""
    now = timezone.now()
    offers = Offer.objects.filter(
        status=OfferStatus.ACTIVE,
        currency=floor.currency,
        work__in=collective.assignments.filter(in_pool(now)).values("work_id"),
    ).select_related("work", "work__owner")
    below: dict[int, list[Offer]] = {}
    for offer in offers:
        minimum = floor.amount * offer.term_months if not floor.use else floor.amount
        if floor.use and floor.use not in offer.uses:
            continue
        if offer.price_amount < minimum:
            below.setdefault(offer.work.owner_id, []).append(offer)
    for owner_offers in below.values():
        owner = owner_offers[0].work.owner
        titles = ", ".join(f"“{o.work.title}”" for o in owner_offers[:10])
        notify(
            user=owner,
            subject=f"{collective.name} raised a floor: {len(owner_offers)} offer(s) off sale",
            body=(
                f"The members of {collective.name} voted a floor of "
                f"{floor_text(floor, floor.currency)}. Your offers on {titles} are below it, so "
                "they are not sold until you change their price (nothing was repriced for you). "
                "Licenses already sold are not affected."
            ),
            url=f"/collectives/{collective.slug}/",
            dedupe_key=f"collective-floor:{proposal.id}:{owner.id}",
        )
