"""Training notices: after a model declaration commits, each creator whose works are in it is
told once (in the app and by email), with every one of their works in that model in one
message."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Prefetch
from django.utils import timezone

from accounts.services import notify

from ..models import LicenseGrantItem, ModelDeclaration
from .status import requires_destruction

STUDIO_MODELS_URL = "/studio/models/"


def _day(value) -> str:
    day = timezone.localdate(value) if hasattr(value, "tzinfo") else value
    return f"{day.day} {day:%b %Y}"


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
    return sent
