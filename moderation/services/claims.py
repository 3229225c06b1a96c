"""Rights claims: someone says a listed work is theirs. Filing stops the work selling and freezes
its earnings; the uploader may answer once; staff uphold (remove the work, refund each licensee,
register its fingerprints as stolen) or dismiss (restore everything)."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.models import Membership, User
from accounts.services.notifications import notify
from accounts.services.users import system_actor
from common.dates import day_text
from common.money import format_money
from config.errors import ApplicationError
from licensing.services.grants import license_items_revoke
from marketplace.models import OrderItem, OrderStatus, Refund, RefundStatus
from marketplace.services.refunds import REFUNDABLE, order_refund, refund_send
from moderation.models import (
    CaseKind,
    CaseStatus,
    ClaimStatus,
    DecisionAction,
    KnownStolenWork,
    ReviewCase,
    RightsClaim,
)
from moderation.services.audit import (
    decision_reason_required,
    decision_record,
    staff_actor_required,
)
from moderation.services.screening import known_stolen_rescreen
from payouts.models import Freeze
from payouts.services.freezes import freeze_create, freeze_lift
from uploads import storage
from uploads.fingerprints import hash_input, pdq
from uploads.models import Work, WorkStatus
from uploads.services.history import work_status_set

logger = logging.getLogger(__name__)

MAX_LINKS = 10
MAX_TEXT = 5000
# A sworn claim freezes someone's money: it goes ahead of screening holds in the staff queue.
CLAIM_RISK_SCORE = 100


def claim_reference(claim: RightsClaim) -> str:
    """The short reference people quote (the full uuid is what the status API takes)."""
    return claim.uuid.hex[:10].upper()


def moderation_system_actor() -> User:
    """Freezes need a staff actor (payouts.Freeze.frozen_by is who froze it, and freeze_create
    refuses anyone else). Filing is not a staff act and the claimant is not staff, so the
    automatic freeze is recorded as the system account's, which pages show as "Automatic";
    the freeze's reason names the claim, and staff lifting it are recorded as themselves."""
    return system_actor()


# --- Filing ------------------------------------------------------------------------------------


def _clean_links(links) -> list[str]:
    if links in (None, ""):
        return []
    if isinstance(links, str):
        links = links.split()
    if not isinstance(links, list | tuple):
        raise ApplicationError(
            "Links must be a list of web addresses.", fields={"links": ["Invalid."]}
        )
    links = [str(link).strip() for link in links if str(link).strip()]
    if len(links) > MAX_LINKS:
        raise ApplicationError(
            f"Give at most {MAX_LINKS} links.", fields={"links": [f"At most {MAX_LINKS}."]}
        )
    check = URLValidator(schemes=["http", "https"])
    bad = []
    for link in links:
        try:
            if len(link) > 500:
                raise ValidationError("too long")
            check(link)
        except ValidationError:
            bad.append(link[:80])
    if bad:
        raise ApplicationError(
            "Links must be full http:// or https:// web addresses: " + ", ".join(bad),
            fields={"links": [f"Not a web address: {b}" for b in bad]},
        )
    return links


def _clean_text(value, name: str, label: str, *, limit: int = MAX_TEXT) -> str:
    text = (value or "").strip() if isinstance(value, str | type(None)) else str(value).strip()
    if not text:
        raise ApplicationError(f"{label} is required.", fields={name: ["Required."]})
    if len(text) > limit:
        raise ApplicationError(
            f"{label} is too long (at most {limit} characters).",
            fields={name: [f"At most {limit} characters."]},
        )
    return text


def _claim_input(*, claimant_name, claimant_email, identity, evidence, links, sworn) -> dict:
    name = _clean_text(claimant_name, "claimant_name", "Your name", limit=200)
    email = _clean_text(claimant_email, "claimant_email", "Your email", limit=254).lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ApplicationError(
            "Give an email address we can reach you at.",
            fields={"claimant_email": ["Enter a valid email address."]},
        ) from None
    data = {
        "claimant_name": name,
        "claimant_email": email,
        "identity": _clean_text(identity, "identity", "Who you are"),
        "evidence": _clean_text(evidence, "evidence", "Your evidence"),
        "links": _clean_links(links),
    }
    if sworn is not True:
        raise ApplicationError(
            "Swear that the statement is true: a claim freezes someone else's earnings.",
            code="not_sworn",
            fields={"sworn": ["You must swear the statement is true."]},
        )
    return data


def claim_file(
    *,
    work: Work,
    claimant_name: str,
    claimant_email: str,
    identity: str,
    evidence: str,
    links,
    sworn: bool,
    claimant=None,
) -> RightsClaim:
    """File a claim on a listed work: it stops selling (its offers stand: the creator's consent
    is unchanged), its earnings freeze, a review case opens and the uploader is told."""
    data = _claim_input(
        claimant_name=claimant_name,
        claimant_email=claimant_email,
        identity=identity,
        evidence=evidence,
        links=links,
        sworn=sworn,
    )
    claimant = claimant if getattr(claimant, "is_authenticated", False) else None
    with transaction.atomic():
        work = Work.objects.select_for_update().select_related("owner").get(id=work.id)
        if work.status != WorkStatus.LISTED:
            raise ApplicationError(
                "Only a listed work can be claimed; this one is not for sale "
                "(it may already be under review).",
                code="not_listed",
            )
        if (claimant and claimant.id == work.owner_id) or data["claimant_email"] == (
            work.owner.email.lower()
        ):
            raise ApplicationError("You cannot claim your own work.", code="own_work")
        claim = RightsClaim.objects.create(work=work, claimant=claimant, sworn=True, **data)
        ref = claim_reference(claim)
        claim.case = ReviewCase.objects.create(
            work=work,
            kind=CaseKind.CLAIM,
            risk_score=CLAIM_RISK_SCORE,
            reason=f"Rights claim {ref} by {data['claimant_name']}: says this work is theirs.",
        )
        claim.save(update_fields=["case"])
        work_status_set(
            work=work,
            status=WorkStatus.PENDING_REVIEW,
            actor=claimant,
            reason="Someone claims this work is theirs. It is not for sale, and its earnings are "
            "held, until our staff decide. You can answer the claim once, below.",
        )
        freeze_create(
            actor=moderation_system_actor(), work_id=work.id, reason=_freeze_reason(claim)
        )
        _tell_uploader_of_filing(claim)
        _email_claimant_after_commit(
            claim,
            f"[Assent] Your claim {ref} was received",
            f"We received your claim that “{work.title}” is your work. It is no longer for sale "
            f"and its earnings are held while our staff review it. We will email you the decision."
            f"\n\nYour reference: {ref}\nCheck its status: {_status_url(claim)}",
        )
    return claim


def _freeze_reason(claim: RightsClaim) -> str:
    """Shown to the creator on their earnings page: a date as they read it."""
    filed = day_text(timezone.localdate(claim.created_at))
    return f"{_freeze_reason_start(claim)} under review (filed {filed})."


def _freeze_reason_start(claim: RightsClaim) -> str:
    # The claim's freeze is found by this start, which reasons written before the filing date
    # was worded for people (2026-10-03 then) share too.
    return f"Rights claim {claim_reference(claim)} "


def _status_url(claim: RightsClaim) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("claims:claim_status", args=[claim.uuid])


def _work_url(work: Work) -> str:
    return reverse("uploads:work_detail", args=[work.id]) + "#rights-claim"


def _tell_uploader_of_filing(claim: RightsClaim) -> None:
    work = claim.work
    notify(
        user=work.owner,
        subject=f"A rights claim was filed on “{work.title}”",
        body=(
            f"{claim.claimant_name} says “{work.title}” is their work (claim "
            f"{claim_reference(claim)}). Until our staff decide, the work is not for sale and its "
            "earnings are held. You may answer once, with your own evidence, on the work's page."
        ),
        url=_work_url(work),
        dedupe_key=f"claim:{claim.id}:filed",
    )


def _email_claimant_after_commit(claim: RightsClaim, subject: str, text: str) -> None:
    """The claimant may have no account: they are told by email, after the decision commits."""
    address = claim.claimant_email

    def send() -> None:
        try:
            send_mail(subject, text, None, [address])
        except Exception:  # a mail outage must not undo a decision already made
            logger.exception("Could not email claimant %s: %r", address, subject)

    transaction.on_commit(send)


# --- The uploader's answer ---------------------------------------------------------------------


def claim_answer(*, claim: RightsClaim, uploader, text: str) -> RightsClaim:
    """The uploader's one answer to an open claim, shown to staff beside the claim."""
    text = _clean_text(text, "text", "Your answer")
    with transaction.atomic():
        claim = RightsClaim.objects.select_for_update().select_related("work").get(id=claim.id)
        if claim.work.owner_id != getattr(uploader, "id", None):
            raise ApplicationError(
                "Only the work's uploader can answer.", code="not_owner", status=403
            )
        if claim.status != ClaimStatus.OPEN:
            raise ApplicationError(
                "This claim is already decided.", code="claim_decided", status=409
            )
        if claim.answered_at is not None:
            raise ApplicationError(
                "You have already answered this claim; an answer is given once.",
                code="already_answered",
                status=409,
            )
        now = timezone.now()
        claim.uploader_answer, claim.answered_at = text, now
        claim.save(update_fields=["uploader_answer", "answered_at"])
        if claim.case_id:
            # The case page (staff moderation) shows the creator's answer from the case.
            ReviewCase.objects.filter(id=claim.case_id, answered_at__isnull=True).update(
                creator_answer=text, answered_at=now
            )
    return claim


# --- Decisions ---------------------------------------------------------------------------------


@dataclass
class RefundOutcome:
    """What happened to each sold item of an upheld claim's work."""

    refunded: list[OrderItem] = field(default_factory=list)
    failed: list[tuple[OrderItem, str]] = field(default_factory=list)


def _open_claim_for_decision(claim: RightsClaim, actor, reason: str) -> tuple[RightsClaim, str]:
    reason = decision_reason_required(reason, why="the decision is logged and the parties are told")
    staff_actor_required(actor, refusal="Only staff decide claims.")
    claim = (
        RightsClaim.objects.select_for_update(of=("self",))
        .select_related("work", "case")
        .get(id=claim.id)
    )
    if claim.status != ClaimStatus.OPEN:
        raise ApplicationError(
            f"This claim was already {claim.get_status_display().lower()}.",
            code="claim_decided",
            status=409,
        )
    return claim, reason


def _close(claim: RightsClaim, *, status: str, actor, reason: str, work) -> None:
    """Close the claim (and its staff case) and log the decision, in the caller's transaction."""
    now = timezone.now()
    claim.status, claim.decided_by, claim.decision_reason, claim.decided_at = (
        status,
        actor,
        reason,
        now,
    )
    claim.save(update_fields=["status", "decided_by", "decision_reason", "decided_at"])
    if claim.case_id:
        ReviewCase.objects.filter(id=claim.case_id).update(
            status=CaseStatus.DECIDED, decided_at=now
        )
    action = {
        ClaimStatus.UPHELD: DecisionAction.UPHOLD_CLAIM,
        ClaimStatus.DISMISSED: DecisionAction.DISMISS_CLAIM,
    }[status]
    decision_record(actor=actor, action=action, reason=reason, case=claim.case, work=work)


def claim_uphold(*, claim: RightsClaim, actor, reason: str) -> tuple[RightsClaim, RefundOutcome]:
    """The claim is right: remove the work, register its fingerprints as stolen, then refund
    every licensee's item of it (each refund is its own Stripe call and ledger reversal, so
    they run after the decision commits; one that fails is listed and can be retried with
    claim_refunds_settle). The work's freeze stays: none of its money may be released."""
    with transaction.atomic():
        claim, reason = _open_claim_for_decision(claim, actor, reason)
        work = Work.objects.select_for_update().select_related("owner").get(id=claim.work_id)
        work_status_set(
            work=work,
            status=WorkStatus.REMOVED,
            actor=actor,
            reason="Removed: a rights claim on this work was upheld. "
            f"Its licenses are refunded and its earnings taken back. Reason: {reason}",
        )
        stolen = stolen_work_register(work=work, claim=claim)
        _close(claim, status=ClaimStatus.UPHELD, actor=actor, reason=reason, work=work)
        ref = claim_reference(claim)
        notify(
            user=work.owner,
            subject=f"“{work.title}” was removed: the rights claim was upheld",
            body=(
                f"Our staff upheld claim {ref} on “{work.title}”. The work is removed, its "
                "licensees are refunded and what it earned is taken back (money already paid "
                f"to you is recovered from your transfers or later earnings). Reason: {reason}"
            ),
            url=reverse("uploads:work_detail", args=[work.id]),
            dedupe_key=f"claim:{claim.id}:upheld",
        )
        _email_claimant_after_commit(
            claim,
            f"[Assent] Your claim {ref} was upheld",
            f"Our staff upheld your claim on “{work.title}”. The work is removed from Assent, "
            "every license on it is revoked and refunded, and copies of it are refused on "
            f"upload from now on.\n\nReason: {reason}\nReference: {ref}",
        )
        transaction.on_commit(lambda: _rescreen_matches(stolen.id))
    outcome = claim_refunds_settle(claim=claim, actor=actor)
    return claim, outcome


def claim_refunds_settle(*, claim: RightsClaim, actor) -> RefundOutcome:
    """Refund, revoke and tell the licensee of every sold item of an upheld claim's work not
    refunded yet. Safe to run again: refunded items are skipped, a refund Stripe has not
    confirmed is re-sent under its own idempotency key."""
    if claim.status != ClaimStatus.UPHELD:
        raise ApplicationError("Only an upheld claim's licenses are refunded.", code="not_upheld")
    outcome = RefundOutcome()
    ref = claim_reference(claim)
    items = (
        OrderItem.objects.filter(work_id=claim.work_id, refunded_at__isnull=True)
        .exclude(
            order__status__in=[
                OrderStatus.AWAITING_PAYMENT,
                OrderStatus.EXPIRED,
                OrderStatus.FAILED,
            ]
        )
        .select_related("order__organization", "order__placed_by")
        .order_by("id")
    )
    for item in items:
        reason = f"Rights claim {ref} upheld: the work is removed and this license refunded."
        try:
            settled = _item_refund(item, actor=actor, reason=reason)
        except ApplicationError as exc:
            logger.warning("Claim %s: refund of item %s failed: %s", ref, item.id, exc.message)
            outcome.failed.append((item, exc.message))
            settled = "pending"
        else:
            outcome.refunded.append(item)
        with transaction.atomic():
            # Whatever Stripe said, the licensee may no longer use a work found to be stolen.
            license_items_revoke(
                item_refs=[item.item_ref], reason=f"Rights claim {ref} upheld: the work is removed."
            )
        _tell_licensee(claim, item, settled=settled)
    return outcome


def _item_refund(item: OrderItem, *, actor, reason: str) -> str:
    """Refund one item; says how its money went back ("refunded" or "disputed")."""
    if item.order.status not in REFUNDABLE:
        # A disputed order's money already went back to the buyer's bank with the dispute.
        return "disputed"
    pending = Refund.objects.filter(items=item, status=RefundStatus.PENDING).first()
    if pending is not None:
        refund_send(refund=pending)  # an earlier attempt Stripe never confirmed: same key
    else:
        order_refund(order=item.order, actor=actor, reason=reason, item_ids=[item.id])
    return "refunded"


_MONEY_BACK = {
    "refunded": "We refunded its price ({money}) to the card that paid.",
    "disputed": "Its price ({money}) already went back to you through your bank's dispute.",
    "pending": "Its price ({money}) will be refunded; the refund is being completed.",
}


def _tell_licensee(claim: RightsClaim, item: OrderItem, *, settled: str) -> None:
    order = item.order
    body = (
        f"A rights claim on “{item.work_title}” (order {order.number}) was upheld: it was "
        "not the uploader's to license. Your license to it is revoked: stop using the work, "
        "delete its files, and do not train further models on it. "
        + _MONEY_BACK[settled].format(money=format_money(item.price_amount, item.currency))
    )
    members = Membership.objects.filter(organization=order.organization).select_related("user")
    users = {m.user for m in members} | {order.placed_by}
    for user in users:
        notify(
            user=user,
            subject=f"License revoked: “{item.work_title}” was removed after a rights claim",
            body=body,
            url=f"/orders/{order.uuid}/",
            dedupe_key=f"claim:{claim.id}:item:{item.id}:user:{user.id}",
        )


def claim_dismiss(*, claim: RightsClaim, actor, reason: str) -> RightsClaim:
    """The claim is wrong: the work sells again (unless something else holds it), its freeze
    is lifted, the case closes, and both parties are told."""
    with transaction.atomic():
        claim, reason = _open_claim_for_decision(claim, actor, reason)
        work = Work.objects.select_for_update().select_related("owner").get(id=claim.work_id)
        # Filing needs a listed work, so it was listed before; it is listed again only if it is
        # still held for this claim alone (a ban or a screening hold since then keeps it off).
        held_otherwise = ReviewCase.objects.filter(work=work, status=CaseStatus.OPEN).exclude(
            id=claim.case_id
        )
        if work.status == WorkStatus.PENDING_REVIEW and not held_otherwise.exists():
            work_status_set(
                work=work,
                status=WorkStatus.LISTED,
                actor=actor,
                reason="Listed again: the rights claim on it was dismissed.",
            )
        for freeze in Freeze.objects.filter(
            work_id=work.id,
            lifted_at__isnull=True,
            reason__startswith=_freeze_reason_start(claim),
        ):
            freeze_lift(freeze=freeze, actor=actor)
        _close(claim, status=ClaimStatus.DISMISSED, actor=actor, reason=reason, work=work)
        ref = claim_reference(claim)
        notify(
            user=work.owner,
            subject=f"The rights claim on “{work.title}” was dismissed",
            body=(
                f"Our staff dismissed claim {ref}. "
                + (
                    "The work is for sale again"
                    if work.status == WorkStatus.LISTED
                    else "The claim no longer holds the work"
                )
                + f" and its earnings are released as usual. Reason: {reason}"
            ),
            url=reverse("uploads:work_detail", args=[work.id]),
            dedupe_key=f"claim:{claim.id}:dismissed",
        )
        _email_claimant_after_commit(
            claim,
            f"[Assent] Your claim {ref} was dismissed",
            f"Our staff reviewed your claim on “{work.title}” and dismissed it.\n\n"
            f"Reason: {reason}\nReference: {ref}",
        )
    return claim


# --- The known-stolen registry -----------------------------------------------------------------


def stolen_work_register(*, work: Work, claim: RightsClaim | None = None) -> KnownStolenWork:
    """Add a work's fingerprints to the registry screening refuses uploads against."""
    existing = KnownStolenWork.objects.filter(source_claim=claim).first() if claim else None
    if existing is not None:
        return existing
    return KnownStolenWork.objects.create(
        pdq_hash=work.pdq_hash or _pdq_of_original(work),
        sha256=work.sha256,
        title=work.title[:200],
        source_claim=claim,
        note=f"Rights claim {claim_reference(claim)} upheld." if claim else "",
    )


def _pdq_of_original(work: Work) -> str:
    """A work processed before PDQ existed (or whose hash failed) still gets one from its
    original, so near copies are refused and not only exact ones."""

    try:
        with Image.open(io.BytesIO(storage.read(work.original.name))) as image:
            return pdq(hash_input(image))[0]
    except Exception:  # the registry row must still be written; sha256 alone then matches
        logger.exception("Could not compute PDQ for work %s", work.id)
        return ""


def _rescreen_matches(stolen_id: int) -> None:
    """Screen again the works that copy a newly registered stolen work (same bytes or near by
    PDQ), through screening's own entry point; without it, copies are refused at upload."""
    try:
        known_stolen_rescreen(known_stolen_id=stolen_id)
    except Exception:  # the decision stands; the next sweep or upload screens them
        logger.exception("Re-screening copies of known-stolen entry %s failed", stolen_id)
