"""Stripe webhooks: one receiver for every app, a registry of handlers by event type.

The receiver (as dj-stripe's): verify the signature before anything is written (400 when the
header is missing, wrong or stale); store the raw event under its unique Stripe id; process it
inside `transaction.atomic()` with the event row locked, and mark it processed in that same
transaction, so a duplicate delivery (or two arriving at once) is processed once; a handler
that raises rolls its writes back, the error is then recorded on the event row outside that
transaction, and the answer is 500 so Stripe delivers again. Unknown types are logged, kept
and answered 200.

Handlers (as Saleor's) take the event as a dict, lock the rows they change, and may ask
`superseded(event)` whether a newer event about the same object was already applied. Apps
register theirs in their AppConfig.ready():

    from payouts.webhooks import register

    @register("checkout.session.completed")
    def checkout_completed(event: dict) -> None: ...
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.errors import ApplicationError
from payouts.models import StripeEvent
from payouts.stripe_gateway import webhook_event

logger = logging.getLogger(__name__)

Handler = Callable[[dict], None]
handlers: dict[str, Handler] = {}


def register(event_type: str) -> Callable[[Handler], Handler]:
    """Decorator: `handler(event_dict)` processes events of `event_type`. One per type."""

    def decorator(handler: Handler) -> Handler:
        existing = handlers.get(event_type)
        if existing is not None and existing is not handler:
            raise ValueError(
                f"{event_type} already has a handler ({existing.__module__}.{existing.__name__})"
            )
        handlers[event_type] = handler
        return handler

    return decorator


# --- receiving ------------------------------------------------------------------------------


class Outcome:
    PROCESSED = "processed"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"  # no handler for the type
    FAILED = "failed"


def _created(event: dict) -> datetime | None:
    created = event.get("created")
    return datetime.fromtimestamp(created, tz=UTC) if isinstance(created, int) else None


def _object_id(event: dict) -> str:
    obj = (event.get("data") or {}).get("object") or {}
    value = obj.get("id") if isinstance(obj, dict) else None
    return str(value)[:255] if value else ""


def event_record(event: dict) -> StripeEvent:
    """The stored row for this event, created on its first delivery."""
    defaults = {
        "type": str(event.get("type", ""))[:100],
        "object_id": _object_id(event),
        "created": _created(event),
        "payload": event,
    }
    row = StripeEvent.objects.filter(event_id=event["id"]).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return StripeEvent.objects.create(event_id=event["id"], **defaults)
    except IntegrityError:  # the same event delivered twice at once: the other one stored it
        return StripeEvent.objects.get(event_id=event["id"])


def event_process(row: StripeEvent) -> str:
    """Run the event's handler once. Safe to call for any delivery of the event."""
    try:
        with transaction.atomic():
            locked = StripeEvent.objects.select_for_update().get(pk=row.pk)
            if locked.processed_at is not None:
                return Outcome.DUPLICATE
            handler = handlers.get(locked.type)
            if handler is None:
                logger.info("Stripe event %s of type %s: no handler", locked.event_id, locked.type)
            else:
                handler(locked.payload)
            locked.processed_at = timezone.now()
            locked.error = ""
            locked.attempts = F("attempts") + 1
            locked.save(update_fields=["processed_at", "error", "attempts"])
    except Exception as exc:
        # The handler's writes are rolled back; the event row stays (it was committed when
        # received) and keeps what went wrong, for staff and for the next delivery.
        logger.exception("Stripe event %s (%s) failed", row.event_id, row.type)
        StripeEvent.objects.filter(pk=row.pk).update(
            error=f"{type(exc).__name__}: {exc}"[:5000], attempts=F("attempts") + 1
        )
        return Outcome.FAILED
    return Outcome.PROCESSED if handler is not None else Outcome.IGNORED


def superseded(event: dict) -> bool:
    """True when an event of the same type about the same object, created strictly later by
    Stripe's clock, was already processed: this one is a late delivery and must not undo it.
    (Stripe's `created` has whole seconds; two events within one second both apply, in the
    order they arrive.)"""
    created, object_id = _created(event), _object_id(event)
    if created is None or not object_id:
        return False
    return (
        StripeEvent.objects.filter(
            type=event.get("type", ""),
            object_id=object_id,
            processed_at__isnull=False,
            created__gt=created,
        )
        .exclude(event_id=event.get("id"))
        .exists()
    )


def event_shape_problem(event) -> str:
    """What makes a verified body unusable as a Stripe event (every handler reads
    `data.object`), or "" when it has the shape of one."""
    if not isinstance(event, dict):
        return "the body is not a JSON object"
    for key in ("id", "type"):
        if not isinstance(event.get(key), str) or not event[key].strip():
            return f"`{key}` is missing or not a string"
    if len(event["id"]) > 255:
        return "`id` is too long"
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        return "`data.object` is missing or not an object"
    return ""


def _answer(status: int, message: str, **extra) -> JsonResponse:
    return JsonResponse({"message": message, **extra}, status=status)


@csrf_exempt
@require_POST
@transaction.non_atomic_requests
def stripe_webhook(request: HttpRequest) -> JsonResponse:
    if not settings.STRIPE_WEBHOOK_SECRET:
        # Without a secret nothing can be verified (and an empty key is no secret): refuse,
        # and let Stripe deliver again once the endpoint is configured.
        logger.error("STRIPE_WEBHOOK_SECRET is empty: Stripe webhooks are refused")
        return _answer(503, "Webhooks are not configured.")
    header = request.headers.get("Stripe-Signature", "")
    if not header:
        return _answer(400, "Missing Stripe-Signature header.")
    try:
        event = webhook_event(request.body, header)
    except (ValueError, TypeError, AttributeError, KeyError):
        # Not JSON (the library raises ValueError), or JSON the library cannot make an event
        # of (`[1,2,3]`): it is never a Stripe event, signed or not.
        return _answer(400, "Invalid payload.")
    if event is None:
        return _answer(400, "Invalid signature.")
    problem = event_shape_problem(event)
    if problem:
        # Refused before it is stored: a body that is not an event never becomes a failed
        # row that a retry would process again and again.
        return _answer(400, f"Not a Stripe event: {problem}.")

    row = event_record(event)
    outcome = event_process(row)
    if outcome == Outcome.FAILED:
        return _answer(500, "Processing failed; it will be retried.", event=row.event_id)
    return _answer(200, outcome, event=row.event_id)


# --- this app's handlers ------------------------------------------------------------------


@register("account.updated")
def account_updated(event: dict) -> None:
    # payouts/services/connect.py asks this module whether an event is superseded: a cycle.
    from payouts.services.connect import payout_account_sync

    payout_account_sync(event["data"]["object"], event=event)


# --- staff ------------------------------------------------------------------------------------


def event_replay(*, event_id: str) -> str:
    """Run a stored event's handler again (staff, after fixing what made it fail): the same
    once-only processing as a redelivery, so a processed event is left alone."""
    row = StripeEvent.objects.filter(event_id=event_id).first()
    if row is None:
        raise ApplicationError("No such Stripe event.", code="not_found", status=404)
    return event_process(row)
