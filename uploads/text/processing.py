"""Processing a text work in the worker: the text is extracted once (EPUB spine, decoded plain
text) and feeds the excerpt, the cover card, the language and the fingerprints."""

from __future__ import annotations

from uploads.processed import Processed
from uploads.text.extract import extract_text
from uploads.text.fingerprint import text_fingerprint
from uploads.text.metadata import detect_language, read_text_metadata
from uploads.text.renditions import excerpt, text_card


def text_processed(data: bytes, media_type: str, *, title: str) -> Processed:
    extracted = extract_text(data, media_type)
    summary = read_text_metadata(extracted, media_type)
    shown = excerpt(extracted.text)
    fingerprint = text_fingerprint(extracted.text)
    return Processed(
        summary=summary,
        renditions={"thumbnail": (text_card(title, shown), "jpg")},
        fields={
            "excerpt": shown,
            "language": detect_language(extracted.text),
            # The signature and the passage sketch in one field (fingerprint.to_bytes).
            "text_minhash": fingerprint.minhash_bytes,
            "text_sha256": fingerprint.sha256,
        },
    )
