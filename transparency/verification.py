"""Public verification: turn what a visitor sends (an image, an audio clip, a passage of text, a
PDQ hash or a SHA-256) into fingerprints, and answer which public works it matches and under
which running licenses.

The visitor's file is hostile input: it passes the uploads app's validation for its medium
(type by content, size, pixel and length caps, decompression bombs, a decode that proves it
intact) and is fingerprinted exactly as processing fingerprints a work, then dropped. Nothing a
visitor sends is stored."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field

import numpy as np
import pdqhash
from django.conf import settings

from config.errors import ApplicationError
from moderation.neardup import near_matches
from moderation.neardup.audio import audio_matches
from moderation.neardup.text import passage_matches
from transparency.selectors.verification import NearEvidence, VerifiedWork, verified_works
from uploads import errors as upload_errors
from uploads.audio.fingerprint import (
    FRAME_SECONDS,
    FingerprintUnavailable,
    fingerprint_available,
    fingerprint_pcm,
)
from uploads.audio.validation import AudioFormat, decode_mono, sniff_audio, validate_audio
from uploads.errors import UploadRefused
from uploads.fingerprints import hash_input
from uploads.renditions import fit_preview, upright_rgb
from uploads.services.processing import decode_for_processing
from uploads.text.fingerprint import normalize, normalized_sha256, words
from uploads.validation import check_size, refuse_unknown, sniff_image, validate_image

# Meta's guidance: a PDQ hash of quality under 50 (flat or featureless pictures) matches too
# much to mean anything, so such an image is only checked for an exact copy.
PDQ_MIN_QUALITY = 50
_HEX64 = re.compile(r"[0-9a-f]{64}")

# A clip is decoded and fingerprinted from its first two minutes only: enough to place it in
# any work, and it bounds the decode and fpcalc's work per request whatever the visitor sends
# (at most 192 kHz, so about 90 MB of samples at worst).
CLIP_MAX_SECONDS = 120
# Matches asked of the audio and text indexes. Only public works are answered, and they are
# filtered after the search: a popular work with dozens of rejected copies must not be pushed
# out of the answer by them (it would read as "not licensed").
VERIFY_CANDIDATES = 100
# Under about 8 s (MIN_OVERLAP_FRAMES, plus Chromaprint's first window) a clip has too few
# frames to tell one recording from another, and "no match" would read as "not licensed" when
# it only means "too short to say".
CLIP_MIN_SECONDS = 10
# A passage is pasted, not uploaded: a page or two of prose. Under about 50 words a passage is
# too common to name one work (moderation.neardup.text finds it from ~50 words up).
TEXT_MAX_CHARS = 20_000
TEXT_MIN_WORDS = 50
ACCEPTED_FILES = "a JPEG, PNG or WebP image, or a WAV, FLAC, MP3 or Ogg recording"

MISSING_INPUT = "missing_input"
TOO_MANY_INPUTS = "too_many_inputs"
INVALID_HASH = "invalid_hash"
INVALID_TEXT = "invalid_text"
TEXT_TOO_LONG = "text_too_long"
TOO_FEW_WORDS = "too_few_words"
FINGERPRINT_UNAVAILABLE = "fingerprint_unavailable"


@dataclass(frozen=True)
class VerificationQuery:
    kind: str  # "image" | "audio" | "text" | "pdq" | "sha256"
    sha256: str | None = None  # of the file's bytes
    pdq_hashes: tuple[str, ...] = ()  # the image's 8 flips and rotations, or the one given
    pdq_quality: int | None = None  # for an image only
    audio_fingerprint: np.ndarray | None = field(default=None, repr=False, compare=False)
    clip_seconds: float | None = None  # audio: how long the clip is
    seconds_checked: float | None = None  # audio: how much of it was fingerprinted
    passage: str = field(default="", repr=False)  # text: what was pasted, never stored
    text_sha256: str | None = None  # text: equals a work's when its whole text is pasted
    word_count: int | None = None  # text

    @property
    def searches_near(self) -> bool:
        if self.kind in ("audio", "text"):
            return True
        return bool(self.pdq_hashes) and (
            self.pdq_quality is None or self.pdq_quality >= PDQ_MIN_QUALITY
        )


@dataclass(frozen=True)
class VerificationResult:
    query: VerificationQuery
    works: list[VerifiedWork]

    @property
    def is_matched(self) -> bool:
        return bool(self.works)


def _hex_hash(value, *, name: str) -> str:
    text = str(value).strip().lower() if value is not None else ""
    if not _HEX64.fullmatch(text):
        raise ApplicationError(
            f"`{name}` is 64 hexadecimal characters (256 bits).",
            code=INVALID_HASH,
            fields={name: ["64 hexadecimal characters."]},
        )
    return text


def verification_query_parse(*, upload=None, pdq=None, sha256=None, text=None) -> VerificationQuery:
    """Exactly one of a file (image or audio clip), a passage of text, a PDQ hash or a
    SHA-256; anything else is refused with a code."""
    if isinstance(text, str) and not text.strip():
        text = None  # an untouched text box is no input, like an empty hash field
    given = [
        name
        for name, value in (("file", upload), ("text", text), ("pdq", pdq), ("sha256", sha256))
        if value not in (None, "")
    ]
    if not given:
        raise ApplicationError(
            "Send an image or a recording in `file`, a passage in `text`, or a hash in `pdq` "
            "or `sha256`.",
            code=MISSING_INPUT,
        )
    if len(given) > 1:
        raise ApplicationError(
            f"Send one of `file`, `text`, `pdq` or `sha256`, not {' and '.join(given)}.",
            code=TOO_MANY_INPUTS,
        )
    if upload is not None and upload != "":
        return file_fingerprints(upload)
    if text is not None:
        return passage_fingerprints(text)
    if pdq not in (None, ""):
        return VerificationQuery(kind="pdq", pdq_hashes=(_hex_hash(pdq, name="pdq"),))
    return VerificationQuery(kind="sha256", sha256=_hex_hash(sha256, name="sha256"))


def file_fingerprints(upload) -> VerificationQuery:
    """An image or an audio clip, told apart by its first bytes (never by its name)."""
    try:
        check_size(getattr(upload, "size", 0) or 0)  # before reading a byte of it
        upload.seek(0)
        data = upload.read(settings.UPLOAD_MAX_BYTES + 1)
        check_size(len(data))
        head = data[:4096]
        if sniff_image(head) is not None:
            return image_fingerprints(data)
        audio_format = sniff_audio(head)
        if audio_format is not None:
            return clip_fingerprints(data, audio_format)
        refuse_unknown(head, accepted=ACCEPTED_FILES)
        raise UploadRefused(
            upload_errors.UNSUPPORTED_TYPE,
            f"This file is not {ACCEPTED_FILES}. To check a text, paste a passage of it.",
        )
    except UploadRefused as exc:
        # Every refusal of a visitor's file is a plain bad request, whatever uploads answers.
        raise ApplicationError(exc.message, code=exc.code, status=400) from exc


def image_fingerprints(data: bytes) -> VerificationQuery:
    """SHA-256 of the bytes and the 8 dihedral PDQ hashes of the picture, computed the way
    processing computes a work's `pdq_hash` (variant 0 is that hash)."""
    try:
        validated = validate_image(io.BytesIO(data), len(data))
        image = decode_for_processing(data, validated.format.media_type)
        small = hash_input(fit_preview(upright_rgb(image)))
        variants, quality = pdqhash.compute_dihedral(np.asarray(small))
    except UploadRefused:
        raise
    except Exception as exc:  # a decoder failing past validation: still the file's fault
        raise ApplicationError(
            "The image is damaged or cannot be read.", code="corrupt_image"
        ) from exc
    hashes = tuple(np.packbits(np.asarray(b).astype(np.uint8)).tobytes().hex() for b in variants)
    return VerificationQuery(
        kind="image",
        sha256=hashlib.sha256(data).hexdigest(),
        pdq_hashes=hashes,
        pdq_quality=int(quality),
    )


def clip_fingerprints(data: bytes, fmt: AudioFormat) -> VerificationQuery:
    """The Chromaprint fingerprint of the clip's first CLIP_MAX_SECONDS, made from the same
    mono decode processing fingerprints a work from, so a clip of a work lines up with it."""
    if not fingerprint_available():  # before spending a decode on a clip we cannot check
        raise _fingerprinter_down()
    validated = validate_audio(io.BytesIO(data), len(data), fmt, prove_seconds=CLIP_MAX_SECONDS)
    seconds = validated.duration_ms / 1000
    if seconds < CLIP_MIN_SECONDS:
        raise UploadRefused(
            upload_errors.TOO_SHORT,
            f"The clip lasts {seconds:.1f} seconds; send at least {CLIP_MIN_SECONDS} seconds "
            "so it can be told apart from other recordings.",
        )
    samples, sample_rate = decode_mono(data, max_seconds=CLIP_MAX_SECONDS)
    try:
        fingerprint = fingerprint_pcm(samples, sample_rate, max_seconds=CLIP_MAX_SECONDS)
    except FingerprintUnavailable as exc:
        raise _fingerprinter_down() from exc
    return VerificationQuery(
        kind="audio",
        sha256=hashlib.sha256(data).hexdigest(),
        audio_fingerprint=fingerprint,
        clip_seconds=round(seconds, 1),
        seconds_checked=round(min(seconds, CLIP_MAX_SECONDS), 1),
    )


def _fingerprinter_down() -> ApplicationError:
    # Our fault, not the visitor's: say so, and that the other checks still work.
    return ApplicationError(
        "Recordings cannot be checked at the moment (the audio fingerprinter is unavailable). "
        "Images and text can still be checked; please try again later.",
        code=FINGERPRINT_UNAVAILABLE,
        status=503,
    )


def passage_fingerprints(text) -> VerificationQuery:
    """A pasted passage, bounded in characters before any work is done on it, and long enough
    in words to point at one work."""
    if not isinstance(text, str):
        raise ApplicationError(
            "`text` is a passage of plain text.",
            code=INVALID_TEXT,
            fields={"text": ["A string."]},
        )
    text = text.replace("\r\n", "\n")  # a form sends CRLF; the box counted each as one
    if len(text) > TEXT_MAX_CHARS:
        raise ApplicationError(
            f"The passage is {len(text):,} characters long; paste at most {TEXT_MAX_CHARS:,}.",
            code=TEXT_TOO_LONG,
            fields={"text": [f"At most {TEXT_MAX_CHARS:,} characters."]},
        )
    count = len(words(normalize(text)))
    if count < TEXT_MIN_WORDS:
        raise ApplicationError(
            f"The passage has {count} words; paste at least {TEXT_MIN_WORDS} so it can point "
            "to one work (shorter phrases are shared by too many texts).",
            code=TOO_FEW_WORDS,
            fields={"text": [f"At least {TEXT_MIN_WORDS} words."]},
        )
    return VerificationQuery(
        kind="text", passage=text, text_sha256=normalized_sha256(text), word_count=count
    )


def verification_run(query: VerificationQuery) -> VerificationResult:
    if query.kind == "audio":
        near = _audio_candidates(query)
    elif query.kind == "text":
        near = _text_candidates(query)
    else:
        near = _picture_candidates(query)
    works = verified_works(sha256=query.sha256, near=near, text_sha256=query.text_sha256)
    return VerificationResult(query=query, works=works)


def _picture_candidates(query: VerificationQuery) -> dict[int, int]:
    near: dict[int, int] = {}
    if query.searches_near:
        for match in near_matches(list(query.pdq_hashes)):
            if match.source == "work":  # the stolen-works registry is staff's, not public
                near[match.id] = match.distance
    return near


def _audio_candidates(query: VerificationQuery) -> dict[int, NearEvidence]:
    return {
        match.key: NearEvidence(
            score=round(float(match.score), 4),
            # Where the clip's first frame falls in the work (a clip never starts before it).
            offset_ms=max(0, round(match.offset * FRAME_SECONDS * 1000)),
        )
        for match in audio_matches(query.audio_fingerprint, limit=VERIFY_CANDIDATES)
    }


def _text_candidates(query: VerificationQuery) -> dict[int, NearEvidence]:
    return {
        match.key: NearEvidence(score=round(float(match.similarity), 4))
        for match in passage_matches(query.passage, limit=VERIFY_CANDIDATES)
    }
