"""Intake: the door every upload passes. Refusals store nothing; an accepted file becomes a
work in `processing`, its original stored privately, and the worker is told after commit."""

from __future__ import annotations

import os
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from accounts.models import User
from config.celery import enqueue_or_log
from config.errors import ApplicationError
from uploads import errors, storage
from uploads.errors import UploadRefused
from uploads.fingerprints import sha256_of_chunks
from uploads.media import validate_upload
from uploads.models import AiInvolvement, UploadBatch, UploadRefusal, Work, WorkStatus, original_key
from uploads.registry import upload_blocker
from uploads.services.history import work_status_set

MAX_TAGS = 30
TITLE_MAX = Work._meta.get_field("title").max_length


@dataclass
class SubmitResult:
    work: Work
    created: bool


def display_filename(raw: str | None) -> str:
    """A name safe to show: no path, no control characters, bounded. Never used as a key."""
    name = os.path.basename((raw or "").replace("\\", "/"))
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if ch.isprintable())
    return name.strip()[:200] or "upload"


def clean_tags(tags) -> list[str]:
    if isinstance(tags, str):
        tags = tags.split(",")
    seen: list[str] = []
    for tag in tags or []:
        printable = "".join(ch for ch in str(tag) if ch.isprintable())
        tag = " ".join(printable.split()).lower()[:40]
        if tag and tag not in seen:
            seen.append(tag)
    return seen[:MAX_TAGS]


def title_from_filename(filename: str | None) -> str:
    """The title a work gets when none is typed: its file name without the extension,
    underscores and dashes read as spaces ("dusk_over-the_bay.jpg" -> "dusk over the bay").
    The web uploader prefills each file's title field the same way (static/js/uploader.js)."""
    name = display_filename(filename)
    words = " ".join(name.rsplit(".", 1)[0].replace("_", " ").replace("-", " ").split())
    return (words or name)[:TITLE_MAX]


def work_title(*, title: str | None, filename: str | None) -> str:
    """The title typed for an upload, or the file name's when none was; a typed title longer
    than a work keeps is refused (never cut short: the creator would not know)."""
    typed = (title or "").strip()
    if not typed:
        return title_from_filename(filename)
    if len(typed) > TITLE_MAX:
        message = (
            f"The title of {display_filename(filename)} is {len(typed)} characters long; "
            f"a title has at most {TITLE_MAX}."
        )
        raise ApplicationError(message, code=errors.TITLE_TOO_LONG, fields={"title": [message]})
    return typed


def _check_declarations(*, ai_involvement: str, rights_confirmed: bool) -> None:
    fields = {}
    if ai_involvement not in AiInvolvement.values:
        fields["ai_involvement"] = ["Say whether AI was involved: none, assisted or generated."]
    if not rights_confirmed:
        fields["rights_confirmed"] = [
            "Confirm that you hold the rights to this work or act for the person who does."
        ]
    if fields:
        raise ApplicationError("Some fields are missing or invalid.", code="invalid", fields=fields)


def _check_quota(*, owner: User, size: int, lock: bool) -> None:
    """Files and bytes per rolling day. The final check runs under a lock on the owner's row,
    in the transaction that inserts the work, so parallel uploads cannot both squeeze in."""
    if lock:
        User.objects.select_for_update().filter(id=owner.id).first()
    since = timezone.now() - timedelta(days=1)
    used = Work.objects.filter(owner=owner, created_at__gte=since).aggregate(
        files=Count("id"), size=Sum("byte_size")
    )
    if used["files"] + 1 > settings.UPLOAD_DAILY_FILES:
        raise UploadRefused(
            errors.QUOTA_EXCEEDED,
            f"You have uploaded {used['files']} files in the last 24 hours; the limit is "
            f"{settings.UPLOAD_DAILY_FILES}. Try again later.",
            status=429,
        )
    if (used["size"] or 0) + size > settings.UPLOAD_DAILY_BYTES:
        raise UploadRefused(
            errors.QUOTA_EXCEEDED,
            f"This upload would pass your daily limit of "
            f"{settings.UPLOAD_DAILY_BYTES / 1e9:.1f} GB. Try again later.",
            status=429,
        )


def batch_create(*, owner: User, expected_files: int = 0) -> UploadBatch:
    if not owner.is_creator:
        raise ApplicationError("Only creators upload works.", code="not_creator", status=403)
    return UploadBatch.objects.create(owner=owner, expected_files=max(0, expected_files))


def work_submit(
    *,
    owner: User,
    upload: UploadedFile,
    title: str = "",
    ai_involvement: str,
    rights_confirmed: bool,
    rights_holder: str = "",
    description: str = "",
    tags=None,
    batch: UploadBatch | None = None,
) -> SubmitResult:
    """Validate, de-duplicate and store one upload. Returns the new or the existing work. No
    title (or a blank one) gives the work its file name's (`title_from_filename`)."""
    try:
        result = _work_submit(
            owner=owner,
            upload=upload,
            title=title,
            ai_involvement=ai_involvement,
            rights_confirmed=rights_confirmed,
            rights_holder=rights_holder,
            description=description,
            tags=tags,
            batch=batch,
        )
    except ApplicationError as exc:
        if batch is not None:
            upload_refusal_record(
                batch=batch,
                filenames=[getattr(upload, "name", "")],
                code=exc.code,
                message=exc.message,
            )
        raise
    if batch is not None and not result.created:
        # The batch counts this file as done, and its page says where the work already is.
        upload_refusal_record(
            batch=batch,
            filenames=[getattr(upload, "name", "")],
            code=errors.DUPLICATE,
            message=f"Already in your works as “{result.work.title}”; nothing new was added.",
        )
    return result


def upload_refusal_record(
    *, batch: UploadBatch, filenames: Sequence[str | None], code: str, message: str
) -> list[UploadRefusal]:
    """Record files of the batch that were refused (or found to be duplicates, or never
    arrived), one line per file under a displayable name, so the batch counts them as done and
    its page says why. Every path that refuses a file of a batch records it here."""
    return UploadRefusal.objects.bulk_create(
        UploadRefusal(
            batch=batch, filename=display_filename(name), code=code, message=message[:500]
        )
        for name in filenames
    )


def batch_report_not_received(*, batch: UploadBatch, filenames: list[str]) -> int:
    """The uploader tells us which files of the batch got no answer (the connection closed, or
    the server failed before it could answer): the batch counts them as done, and its page
    says to upload them again. Never more lines than the batch expects. Returns how many."""
    with transaction.atomic():
        UploadBatch.objects.select_for_update().filter(id=batch.id).first()
        room = batch.expected_files - batch.works.count() - batch.refusals.count()
        lines = upload_refusal_record(
            batch=batch,
            filenames=filenames[: max(0, room)],
            code=errors.NOT_RECEIVED,
            message="This file did not reach us: the connection closed or our server failed "
            "before answering. Nothing was kept; upload it again.",
        )
    return len(lines)


def _work_submit(
    *,
    owner,
    upload,
    title,
    ai_involvement,
    rights_confirmed,
    rights_holder,
    description,
    tags,
    batch,
) -> SubmitResult:
    if not owner.is_creator:
        raise ApplicationError("Only creators upload works.", code="not_creator", status=403)
    blocked = upload_blocker(owner)
    if blocked:
        raise ApplicationError(blocked, code="upload_refused", status=403)
    if batch is not None and batch.owner_id != owner.id:
        raise ApplicationError("No such upload batch.", code="not_found", status=404)
    title = work_title(title=title, filename=getattr(upload, "name", ""))
    _check_declarations(ai_involvement=ai_involvement, rights_confirmed=rights_confirmed)
    upload.seek(0)
    sha256 = sha256_of_chunks(upload.chunks())
    # The same bytes again (a retried request, a second drop of the same file) get the work
    # they already made, before any quota or check: they passed those the first time.
    existing = Work.objects.filter(owner=owner, sha256=sha256).first()
    if existing is not None:
        return SubmitResult(existing, created=False)
    _check_quota(owner=owner, size=upload.size, lock=False)  # cheap early answer
    validated = validate_upload(upload.file, upload.size, getattr(upload, "name", ""))

    work_uuid = uuid.uuid4()
    upload.seek(0)
    stored_name = storage.store(original_key(work_uuid, validated.extension), upload)
    try:
        with transaction.atomic():
            _check_quota(owner=owner, size=upload.size, lock=True)
            printable = "".join(ch for ch in (rights_holder or "") if ch.isprintable())
            holder = " ".join(printable.split())[:200]
            work = Work(
                uuid=work_uuid,
                owner=owner,
                batch=batch,
                title=title,
                description=(description or "").strip()[:5000],
                tags=clean_tags(tags),
                rights_holder=holder or owner.creator_profile.display_name,
                rights_holder_is_creator=not holder,
                ai_involvement=ai_involvement,
                declared_by=owner,
                declared_at=timezone.now(),
                original=stored_name,
                original_filename=display_filename(upload.name),
                kind=validated.kind,
                media_type=validated.media_type,
                byte_size=upload.size,
                width=validated.width,
                height=validated.height,
                duration_ms=validated.duration_ms,
                sample_rate=validated.sample_rate,
                channels=validated.channels,
                word_count=validated.word_count,
                sha256=sha256,
                status=WorkStatus.PROCESSING,
            )
            work.save()
            work_status_set(work=work, status=WorkStatus.PROCESSING, reason="Uploaded", actor=owner)
            transaction.on_commit(lambda: processing_enqueue(work.id))
    except IntegrityError:
        # The same bytes arrived twice at once: the other request won; hand back its work.
        storage.delete_quietly([stored_name])
        existing = Work.objects.filter(owner=owner, sha256=sha256).first()
        if existing is None:
            raise
        return SubmitResult(existing, created=False)
    except BaseException:
        storage.delete_quietly([stored_name])  # no orphan original when the row is not made
        raise
    return SubmitResult(work, created=True)


def processing_enqueue(work_id: int) -> None:
    """Hand the work to a worker. The work and its original are saved by now: a broker that is
    down must neither fail the upload nor undo it (the caller's cleanup would delete the
    original of a committed work). `works_process_stalled` re-queues it."""
    # uploads/tasks.py imports this module at its top; importing the task here breaks the cycle.
    from uploads.tasks import work_process_task

    enqueue_or_log(work_process_task, work_id)


def works_process_stalled(*, older_than_minutes: int = 10, limit: int = 200) -> int:
    """Re-queue works still processing a while after their last change (a broker outage, a
    lost task). Processing the same work twice changes nothing. Returns how many."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    ids = list(
        Work.objects.filter(status=WorkStatus.PROCESSING, updated_at__lt=cutoff)
        .order_by("updated_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    for work_id in ids:
        processing_enqueue(work_id)
    return len(ids)
