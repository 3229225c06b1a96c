"""The files beside the shards: the Parquet index (one row per item, whatever its kind),
Croissant 1.1 JSON-LD (the tar shards' images and recordings, the text Parquet files, the index),
the manifest of every file with its checksum, and the license summary in words. Each is
written from rows in the database in batches, so memory stays flat however large the order."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable

import pyarrow as pa
import pyarrow.parquet as pq

from marketplace.packages import term_columns, texts

CROISSANT_1_1 = "http://mlcommons.org/croissant/1.1"

# One row per delivered item. Terms are flattened so every loader can filter on them.
INDEX_SCHEMA = pa.schema(
    [
        ("key", pa.string()),
        ("shard", pa.string()),
        ("member", pa.string()),
        ("work_id", pa.int64()),
        ("title", pa.string()),
        ("media_type", pa.string()),
        ("kind", pa.string()),
        ("width", pa.int32()),
        ("height", pa.int32()),
        ("duration_ms", pa.int64()),
        ("sample_rate", pa.int32()),
        ("channels", pa.int32()),
        ("word_count", pa.int32()),
        ("language", pa.string()),
        ("original_sha256", pa.string()),
        ("delivered_sha256", pa.string()),
        ("creator", pa.string()),
        ("rights_holder", pa.string()),
        ("license_id", pa.string()),
        ("license_url", pa.string()),
        *term_columns.arrow_fields(),
    ]
)

# (column, Croissant data type, description) for the record set over the index.
INDEX_FIELDS = [
    ("key", "sc:Text", "The sample's key in its WebDataset shard (a text's key in its file)."),
    ("shard", "sc:Text", "The shard file (or text Parquet file) holding the item."),
    ("member", "sc:Text", "The file's member name inside the shard; for a text, its key."),
    ("work_id", "sc:Integer", "Assent's id of the work."),
    ("title", "sc:Text", "The work's title."),
    ("media_type", "sc:Text", "The media type of the file the creator uploaded."),
    ("kind", "sc:Text", "What the work is: image, audio or text."),
    ("width", "sc:Integer", "Images: width in pixels."),
    ("height", "sc:Integer", "Images: height in pixels."),
    ("duration_ms", "sc:Integer", "Recordings: duration in milliseconds."),
    ("sample_rate", "sc:Integer", "Recordings: samples per second."),
    ("channels", "sc:Integer", "Recordings: number of channels."),
    ("word_count", "sc:Integer", "Texts: number of words."),
    ("language", "sc:Text", "Texts: language (ISO 639-1), when detected."),
    ("original_sha256", "sc:Text", "Provenance: SHA-256 of the file the creator uploaded."),
    ("delivered_sha256", "sc:Text", "SHA-256 of the delivered, license-marked file (text: UTF-8)."),
    ("creator", "sc:Text", "Provenance: the creator who uploaded and licensed the work."),
    ("rights_holder", "sc:Text", "Provenance: the declared copyright holder."),
    ("license_id", "sc:Text", "The license this item is used under."),
    ("license_url", "sc:URL", "Where the license and its terms are published."),
    *term_columns.croissant_fields("item"),
]


def write_index(rows: Iterable[dict], *, batch_size: int = 2000):
    """Stream rows into a Parquet file; returns the open temporary file at 0."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 (the caller closes it)
    writer = pq.ParquetWriter(out, INDEX_SCHEMA, compression="zstd")
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= batch_size:
            writer.write_table(pa.Table.from_pylist(batch, schema=INDEX_SCHEMA))
            batch = []
    if batch:
        writer.write_table(pa.Table.from_pylist(batch, schema=INDEX_SCHEMA))
    writer.close()
    out.seek(0)
    return out


def _context() -> dict:
    """The Croissant 1.1 @context as mlcroissant writes it, plus PROV for provenance."""
    return {
        "@language": "en",
        "@vocab": "https://schema.org/",
        "arrayShape": "cr:arrayShape",
        "citeAs": "cr:citeAs",
        "column": "cr:column",
        "conformsTo": "dct:conformsTo",
        "containedIn": "cr:containedIn",
        "cr": "http://mlcommons.org/croissant/",
        "rai": "http://mlcommons.org/croissant/RAI/",
        "prov": "http://www.w3.org/ns/prov#",
        "data": {"@id": "cr:data", "@type": "@json"},
        "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
        "dct": "http://purl.org/dc/terms/",
        "description": {"@container": "@language"},
        "equivalentProperty": "cr:equivalentProperty",
        "examples": {"@id": "cr:examples", "@type": "@json"},
        "extract": "cr:extract",
        "field": "cr:field",
        "fileProperty": "cr:fileProperty",
        "fileObject": "cr:fileObject",
        "fileSet": "cr:fileSet",
        "format": "cr:format",
        "includes": "cr:includes",
        "isArray": "cr:isArray",
        "isLiveDataset": "cr:isLiveDataset",
        "jsonPath": "cr:jsonPath",
        "key": "cr:key",
        "md5": "cr:md5",
        "name": {"@container": "@language"},
        "parentField": "cr:parentField",
        "path": "cr:path",
        "recordSet": "cr:recordSet",
        "references": "cr:references",
        "regex": "cr:regex",
        "repeated": "cr:repeated",
        "replace": "cr:replace",
        "samplingRate": "cr:samplingRate",
        "sc": "https://schema.org/",
        "separator": "cr:separator",
        "source": "cr:source",
        "subField": "cr:subField",
        "transform": "cr:transform",
    }


AUDIO_INCLUDES = ["*.flac", "*.mp3", "*.ogg", "*.opus", "*.wav"]
TEXT_FILE_SET = "text-files"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def contents_description(kinds: dict[str, int], *, shard_pattern: str, text_pattern: str) -> str:
    """What the package holds, in one sentence (`kinds`: items per kind)."""
    tail = ", with a Parquet index of every item's terms and provenance."
    if set(kinds) <= {"image"}:
        return f"{kinds.get('image', 0)} licensed images in WebDataset shards {shard_pattern}{tail}"
    parts = []
    in_shards = [
        _plural(kinds[kind], word)
        for kind, word in (("image", "image"), ("audio", "recording"))
        if kinds.get(kind)
    ]
    if in_shards:
        parts.append(f"{' and '.join(in_shards)} in WebDataset shards {shard_pattern}")
    if kinds.get("text"):
        parts.append(f"{_plural(kinds['text'], 'text')} in Parquet files {text_pattern}")
    return f"{_plural(sum(kinds.values()), 'licensed work')}: {', '.join(parts)}{tail}"


def _field(record_set: str, column: str, data_type: str, text: str, source: dict) -> dict:
    return {
        "@type": "cr:Field",
        "@id": f"{record_set}/{column}",
        "name": column,
        "description": text,
        "dataType": data_type,
        "source": {**source, "extract": {"column": column}},
    }


def _struct_field(record_set: str, column: str, text: str, subfields, source: dict) -> dict:
    """A Parquet struct column: one sub-field per member, read with a JSON path."""
    return {
        "@type": "cr:Field",
        "@id": f"{record_set}/{column}",
        "name": column,
        "description": text,
        "subField": [
            {
                "@type": "cr:Field",
                "@id": f"{record_set}/{column}/{member}",
                "name": member,
                "description": member_text,
                "dataType": data_type,
                "source": {
                    **source,
                    "extract": {"column": column},
                    "transform": {"jsonPath": member},
                },
            }
            for member, data_type, member_text in subfields
        ],
    }


def _text_record_set(count: int) -> dict:
    source = {"fileSet": {"@id": TEXT_FILE_SET}}
    fields = [_field("texts", c, t, d, source) for c, t, d in texts.TEXT_FIELDS]
    fields.append(
        _struct_field(
            "texts",
            "license",
            "The license of the text: its id, page, terms, expiry, RSL and ODRL documents.",
            texts.LICENSE_SUBFIELDS,
            source,
        )
    )
    fields.append(
        _struct_field(
            "texts",
            "provenance",
            "Where the text comes from: creator, rights holder, work page, checksums.",
            texts.PROVENANCE_SUBFIELDS,
            source,
        )
    )
    return {
        "@type": "cr:RecordSet",
        "@id": "texts",
        "name": "texts",
        "description": f"One record per licensed text ({count}), with its full text.",
        "key": {"@id": "texts/key"},
        "field": fields,
    }


def _generated_by(kinds: dict[str, int]) -> str:
    if set(kinds) <= {"image"}:
        return (
            "Assent package build: originals copied with the license embedded in XMP; pixels "
            "untouched."
        )
    done = []
    if kinds.get("image"):
        done.append("images copied with the license embedded in XMP, pixels untouched")
    if kinds.get("audio"):
        done.append(
            "recordings copied with the license in their tags (ID3 or Vorbis comments), audio "
            "frames untouched"
        )
    if kinds.get("text"):
        done.append("texts read from the uploaded files into Parquet rows with their license")
    return f"Assent package build: {'; '.join(done)}."


def croissant(
    *,
    name: str,
    description: str,
    license_url: str,
    site_url: str,
    team: str,
    created: str,
    version: int,
    shards: list[dict],  # {"name", "sha256", "size"}
    index: dict,  # {"name", "sha256", "size"}
    item_count: int,
    kinds: dict[str, int] | None = None,  # items per kind; None: images only
    text_files: list[dict] | None = None,  # {"name", "sha256", "size"}
) -> dict:
    """Croissant 1.1 for a package: the shards, the text Parquet files and the index as files;
    the images and the recordings inside the shards as file sets, and the text files as one;
    the index as the record set of every item (any kind) with per-record license and
    provenance fields, and the texts as a record set of their own; the RAI facts we know
    about how the data was collected."""
    kinds = {"image": item_count} if kinds is None else kinds
    text_files = text_files or []
    distribution = [
        {
            "@type": "cr:FileObject",
            "@id": shard["name"],
            "name": shard["name"],
            "contentUrl": shard["name"],
            "contentSize": f"{shard['size']} B",
            "encodingFormat": "application/x-tar",
            "sha256": shard["sha256"],
        }
        for shard in shards
    ]
    if shards and (kinds.get("image") or not kinds):
        distribution.append(
            {
                "@type": "cr:FileSet",
                "@id": "images",
                "name": "images",
                "description": "The license-marked images inside the WebDataset shards.",
                "containedIn": [{"@id": shard["name"]} for shard in shards],
                "encodingFormat": "image/*",
                "includes": ["*.jpg", "*.png", "*.webp"],
            }
        )
    if shards and kinds.get("audio"):
        distribution.append(
            {
                "@type": "cr:FileSet",
                "@id": "audio",
                "name": "audio",
                "description": (
                    "The recordings inside the WebDataset shards, each in its original format "
                    "with the license in its tags; each sample's `.json` has its duration, "
                    "sample rate and channels."
                ),
                "containedIn": [{"@id": shard["name"]} for shard in shards],
                "encodingFormat": "audio/*",
                "includes": AUDIO_INCLUDES,
            }
        )
    for text_file in text_files:
        distribution.append(
            {
                "@type": "cr:FileObject",
                "@id": text_file["name"],
                "name": text_file["name"],
                "contentUrl": text_file["name"],
                "contentSize": f"{text_file['size']} B",
                "encodingFormat": "application/x-parquet",
                "sha256": text_file["sha256"],
            }
        )
    if text_files:
        distribution.append(
            {
                "@type": "cr:FileSet",
                "@id": TEXT_FILE_SET,
                "name": TEXT_FILE_SET,
                "description": "The text Parquet files: one row per licensed text.",
                "encodingFormat": "application/x-parquet",
                "includes": [f"{texts.TEXT_FOLDER}/*.parquet"],
            }
        )
    distribution.append(
        {
            "@type": "cr:FileObject",
            "@id": index["name"],
            "name": index["name"],
            "contentUrl": index["name"],
            "contentSize": f"{index['size']} B",
            "encodingFormat": "application/x-parquet",
            "sha256": index["sha256"],
        }
    )
    index_source = {"fileObject": {"@id": index["name"]}}
    fields = [_field("items", c, t, d, index_source) for c, t, d in INDEX_FIELDS]
    record_sets = [
        {
            "@type": "cr:RecordSet",
            "@id": "items",
            "name": "items",
            "description": f"One record per licensed item ({item_count}).",
            "key": {"@id": "items/key"},
            "field": fields,
        }
    ]
    if text_files:
        record_sets.append(_text_record_set(kinds.get("text", 0)))
    return {
        "@context": _context(),
        "@type": "sc:Dataset",
        "conformsTo": CROISSANT_1_1,
        "name": name,
        "description": description,
        "url": license_url,
        "license": license_url,
        "version": f"{version}.0.0",
        "datePublished": created,
        "citeAs": f"{name}. Licensed to {team} through Assent. {license_url}",
        "creator": {"@type": "sc:Organization", "name": "Assent", "url": site_url},
        "isLiveDataset": False,
        "prov:wasGeneratedBy": {
            "@type": "prov:Activity",
            "prov:label": _generated_by(kinds),
        },
        "rai:dataCollection": (
            "Every work was uploaded by its creator, who declared the rights holder and any AI "
            "involvement, and explicitly opted the work in to the terms of this license "
            "(a consent record per work). Nothing was scraped."
        ),
        "rai:dataCollectionType": "Direct collection from the creators (opt-in, per work)",
        "rai:personalSensitiveInformation": (
            "Location data (EXIF GPS) is removed from delivered files."
        ),
        "rai:dataUseCases": "The uses each item's license permits (see the uses field).",
        "distribution": distribution,
        "recordSet": record_sets,
    }


def manifest(*, package_id: str, license_id: str, files: list[dict], item_count: int) -> dict:
    return {
        "package": package_id,
        "license": license_id,
        "items": item_count,
        "files": sorted(files, key=lambda f: f["name"]),
    }


def to_json_bytes(document: dict, *, indent: int | None = 2) -> bytes:
    """JSON as UTF-8; `indent=None` for large documents: compact, by the C encoder."""
    separators = None if indent else (",", ":")
    return json.dumps(
        document, indent=indent, ensure_ascii=False, sort_keys=False, separators=separators
    ).encode()
