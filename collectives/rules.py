"""What a collective's rules forbid, as licensing asks it (see licensing.registry): an offer
below a floor is refused when it is made, and, since floors can rise after an offer was made,
such offers are left out of what may be sold (never repriced: the creator is told and decides).
For a known buyer team and intended use, the works a collective withholds (a strike, or no
generative use by commercial buyers) are left out too.

Everything here is a subquery on the offers' own query, so the catalog, quotes and checkout
pay no extra round trip for it; with no collective in the database the subqueries find nothing.
"""

from __future__ import annotations

from django.db.models import BigIntegerField, Exists, ExpressionWrapper, F, OuterRef, Q
from django.utils import timezone

from collectives.models import Assignment, Floor, Strike
from common.money import format_money
from config.errors import ApplicationError
from licensing.terms import USE_LABELS, Use


def in_pool(now, prefix: str = "") -> Q:
    """An assignment still in force for new sales (its end, if asked, not reached yet)."""
    return Q(**{f"{prefix}ends_at__isnull": True}) | Q(**{f"{prefix}ends_at__gt": now})


def assignment_in_force(*, work_id: int, now=None) -> Assignment | None:
    now = now or timezone.now()
    return (
        Assignment.objects.filter(in_pool(now), work_id=work_id)
        .select_related("collective")
        .order_by("-assigned_at")
        .first()
    )


def floor_breaches(*, collective_id: int, uses, term_months: int, price_amount: int, currency):
    """The floors this price breaks, as (floor, minimum for this offer) pairs."""
    breaches = []
    floors = Floor.objects.filter(collective_id=collective_id, currency=currency)
    for floor in floors:
        if floor.use == Floor.PER_MONTH:
            minimum = floor.amount * term_months
        elif floor.use in {str(u) for u in uses}:
            minimum = floor.amount
        else:
            continue
        if price_amount < minimum:
            breaches.append((floor, minimum))
    return breaches


def floor_text(floor: Floor, currency: str) -> str:
    amount = format_money(floor.amount, currency)
    if floor.use == Floor.PER_MONTH:
        return f"{amount} per month of term"
    return f"{amount} to {USE_LABELS[Use(floor.use)]}"


def offer_check(*, work, terms, price_amount: int, currency: str) -> None:
    """Refuse an offer on a pooled work below its collective's floors, saying which and why."""
    assignment = assignment_in_force(work_id=work.id)
    if assignment is None:
        return
    breaches = floor_breaches(
        collective_id=assignment.collective_id,
        uses=terms.uses,
        term_months=terms.term_months,
        price_amount=price_amount,
        currency=currency,
    )
    if not breaches:
        return
    highest = max(minimum for _, minimum in breaches)
    rules = "; ".join(floor_text(floor, currency) for floor, _ in breaches)
    name = assignment.collective.name
    raise ApplicationError(
        f"This work is pooled in {name}, whose members voted a floor ({rules}): on these terms "
        f"the price must be at least {format_money(highest, currency)}. Raise the price, or "
        "take the work out of the collective (after its notice period).",
        code="price_below_collective_floor",
        fields={"price": [f"At least {highest}."]},
        extra={"collective": assignment.collective.slug, "minimum": highest},
    )


def _below_floor(now) -> Exists:
    """Per offer (OuterRef): a floor of the collective its work is pooled in that the offer's
    price breaks, for one of its uses or per month of its term."""
    floors = (
        Floor.objects.filter(
            Q(collective__assignments__work_id=OuterRef("work_id"))
            & in_pool(now, "collective__assignments__"),
            currency=OuterRef("currency"),
        )
        .annotate(
            _hit=ExpressionWrapper(
                F("use_bit").bitand(OuterRef("uses_mask")), output_field=BigIntegerField()
            ),
            _month_total=ExpressionWrapper(
                F("amount") * OuterRef("term_months"), output_field=BigIntegerField()
            ),
        )
        .filter(
            Q(use_bit__gt=0, _hit__gt=0, amount__gt=OuterRef("price_amount"))
            | Q(use_bit=0, _month_total__gt=OuterRef("price_amount"))
        )
    )
    return Exists(floors)


def _withheld(now, *, organization_id, intended) -> Exists | None:
    """Per offer: its work is pooled in a collective withholding it from this team or from one
    of the intended uses, or refusing generative use to commercial buyers."""
    conditions = Q()
    if organization_id is not None:
        conditions |= Q(organization_id=organization_id)
    uses = [str(u) for u in intended.uses] if intended is not None else []
    if uses:
        conditions |= Q(use__in=uses)
    reasons = []
    if conditions:
        strikes = Strike.objects.filter(
            conditions,
            Q(collective__assignments__work_id=OuterRef("work_id"))
            & in_pool(now, "collective__assignments__"),
            started_at__lte=now,
            ended_at__isnull=True,
        )
        reasons.append(Exists(strikes))
    if intended is not None and intended.commercial and Use.GENERATIVE in intended.uses:
        pools = Assignment.objects.filter(
            in_pool(now), work_id=OuterRef("work_id"), collective__no_commercial_generative=True
        )
        reasons.append(Exists(pools))
    if not reasons:
        return None
    combined = reasons[0]
    for reason in reasons[1:]:
        combined = combined | reason
    return combined


def sale_exclusion(offers, *, organization_id=None, intended=None):
    now = timezone.now()
    offers = offers.exclude(_below_floor(now))
    withheld = _withheld(now, organization_id=organization_id, intended=intended)
    return offers.exclude(withheld) if withheld is not None else offers
