"""Works offered into a data request: the exact text a creator consents to, the offer
(consent recorded on the response), the team accepting or declining, the creator
withdrawing."""

from __future__ import annotations

import hashlib

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.services.notifications import notify
from common.money import format_money
from config.errors import ApplicationError
from licensing.consent import ConsentContext
from licensing.money import net_per_sale
from licensing.selectors.offers import compatible_offers
from licensing.services.offers import offer_rules_check, price_check
from licensing.terms import USE_LABELS
from marketplace.models import (
    DataRequest,
    DataRequestResponse,
    DataRequestResponseStatus,
    DataRequestStatus,
    Dataset,
    DatasetItem,
    DatasetStatus,
)
from marketplace.selectors.data_requests import (
    matching_works,
    work_match_problems,
)
from marketplace.services.data_requests import locked_request
from uploads.models import Work

Status = DataRequestResponseStatus


# --- a creator offers a work -------------------------------------------------------------------


def _sentences(terms, data_request: DataRequest, price_amount: int) -> list[str]:
    uses = [USE_LABELS[u] for u in sorted(terms.uses)]
    listing = uses[0] if len(uses) == 1 else ", ".join(uses[:-1]) + " and " + uses[-1]
    net = net_per_sale(price_amount=price_amount, currency=data_request.currency)
    sentences = [
        f"{data_request.team_label} may {listing} with this work, on your offer's terms.",
        "Models trained on it may be used commercially."
        if terms.commercial
        else "Models trained on it may not be used commercially.",
    ]
    if terms.requires_destruction:
        sentences.append(
            f"After {terms.term_label()} every model trained on it must be destroyed, and "
            "the team must confirm it."
        )
    else:
        sentences.append(
            f"After {terms.term_label()} training on it must stop; models already trained "
            "may be kept."
        )
    if terms.attribution_required:
        sentences.append("Your name must be credited in every model's documentation.")
    sentences += [
        f"The team pays {net.price_display} for this work; Assent's fee of {net.fee_percent} "
        f"({net.fee_display}) leaves you {net.net_display}.",
        "Nothing is sold unless the team accepts this work and pays. Until it checks out you "
        "can withdraw this offer; a license sold runs to its end.",
    ]
    return sentences


def response_consent_text(
    *, data_request: DataRequest, work: Work, offer, price_amount: int
) -> str:
    """The exact text a creator confirms to offer a work into a request; its SHA-256 is kept
    with the response, and a confirmation of another text is refused."""
    lines = [
        f"I offer my work “{work.title}” (#{work.id}) into the data request "
        f"“{data_request.title}” of {_team_inline(data_request)}.",
        *(f"- {s}" for s in _sentences(offer.terms, data_request, price_amount)),
        f"Terms fingerprint: {offer.terms_hash}",
    ]
    return "\n".join(lines)


def _team_inline(data_request: DataRequest) -> str:
    return data_request.organization.name if data_request.show_team_name else "an AI team"


def consent_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def response_price(*, data_request: DataRequest, price_amount) -> int:
    """The price of a response: the request's own when priced per work; when budget-priced,
    the creator's, from the price floor up to the whole budget."""
    if not data_request.is_budget:
        if price_amount not in (None, data_request.price_amount):
            raise ApplicationError(
                "This request pays a fixed price per work; leave the price out.",
                code="price_fixed",
                fields={"price": ["Fixed by the request."]},
            )
        return data_request.price_amount
    if price_amount is None:
        raise ApplicationError(
            "Name your price for this work, within the team's budget.",
            code="price_required",
            fields={"price": ["Required for a budget-priced request."]},
        )
    price, _ = price_check(price_amount=price_amount, currency=data_request.currency)
    if price > data_request.budget_amount:
        raise ApplicationError(
            "That is more than the request's whole budget of "
            f"{format_money(data_request.budget_amount, data_request.currency)}.",
            code="over_budget",
            fields={"price": ["Above the budget."]},
        )
    return price


def response_offer_basis(*, data_request: DataRequest, work: Work, creator):
    """The creator's offer a response of this work would rest on (the cheapest covering the
    request's use). Refused when the request takes no offers now, the work is not the
    creator's, was offered into it already, or does not fit (the message says why)."""
    if work.owner_id != creator.id:
        raise ApplicationError("No such work.", code="not_found", status=404)
    if not data_request.is_open:
        raise ApplicationError(
            "This request takes no more offers.", code="request_closed", status=409
        )
    existing = DataRequestResponse.objects.filter(request=data_request, work=work).first()
    if existing is not None:
        raise _already_offered(existing)
    match = matching_works(data_request=data_request, creator=creator).filter(id=work.id).first()
    if match is None:
        problems = work_match_problems(data_request=data_request, work=work)
        raise ApplicationError(
            "This work does not fit the request: " + " ".join(problems),
            code="work_not_matching",
            status=409,
            extra={"problems": problems},
        )
    return (
        compatible_offers(
            intended=data_request.intended_use,
            currency=data_request.currency,
            organization_id=data_request.organization_id,
        )
        .select_related("work")
        .get(id=match.cheapest_offer_id)
    )


def response_offer_quote(*, data_request: DataRequest, work: Work, creator, price_amount=None):
    """What offering this work would mean: (the offer it rests on, the price, the consent
    text), or the refusal of `response_offer_basis` or `response_price`."""
    offer = response_offer_basis(data_request=data_request, work=work, creator=creator)
    price = response_price(data_request=data_request, price_amount=price_amount)
    # The request's price is the creator's price for this sale: a collective's floor holds.
    offer_rules_check(
        work=work, terms=offer.terms, price_amount=price, currency=data_request.currency
    )
    text = response_consent_text(
        data_request=data_request, work=work, offer=offer, price_amount=price
    )
    return offer, price, text


def _already_offered(existing: DataRequestResponse) -> ApplicationError:
    return ApplicationError(
        f"You offered this work into this request already ({existing.get_status_display()}).",
        code="already_offered",
        status=409,
        extra={"response": str(existing.uuid)},
    )


def data_request_response_create(
    *,
    data_request: DataRequest,
    work: Work,
    creator,
    consent: bool,
    context: ConsentContext,
    price_amount: int | None = None,
    shown_hash: str | None = None,
) -> DataRequestResponse:
    """Offer a work into a request. Nothing is made without explicit consent; when the text
    the creator was shown (`shown_hash`) is not the text that would be recorded, it is
    refused so they can read the new one. Offering a work twice answers 409."""
    if consent is not True:
        raise ApplicationError(
            "Nothing is offered without your explicit consent: confirm the text.",
            code="consent_required",
            fields={"consent": ["Must be true."]},
        )
    with transaction.atomic():
        locked = locked_request(data_request)
        offer, price, text = response_offer_quote(
            data_request=locked, work=work, creator=creator, price_amount=price_amount
        )
        digest = consent_hash(text)
        if shown_hash and shown_hash != digest:
            raise ApplicationError(
                "What you would consent to changed since you read it: read it again.",
                code="consent_text_changed",
                status=409,
                extra={"consent_text": text, "consent_hash": digest},
            )
        try:
            with transaction.atomic():
                response = DataRequestResponse.objects.create(
                    request=locked,
                    work=work,
                    creator=creator,
                    offer=offer,
                    terms=offer.terms.canonical(),
                    terms_hash=offer.terms_hash,
                    price_amount=price,
                    currency=locked.currency,
                    consent_text=text,
                    consent_hash=digest,
                    ip_address=context.ip_address,
                    user_agent=context.user_agent,
                )
        except IntegrityError:  # a concurrent offer of the same work won
            raise _already_offered(
                DataRequestResponse.objects.get(request=locked, work=work)
            ) from None
        notify(
            user=locked.created_by,
            subject=f"A work was offered into “{locked.title}”",
            body=(
                f"A creator offered “{work.title}” into your data request “{locked.title}” "
                f"for {format_money(price, locked.currency)}. Accept or decline it on the "
                "request's page."
            ),
            url=f"/requests/{locked.uuid}/",
            dedupe_key=f"request-response:{response.id}",
        )
    return response


# --- deciding, withdrawing ---------------------------------------------------------------------


def _lock_response(response: DataRequestResponse) -> DataRequestResponse:
    return (
        # of=("self",): PostgreSQL cannot lock the nullable side of an outer join (dataset).
        DataRequestResponse.objects.select_for_update(of=("self",))
        .select_related("work", "dataset", "request")
        .get(id=response.id)
    )


def _let_go(response: DataRequestResponse, *, what: str) -> None:
    """An accepted work leaves its draft dataset; one being paid for or bought cannot."""
    if response.dataset_id is None:
        return
    dataset = Dataset.objects.select_for_update().get(id=response.dataset_id)
    if dataset.status == DatasetStatus.PURCHASED:
        raise ApplicationError(
            f"This work was already licensed; it cannot be {what}.",
            code="response_licensed",
            status=409,
        )
    if dataset.status == DatasetStatus.CHECKING_OUT:
        raise ApplicationError(
            f"The team is paying for this work now; it cannot be {what} unless that checkout "
            "is cancelled.",
            code="response_in_checkout",
            status=409,
        )
    DatasetItem.objects.filter(dataset=dataset, work_id=response.work_id).delete()


def _decide(response: DataRequestResponse, status: str, user) -> DataRequestResponse:
    response.status, response.decided_at, response.decided_by = status, timezone.now(), user
    response.save(update_fields=["status", "decided_at", "decided_by"])
    return response


def data_request_response_accept(*, response: DataRequestResponse, user) -> DataRequestResponse:
    """Accept an offered work: no more than the count wanted, within the budget, the work
    still on sale on the consented terms. The request's row lock makes concurrent accepts
    count one after the other; accepting twice is accepting once."""
    with transaction.atomic():
        data_request = locked_request(response.request)
        locked = _lock_response(response)
        if locked.status == Status.ACCEPTED:
            return locked
        if data_request.status == DataRequestStatus.CANCELLED:
            raise ApplicationError(
                "This request was cancelled.", code="request_cancelled", status=409
            )
        if locked.status != Status.OFFERED:
            raise ApplicationError(
                f"This offer was {locked.get_status_display().lower()}; it cannot be accepted.",
                code="response_not_offered",
                status=409,
            )
        accepted = list(
            data_request.responses.filter(status=Status.ACCEPTED).values_list(
                "price_amount", flat=True
            )
        )
        if len(accepted) >= data_request.count_wanted:
            raise ApplicationError(
                f"You accepted {len(accepted)} works, all the request wants.",
                code="count_reached",
                status=409,
            )
        if (
            data_request.is_budget
            and sum(accepted) + locked.price_amount > data_request.budget_amount
        ):
            left = data_request.budget_amount - sum(accepted)
            raise ApplicationError(
                f"This work costs {format_money(locked.price_amount, locked.currency)}; "
                f"{format_money(left, locked.currency)} of the budget is left.",
                code="over_budget",
                status=409,
            )
        if resting_offer(data_request, locked) is None:
            raise ApplicationError(
                "This work is no longer on sale on the terms its creator offered.",
                code="work_unavailable",
                status=409,
            )
        _decide(locked, Status.ACCEPTED, user)
        notify(
            user=locked.creator,
            subject=f"Your work was accepted into “{data_request.title}”",
            body=(
                f"{data_request.team_label} accepted “{locked.work.title}” for "
                f"{format_money(locked.price_amount, locked.currency)}. You are paid when the "
                "team checks it out."
            ),
            url=f"/studio/requests/{data_request.uuid}/",
            dedupe_key=f"request-accepted:{locked.id}",
        )
    return locked


def data_request_response_decline(*, response: DataRequestResponse, user) -> DataRequestResponse:
    with transaction.atomic():
        locked_request(response.request)
        locked = _lock_response(response)
        if locked.status == Status.DECLINED:
            return locked
        if locked.status == Status.WITHDRAWN:
            raise ApplicationError(
                "The creator withdrew this offer.", code="response_not_offered", status=409
            )
        _let_go(locked, what="declined")
        return _decide(locked, Status.DECLINED, user)


def data_request_response_withdraw(*, response: DataRequestResponse, creator):
    """The creator takes a work back out, until the team checks it out."""
    if response.creator_id != creator.id:
        raise ApplicationError("No such offer.", code="not_found", status=404)
    with transaction.atomic():
        locked_request(response.request)
        locked = _lock_response(response)
        if locked.status == Status.WITHDRAWN:
            return locked
        if locked.status == Status.DECLINED:
            raise ApplicationError(
                "The team declined this offer already.", code="response_declined", status=409
            )
        _let_go(locked, what="withdrawn")
        locked.status = Status.WITHDRAWN
        locked.save(update_fields=["status"])
    return locked


def resting_offer(data_request: DataRequest, response: DataRequestResponse):
    """The offer an accepted work is sold on now: on sale to the team for the request's use and
    currency, on the terms the creator consented to (a new price keeps the terms; the request
    pays its own price anyway). None when there is none: withdrawn, delisted, other terms."""
    return (
        compatible_offers(
            intended=data_request.intended_use,
            currency=data_request.currency,
            organization_id=data_request.organization_id,
        )
        .filter(work_id=response.work_id, terms_hash=response.terms_hash)
        .order_by("-created_at", "-id")
        .first()
    )
