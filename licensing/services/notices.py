"""Training notices: after a model declaration commits, each creator whose works are in it is
told once (in the app and by email), with every one of their works in that model in one
message."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django.db.models import Prefetch
from django.utils import timezone

from accounts.services.notifications import notify
from common.dates import day_text
from config.celery import enqueue_or_log
from licensing.models import LicenseGrantItem, ModelDeclaration
from licensing.selectors.status import requires_destruction

STUDIO_MODELS_URL = "/studio/models/"


def _day(value) -> str:
    return day_text(timezone.localdate(value) if hasattr(value, "tzinfo") else value)


def notice_dedupe_key(declaration_id: int, creator_id: int) -> str:
    return f"model-declared:{declaration_id}:creator:{creator_id}"


def _notice_text(declaration: ModelDeclaration, items: list[LicenseGrantItem]) -> tuple[str, str]:
    team = declaration.organization.name
    model = f"{declaration.name} {declaration.version}"
    count = len(items)
    subject = f"{team} trained {model} on {count} of your works"
    if count == 1:
        subject = f"{team} trained {model} on your work “{items[0].work_title}”"
    kind = [
        "commercial" if declaration.is_commercial else "non-commercial",
        "generative" if declaration.is_generative else "non-generative",
    ]
    lines = [
        f"{team} declared a model trained on {count} of your works.",
        "",
        f"Model: {model} ({', '.join(kind)})",
        f"Purpose: {declaration.purpose}",
        f"Training: {_day(declaration.training_started_on)} to "
        f"{_day(declaration.training_ended_on)}",
        "",
        "Your works in it, and until when the team may use them:",
    ]
    for item in items:
        at_end = (
            "the model must then be destroyed"
            if requires_destruction(item)
            else "training must then stop"
        )
        lines.append(f"- {item.work_title}: until {_day(item.expires_at)} ({at_end})")
    return subject, "\n".join(lines)


def declaration_notices_send(*, declaration_id: int) -> int:
    """Notify each creator in the declaration once; a replay sends nothing new (one dedupe key
    per declaration and creator). Returns how many notices were written now."""
    declaration = (
        ModelDeclaration.objects.select_related("organization")
        .prefetch_related(
            Prefetch(
                "items",
                LicenseGrantItem.objects.select_related("creator").order_by("work_title", "id"),
            )
        )
        .filter(id=declaration_id)
        .first()
    )
    if declaration is None:
        return 0
    by_creator: dict[int, list[LicenseGrantItem]] = defaultdict(list)
    for item in declaration.items.all():
        by_creator[item.creator_id].append(item)
    sent = 0
    for items in by_creator.values():
        subject, body = _notice_text(declaration, items)
        notification = notify(
            user=items[0].creator,
            subject=subject,
            body=body,
            url=STUDIO_MODELS_URL,
            dedupe_key=notice_dedupe_key(declaration.id, items[0].creator_id),
        )
        sent += notification is not None
    ModelDeclaration.objects.filter(id=declaration.id, notices_sent_at__isnull=True).update(
        notices_sent_at=timezone.now()
    )
    return sent


def declaration_notices_enqueue(declaration_id: int) -> None:
    """Hand the notices to a worker. A broker that is down must not fail the declaration that
    is already saved: the hourly sweep sends what was never sent."""
    # licensing/tasks.py imports this module at its top; importing the task here breaks the cycle.
    from licensing.tasks import declaration_notices_send_task

    enqueue_or_log(declaration_notices_send_task, declaration_id)


def declaration_notices_unsent(*, older_than_minutes: int = 10, limit: int = 200) -> int:
    """Send the notices of declarations made a while ago whose notices were never sent (a
    broker outage, a lost task). Returns how many declarations were done."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    ids = list(
        ModelDeclaration.objects.filter(notices_sent_at__isnull=True, created_at__lt=cutoff)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    for declaration_id in ids:
        declaration_notices_send(declaration_id=declaration_id)
    return len(ids)
