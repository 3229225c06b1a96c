"""The license terms every delivered item carries as columns of its own: flattened into each
row of the index (documents.INDEX_SCHEMA) and inside each text row's `license` struct
(texts.LICENSE_TYPE), and described alike in Croissant. One list, so that a term added to the
license reaches both files with the same name, type and meaning."""

from __future__ import annotations

import pyarrow as pa

# (column, Arrow type, Croissant data type, description; {noun} is "item" or "text")
TERM_COLUMNS: list[tuple[str, pa.DataType, str, str]] = [
    ("uses", pa.string(), "sc:Text", "The uses the license permits, comma-separated."),
    ("commercial", pa.bool_(), "sc:Boolean", "Whether commercial use is permitted."),
    ("term_months", pa.int32(), "sc:Integer", "How long a model may use the {noun}, in months."),
    ("on_expiry", pa.string(), "sc:Text", "At expiry: destroy-models or stop-training."),
    ("attribution_required", pa.bool_(), "sc:Boolean", "Whether attribution is required."),
    ("attribution", pa.string(), "sc:Text", "The attribution text to use."),
    ("expires_at", pa.string(), "sc:Date", "When this {noun}'s license ends (ISO 8601)."),
]


def arrow_fields() -> list[tuple[str, pa.DataType]]:
    return [(name, arrow_type) for name, arrow_type, _, _ in TERM_COLUMNS]


def croissant_fields(noun: str) -> list[tuple[str, str, str]]:
    """(column, Croissant data type, description) for each term column."""
    return [(name, data_type, text.format(noun=noun)) for name, _, data_type, text in TERM_COLUMNS]


def term_values(record: dict) -> dict:
    """The term columns of an index record, to copy into another row."""
    return {name: record[name] for name, _, _, _ in TERM_COLUMNS}
