"""Text works as delivered: Parquet files of one row per work (its text, language and length,
its license and its provenance), under `text/` in the package as `train-00000.parquet`,
`train-00001.parquet`, ... The Hugging Face `datasets` library reads a folder of Parquet files
named so as the train split (a split name delimited by non-word characters in the file name),
and pyarrow reads the folder as one table.

The shards carry no `-of-NNNNN` total: a build that crashes and resumes keeps the names of the
files already recorded, and the total is only known once every text is planned (a refund in
between would leave two totals in one package). The loaders above do not need it.

Each file is written to a temporary file one row group at a time, so memory holds a batch of
texts, never the file."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile

import pyarrow as pa
import pyarrow.parquet as pq

from marketplace.packages import term_columns
from marketplace.packages.shards import SCRATCH_PREFIX

TEXT_FOLDER = "text"
# A row group is written once it holds this many texts or this many characters of them.
ROW_GROUP_ROWS = 256
ROW_GROUP_CHARS = 16 * 1024 * 1024

LICENSE_TYPE = pa.struct(
    [
        ("id", pa.string()),
        ("url", pa.string()),
        ("terms", pa.string()),  # the canonical terms as JSON
        *term_columns.arrow_fields(),
        ("rsl_url", pa.string()),
        ("odrl_url", pa.string()),
    ]
)
PROVENANCE_TYPE = pa.struct(
    [
        ("creator", pa.string()),
        ("rights_holder", pa.string()),
        ("work_url", pa.string()),
        ("media_type", pa.string()),
        ("original_sha256", pa.string()),
        ("text_sha256", pa.string()),
    ]
)
TEXT_SCHEMA = pa.schema(
    [
        ("key", pa.string()),
        ("work_id", pa.int64()),
        ("kind", pa.string()),
        ("title", pa.string()),
        ("text", pa.string()),
        ("language", pa.string()),
        ("word_count", pa.int32()),
        ("license", LICENSE_TYPE),
        ("provenance", PROVENANCE_TYPE),
    ]
)

# (column, Croissant data type, description); structs list their sub-fields.
TEXT_FIELDS = [
    ("key", "sc:Text", "The work's key (as in index.parquet)."),
    ("work_id", "sc:Integer", "Assent's id of the work."),
    ("kind", "sc:Text", "Always text."),
    ("title", "sc:Text", "The work's title."),
    ("text", "sc:Text", "The work's text (an EPUB's chapters in reading order)."),
    ("language", "sc:Text", "The text's language (ISO 639-1), when detected."),
    ("word_count", "sc:Integer", "How many words the text holds."),
]
LICENSE_SUBFIELDS = [
    ("id", "sc:Text", "The license this text is used under."),
    ("url", "sc:URL", "Where the license and its terms are published."),
    ("terms", "sc:Text", "The license terms as JSON."),
    *term_columns.croissant_fields("text"),
    ("rsl_url", "sc:URL", "The work's offer in RSL 1.0."),
    ("odrl_url", "sc:URL", "The license as an ODRL 2.2 policy."),
]
PROVENANCE_SUBFIELDS = [
    ("creator", "sc:Text", "The creator who uploaded and licensed the work."),
    ("rights_holder", "sc:Text", "The declared copyright holder."),
    ("work_url", "sc:URL", "The work's page in the Assent catalog."),
    ("media_type", "sc:Text", "The media type of the file the creator uploaded."),
    ("original_sha256", "sc:Text", "SHA-256 of the file the creator uploaded."),
    ("text_sha256", "sc:Text", "SHA-256 of the delivered text (UTF-8)."),
]


def text_file_name(index: int) -> str:
    return f"{TEXT_FOLDER}/train-{index:05d}.parquet"


def text_sha256(text: str) -> tuple[str, int]:
    """(SHA-256, size) of the delivered text, as UTF-8."""
    data = text.encode()
    return hashlib.sha256(data).hexdigest(), len(data)


class TextWriter:
    """Rows of TEXT_SCHEMA into a temporary Parquet file. `directory`: as for ShardWriter."""

    def __init__(self, directory: str | None = None) -> None:
        self.file = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed by close())
            dir=directory, prefix=SCRATCH_PREFIX, suffix=".parquet", delete=False
        )
        self._writer = pq.ParquetWriter(self.file, TEXT_SCHEMA, compression="zstd")
        self._batch: list[dict] = []
        self._chars = 0

    def add(self, row: dict) -> None:
        self._batch.append(row)
        self._chars += len(row["text"])
        if len(self._batch) >= ROW_GROUP_ROWS or self._chars >= ROW_GROUP_CHARS:
            self._flush()

    def _flush(self) -> None:
        if self._batch:
            self._writer.write_table(pa.Table.from_pylist(self._batch, schema=TEXT_SCHEMA))
        self._batch, self._chars = [], 0

    def finish(self) -> tuple[object, int, str]:
        """(file, size, sha256) of the finished file."""
        self._flush()
        self._writer.close()
        self.file.flush()
        digest = hashlib.sha256()
        self.file.seek(0)
        for block in iter(lambda: self.file.read(1 << 20), b""):
            digest.update(block)
        size = self.file.tell()
        self.file.seek(0)
        return self.file, size, digest.hexdigest()

    def close(self) -> None:
        """Close and remove the temporary file (unless storage moved it)."""
        with contextlib.suppress(Exception):
            self._writer.close()
        self.file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.file.name)


def terms_json(terms: dict) -> str:
    return json.dumps(terms, sort_keys=True, separators=(",", ":"))
