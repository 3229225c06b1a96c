"""Processing an audio work in the worker: one bounded decode feeds the preview, the waveform
thumbnail and the Chromaprint fingerprint; the tags are read from the original bytes."""

from __future__ import annotations

import logging

from django.conf import settings

from uploads.audio.fingerprint import (
    WORK_SECONDS,
    FingerprintUnavailable,
    fingerprint_pcm,
    to_bytes,
)
from uploads.audio.metadata import read_audio_metadata
from uploads.audio.renditions import PREVIEW_EXTENSION, audio_preview, waveform_image
from uploads.audio.validation import decode_mono
from uploads.processed import Processed

logger = logging.getLogger(__name__)


def audio_processed(data: bytes, media_type: str) -> Processed:
    samples, sample_rate = decode_mono(data, max_seconds=settings.AUDIO_MAX_SECONDS)
    summary = read_audio_metadata(data, media_type)
    fields = {}
    try:
        fields["audio_fingerprint"] = to_bytes(
            fingerprint_pcm(samples, sample_rate, max_seconds=WORK_SECONDS)
        )
    except FingerprintUnavailable as exc:
        # Without a fingerprint screening cannot look for copies: it holds the work for a
        # person instead (moderation.signals), so nothing unchecked is listed.
        logger.warning("no audio fingerprint: %s", exc)
        summary.data.setdefault("errors", {})["fingerprint"] = str(exc)[:200]
    return Processed(
        summary=summary,
        renditions={
            "thumbnail": (waveform_image(samples, sample_rate), "jpg"),
            "preview": (audio_preview(samples, sample_rate), PREVIEW_EXTENSION),
        },
        fields=fields,
    )
