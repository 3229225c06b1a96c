"""Public verification: turn what a visitor sends (an image, a PDQ hash or a SHA-256) into
fingerprints, and answer which public works it matches and under which running licenses.

The visitor's image is hostile input: it passes the uploads app's validation (type by content,
size and pixel caps, decompression bombs) and is hashed exactly as processing hashes a work
(same reduced decode, same fitted image), then dropped. Nothing a visitor sends is stored."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass

import numpy as np
import pdqhash
from django.conf import settings

from config.errors import ApplicationError
from moderation.neardup import near_matches
from transparency.selectors.verification import VerifiedWork, verified_works
from uploads.errors import UploadRefused
from uploads.fingerprints import hash_input
from uploads.renditions import fit_preview, upright_rgb
from uploads.services.processing import decode_for_processing
from uploads.validation import check_size, validate_image

# Meta's guidance: a PDQ hash of quality under 50 (flat or featureless pictures) matches too
# much to mean anything, so such an image is only checked for an exact copy.
PDQ_MIN_QUALITY = 50
_HEX64 = re.compile(r"[0-9a-f]{64}")

MISSING_INPUT = "missing_input"
TOO_MANY_INPUTS = "too_many_inputs"
INVALID_HASH = "invalid_hash"


@dataclass(frozen=True)
class VerificationQuery:
    kind: str  # "image" | "pdq" | "sha256"
    sha256: str | None = None
    pdq_hashes: tuple[str, ...] = ()  # the image's 8 flips and rotations, or the one given
    pdq_quality: int | None = None  # for an image only

    @property
    def searches_near(self) -> bool:
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


def verification_query_parse(*, upload=None, pdq=None, sha256=None) -> VerificationQuery:
    """Exactly one of an image, a PDQ hash or a SHA-256; anything else is refused with a code."""
    given = [
        name
        for name, value in (("file", upload), ("pdq", pdq), ("sha256", sha256))
        if value not in (None, "")
    ]
    if not given:
        raise ApplicationError(
            "Send an image in `file`, or a hash in `pdq` or `sha256`.", code=MISSING_INPUT
        )
    if len(given) > 1:
        raise ApplicationError(
            f"Send one of `file`, `pdq` or `sha256`, not {' and '.join(given)}.",
            code=TOO_MANY_INPUTS,
        )
    if upload is not None and upload != "":
        return image_fingerprints(upload)
    if pdq not in (None, ""):
        return VerificationQuery(kind="pdq", pdq_hashes=(_hex_hash(pdq, name="pdq"),))
    return VerificationQuery(kind="sha256", sha256=_hex_hash(sha256, name="sha256"))


def image_fingerprints(upload) -> VerificationQuery:
    """SHA-256 of the bytes and the 8 dihedral PDQ hashes of the picture, computed the way
    processing computes a work's `pdq_hash` (variant 0 is that hash)."""
    try:
        check_size(getattr(upload, "size", 0) or 0)  # before reading a byte of it
        upload.seek(0)
        data = upload.read(settings.UPLOAD_MAX_BYTES + 1)
        validated = validate_image(io.BytesIO(data), len(data))
        sha256 = hashlib.sha256(data).hexdigest()
        image = decode_for_processing(data, validated.format.media_type)
        small = hash_input(fit_preview(upright_rgb(image)))
        variants, quality = pdqhash.compute_dihedral(np.asarray(small))
    except UploadRefused as exc:
        # Every refusal of a visitor's file is a plain bad request, whatever uploads answers.
        raise ApplicationError(exc.message, code=exc.code, status=400) from exc
    except Exception as exc:  # a decoder failing past validation: still the file's fault
        raise ApplicationError(
            "The image is damaged or cannot be read.", code="corrupt_image"
        ) from exc
    hashes = tuple(np.packbits(np.asarray(b).astype(np.uint8)).tobytes().hex() for b in variants)
    return VerificationQuery(
        kind="image", sha256=sha256, pdq_hashes=hashes, pdq_quality=int(quality)
    )


def verification_run(query: VerificationQuery) -> VerificationResult:
    near: dict[int, int] = {}
    if query.searches_near:
        for match in near_matches(list(query.pdq_hashes)):
            if match.source == "work":  # the stolen-works registry is staff's, not public
                near[match.id] = match.distance
    return VerificationResult(query=query, works=verified_works(sha256=query.sha256, near=near))
