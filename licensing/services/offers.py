"""Offers and consent: creating an offer is giving consent, in one transaction; withdrawing
stops new sales; bulk apply does the same for many works with progress."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from common.money import format_money, is_supported, normalise_currency, unsupported_currency
from config.celery import enqueue_or_log
from config.errors import ApplicationError
from config.input_fields import not_one_of
from licensing import documents, registry
from licensing.consent import ConsentContext
from licensing.models import (
    BulkJobStatus,
    BulkOfferJob,
    ConsentAction,
    ConsentRecord,
    Offer,
    OfferStatus,
)
from licensing.money import MAX_PRICE, price_floor
from licensing.terms import PRESETS, LicenseTerms, TermsError
from uploads.models import Work, WorkStatus

OFFERABLE_STATUSES = (WorkStatus.PENDING_REVIEW, WorkStatus.LISTED)


def terms_resolve(*, preset: str | None, terms: dict | None) -> tuple[LicenseTerms, str]:
    """Terms from a preset key or a terms object; exactly one of them."""
    if preset and terms:
        raise ApplicationError(
            "Send a preset or terms, not both.", code="invalid", fields={"preset": ["Choose one."]}
        )
    if preset:
        if preset not in PRESETS:
            raise ApplicationError(
                f"Unknown preset {preset!r}.",
                code="invalid",
                fields={"preset": [not_one_of(preset, PRESETS)]},
            )
        return PRESETS[preset].terms, preset
    if not terms:
        raise ApplicationError(
            "Send a preset or terms.",
            code="invalid",
            fields={"terms": ["Required without a preset."]},
        )
    try:
        return LicenseTerms.from_dict(terms), ""
    except TermsError as exc:
        raise ApplicationError(str(exc), code="invalid", fields={exc.field: [str(exc)]}) from exc


def price_check(*, price_amount, currency: str) -> tuple[int, str]:
    currency = normalise_currency(currency)
    if not is_supported(currency):
        message = unsupported_currency(currency)
        raise ApplicationError(message, code="invalid", fields={"currency": [message]})
    if isinstance(price_amount, bool) or not isinstance(price_amount, int):
        raise ApplicationError(
            "The price is a whole number of minor units (cents).",
            code="invalid",
            fields={"price": ["Whole minor units."]},
        )
    floor = price_floor(currency)
    if price_amount < floor:
        raise ApplicationError(
            f"The lowest price is {format_money(floor, currency)} per license: below that, card "
            "fees eat the payment, and a floor keeps prices for creators' work from racing to "
            "nothing.",
            code="price_below_floor",
            fields={"price": [f"At least {floor}."]},
        )
    if price_amount > MAX_PRICE:
        raise ApplicationError(
            "That price is too high to be real; check the amount.",
            code="invalid",
            fields={"price": ["Too high."]},
        )
    return price_amount, currency


def offer_rules_check(*, work: Work, terms: LicenseTerms, price_amount: int, currency: str):
    """Refuse (ApplicationError) a sale of this work on these terms at this price that a higher
    app's rule forbids: a collective's floor on its pooled works. Offers and a creator's answer
    to a buyer's data request (its own price) both ask."""
    for check in registry.offer_checks:
        check(work=work, terms=terms, price_amount=price_amount, currency=currency)


def creator_display_name(user) -> str:
    profile = getattr(user, "creator_profile", None)
    return getattr(profile, "display_name", "") or user.email


def shown_license_text(terms: LicenseTerms, *, work: Work | None, creator) -> str:
    """The license text the creator reads before consenting: per work for one work, the
    general text (naming no work) when many are offered at once. Its hash goes in the record."""
    return documents.license_text(terms, work=work, creator_name=creator_display_name(creator))


def _record(
    *,
    offer: Offer,
    work: Work,
    user,
    action: str,
    context: ConsentContext,
    text: str | None = None,
) -> ConsentRecord:
    terms = offer.terms
    text = text if text is not None else shown_license_text(terms, work=work, creator=user)
    summary = " ".join(
        documents.plain_summary(terms, price_amount=offer.price_amount, currency=offer.currency)
    )
    return ConsentRecord.objects.create(
        user=user,
        work=work,
        offer=offer,
        work_title=work.title[:200],
        action=action,
        terms=terms.canonical(),
        terms_hash=terms.hash,
        price_amount=offer.price_amount,
        currency=offer.currency,
        license_text_version=text.splitlines()[0].rsplit(" ", 1)[-1],
        license_text_hash=documents.text_hash(text),
        summary=summary,
        ip_address=context.ip_address,
        user_agent=context.user_agent,
    )


def offer_create(
    *,
    work: Work,
    actor,
    terms: LicenseTerms,
    price_amount: int,
    currency: str,
    consent: bool,
    context: ConsentContext,
    preset: str = "",
    shown_text: str | None = None,
) -> Offer:
    """Offer a work on these terms at this price. Without explicit consent nothing is made.
    A live offer on the same terms is replaced (retired), so a price change is a new offer."""
    if work.owner_id != actor.id:
        raise ApplicationError("No such work.", code="not_found", status=404)
    if consent is not True:
        raise ApplicationError(
            "Nothing is offered without your explicit consent: confirm the summary.",
            code="consent_required",
            fields={"consent": ["Must be true."]},
        )
    price_amount, currency = price_check(price_amount=price_amount, currency=currency)
    with transaction.atomic():
        work = Work.objects.select_for_update().get(id=work.id)
        if work.status not in OFFERABLE_STATUSES:
            raise ApplicationError(
                f"This work is {work.get_status_display().lower()}; only works waiting for "
                "review or approved can be offered.",
                code="work_not_offerable",
                status=409,
            )
        offer_rules_check(work=work, terms=terms, price_amount=price_amount, currency=currency)
        now = timezone.now()
        Offer.objects.filter(work=work, terms_hash=terms.hash, status=OfferStatus.ACTIVE).update(
            status=OfferStatus.RETIRED, ended_at=now
        )
        offer = Offer.objects.create(
            work=work,
            uses=sorted(str(u) for u in terms.uses),
            commercial=terms.commercial,
            term_months=terms.term_months,
            on_expiry=str(terms.on_expiry),
            attribution_required=terms.attribution_required,
            terms_hash=terms.hash,
            preset=preset,
            price_amount=price_amount,
            currency=currency,
        )
        _record(
            offer=offer,
            work=work,
            user=actor,
            action=ConsentAction.GIVEN,
            context=context,
            text=shown_text,
        )
    return offer


def offer_withdraw(*, offer: Offer, actor, context: ConsentContext) -> Offer:
    """Withdraw consent for one offer: it is not sold again; licenses granted run to their end."""
    if offer.work.owner_id != actor.id:
        raise ApplicationError("No such offer.", code="not_found", status=404)
    with transaction.atomic():
        locked = Offer.objects.select_for_update().select_related("work").get(id=offer.id)
        if locked.status != OfferStatus.ACTIVE:
            return locked  # already off sale; withdrawing twice records nothing new
        locked.status = OfferStatus.WITHDRAWN
        locked.ended_at = timezone.now()
        locked.save(update_fields=["status", "ended_at"])
        _record(
            offer=locked,
            work=locked.work,
            user=actor,
            action=ConsentAction.WITHDRAWN,
            context=context,
        )
    return locked


def work_consent_withdraw(*, work: Work, actor, context: ConsentContext) -> list[Offer]:
    if work.owner_id != actor.id:
        raise ApplicationError("No such work.", code="not_found", status=404)
    active = list(Offer.objects.filter(work=work, status=OfferStatus.ACTIVE))
    return [offer_withdraw(offer=o, actor=actor, context=context) for o in active]


def bulk_offer_job_create(
    *,
    owner,
    work_ids: list[int],
    terms: LicenseTerms,
    preset: str,
    price_amount: int,
    currency: str,
    consent: bool,
    context: ConsentContext,
) -> BulkOfferJob:
    if consent is not True:
        raise ApplicationError(
            "Nothing is offered without your explicit consent.",
            code="consent_required",
            fields={"consent": ["Must be true."]},
        )
    price_amount, currency = price_check(price_amount=price_amount, currency=currency)
    ids = sorted(
        set(Work.objects.filter(owner=owner, id__in=work_ids).values_list("id", flat=True))
    )
    if not ids:
        raise ApplicationError(
            "Select at least one of your works.",
            code="invalid",
            fields={"work_ids": ["No works selected."]},
        )
    with transaction.atomic():
        job = BulkOfferJob.objects.create(
            owner=owner,
            work_ids=ids,
            terms=terms.canonical(),
            preset=preset,
            price_amount=price_amount,
            currency=currency,
            ip_address=context.ip_address,
            user_agent=context.user_agent,
            total=len(ids),
        )
        transaction.on_commit(lambda: _enqueue_bulk(job.id))
    return job


def _enqueue_bulk(job_id: int) -> None:
    """Hand the job to a worker; a broker that is down leaves it queued (the creator's
    progress page says so) for `bulk_offer_jobs_resume_queued` to hand on."""
    # licensing/tasks.py imports this module at its top; importing the task here breaks the cycle.
    from licensing.tasks import bulk_offer_job_run_task

    enqueue_or_log(bulk_offer_job_run_task, job_id)


def bulk_offer_jobs_resume_queued(*, older_than_minutes: int = 10, limit: int = 100) -> int:
    """Re-queue bulk jobs still waiting a while after they were made (a broker outage, a lost
    task). A job runs from where it stopped, so a repeat changes nothing. Returns how many."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    ids = list(
        BulkOfferJob.objects.filter(status=BulkJobStatus.QUEUED, created_at__lt=cutoff)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    for job_id in ids:
        _enqueue_bulk(job_id)
    return len(ids)


def _already_offered(*, work: Work, terms: LicenseTerms, job: BulkOfferJob) -> bool:
    return Offer.objects.filter(
        work=work,
        terms_hash=terms.hash,
        price_amount=job.price_amount,
        currency=job.currency,
        created_at__gte=job.created_at,
    ).exists()


def bulk_offer_job_run(*, job_id: int, chunk: int = 50) -> BulkOfferJob | None:
    """Work through the job in chunks, saving progress after each, so a crashed worker's
    redelivery resumes where it stopped (works already done are skipped by `done`)."""
    job = BulkOfferJob.objects.filter(id=job_id).select_related("owner").first()
    if job is None or job.status == BulkJobStatus.DONE:
        return job
    BulkOfferJob.objects.filter(id=job.id).update(status=BulkJobStatus.RUNNING)
    try:
        return _bulk_offer_job_chunks(job=job, chunk=chunk)
    except Exception:
        # Leave a clear end state (the progress page stops polling and says so); the task's
        # own retry or a redelivery can still resume it from `done`.
        BulkOfferJob.objects.filter(id=job.id).update(
            status=BulkJobStatus.FAILED, finished_at=timezone.now()
        )
        raise


def _bulk_offer_job_chunks(*, job: BulkOfferJob, chunk: int) -> BulkOfferJob:
    terms = LicenseTerms.from_dict(job.terms)
    context = ConsentContext(ip_address=job.ip_address, user_agent=job.user_agent)
    # The creator consented after reading the general text (no work named); every record
    # carries that text's hash.
    shown_text = shown_license_text(terms, work=None, creator=job.owner)
    remaining = job.work_ids[job.done :]
    works = Work.objects.in_bulk(remaining)
    for start in range(0, len(remaining), chunk):
        skipped = []
        for work_id in remaining[start : start + chunk]:
            work = works.get(work_id)
            try:
                if work is None:
                    raise ApplicationError("The work was deleted.", code="gone")
                if _already_offered(work=work, terms=terms, job=job):
                    continue  # a redelivered chunk: this work got its offer and consent already
                offer_create(
                    work=work,
                    actor=job.owner,
                    terms=terms,
                    price_amount=job.price_amount,
                    currency=job.currency,
                    consent=True,
                    context=context,
                    preset=job.preset,
                    shown_text=shown_text,
                )
            except ApplicationError as exc:
                skipped.append(
                    {"work_id": work_id, "title": getattr(work, "title", ""), "reason": exc.message}
                )
        job.done += len(remaining[start : start + chunk])
        job.skipped = [*job.skipped, *skipped]
        job.save(update_fields=["done", "skipped"])
    job.status = BulkJobStatus.DONE
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "finished_at"])
    return job
