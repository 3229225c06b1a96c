"""Processing in the worker: renditions, metadata, fingerprints. Either it all lands (work in
`pending_review`), or the work is marked `failed` with the error and keeps no rendition files;
the creator can retry. Running twice changes nothing: only a work in `processing` is touched."""

from __future__ import annotations

import io
import logging
import uuid

from django.conf import settings
from django.db import transaction
from PIL import Image

from config.errors import ApplicationError
from uploads import storage
from uploads.audio.processing import audio_processed
from uploads.fingerprints import hash_input, pdq, phash
from uploads.metadata import extract_metadata
from uploads.models import Work, WorkKind, WorkStatus
from uploads.processed import Processed
from uploads.registry import after_processing
from uploads.renditions import RENDITION_EXTENSION, fit_preview, make_renditions, upright_rgb
from uploads.services.history import work_status_set
from uploads.services.intake import processing_enqueue
from uploads.text.processing import text_processed

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def decode_for_processing(data: bytes, media_type: str) -> Image.Image:
    """One reduced decode feeds renditions and fingerprints: JPEG's DCT scaling gives an image
    at least as large as the preview without decoding every pixel of a 12-megapixel file."""
    image = Image.open(io.BytesIO(data), formats=["JPEG", "PNG", "WEBP"])
    if media_type == "image/jpeg":
        side = settings.RENDITION_PREVIEW_PX
        image.draft("RGB", (side, side))
    image.load()
    return image


def _rendition_key(work: Work, kind: str, extension: str = RENDITION_EXTENSION) -> str:
    # A fresh suffix per attempt, so a retry never collides with a leftover of an earlier one.
    return (
        f"renditions/{work.uuid.hex[:2]}/{work.uuid.hex}-{kind}-{uuid.uuid4().hex[:8]}.{extension}"
    )


def image_processed(data: bytes, media_type: str) -> Processed:
    image = decode_for_processing(data, media_type)
    summary = extract_metadata(data, image, media_type)
    fitted = fit_preview(upright_rgb(image))
    small = hash_input(fitted)
    pdq_hex, pdq_quality = pdq(small)
    thumbnail, preview = make_renditions(fitted)
    return Processed(
        summary=summary,
        renditions={"thumbnail": (thumbnail, "jpg"), "preview": (preview, "jpg")},
        fields={"pdq_hash": pdq_hex, "pdq_quality": pdq_quality, "phash": phash(small)},
    )


def _processed(work: Work, data: bytes) -> Processed:
    if work.kind == WorkKind.AUDIO:
        return audio_processed(data, work.media_type)
    if work.kind == WorkKind.TEXT:
        return text_processed(data, work.media_type, title=work.title)
    return image_processed(data, work.media_type)


def work_process(*, work_id: int) -> Work | None:
    work = Work.objects.filter(id=work_id).first()
    if work is None or work.status != WorkStatus.PROCESSING:
        return work  # deleted meanwhile, or done by an earlier delivery of the same task
    stored: list[str] = []
    try:
        processed = _processed(work, storage.read(work.original.name))
        keys = {}
        for field_name, (content, extension) in processed.renditions.items():
            keys[field_name] = storage.store(_rendition_key(work, field_name, extension), content)
            stored.append(keys[field_name])
        with transaction.atomic():
            locked = Work.objects.select_for_update().get(id=work.id)
            if locked.status != WorkStatus.PROCESSING:
                storage.delete_quietly(stored)  # someone else finished first
                return locked
            for field_name, key in keys.items():
                setattr(locked, field_name, key)
            summary = processed.summary
            locked.metadata = summary.data
            locked.metadata_creator = summary.creator
            locked.digital_source_type = summary.digital_source_type
            locked.data_mining = summary.data_mining
            locked.has_c2pa = summary.has_c2pa
            for attribute, value in processed.fields.items():
                setattr(locked, attribute, value)
            locked.processing_error = ""
            locked.processing_attempts += 1
            # Waiting for screening (moderation), which lists, holds or rejects it next.
            work_status_set(
                work=locked,
                status=WorkStatus.PENDING_REVIEW,
                reason="Being checked before it can be listed.",
            )
            locked.save()
            transaction.on_commit(lambda: _after_processing(locked.id))
        return locked
    except Exception as exc:
        logger.exception("processing work %s failed", work_id)
        storage.delete_quietly(stored)
        return _mark_failed(work_id=work_id, error=exc)


def _after_processing(work_id: int) -> None:
    for hook in after_processing:
        hook(work_id)


def _mark_failed(*, work_id: int, error: Exception) -> Work | None:
    with transaction.atomic():
        work = Work.objects.select_for_update().filter(id=work_id).first()
        if work is None or work.status != WorkStatus.PROCESSING:
            return work
        work.processing_attempts += 1
        work.processing_error = f"{type(error).__name__}: {str(error)[:500]}"
        work_status_set(
            work=work,
            status=WorkStatus.FAILED,
            reason="We could not finish processing this file. You can retry.",
        )
        work.save()
        return work


def work_retry(*, work: Work, actor) -> Work:
    if work.status != WorkStatus.FAILED:
        raise ApplicationError(
            "Only a work whose processing failed can be retried.", code="not_failed"
        )
    if work.processing_attempts >= MAX_ATTEMPTS:
        raise ApplicationError(
            "This file failed too many times. Delete it and upload it again, or contact us.",
            code="too_many_attempts",
        )
    with transaction.atomic():
        work_status_set(
            work=work, status=WorkStatus.PROCESSING, reason="Retry requested", actor=actor
        )

        transaction.on_commit(lambda: processing_enqueue(work.id))
    return work
