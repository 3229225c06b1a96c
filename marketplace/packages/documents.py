"""The files beside the shards: the Parquet index (one row per item), Croissant 1.1 JSON-LD,
the manifest of every file with its checksum, and the license summary in words. Each is
written from rows in the database in batches, so memory stays flat however large the order."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable

import pyarrow as pa
import pyarrow.parquet as pq

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
        ("width", pa.int32()),
        ("height", pa.int32()),
        ("original_sha256", pa.string()),
        ("delivered_sha256", pa.string()),
        ("creator", pa.string()),
        ("rights_holder", pa.string()),
        ("license_id", pa.string()),
        ("license_url", pa.string()),
        ("uses", pa.string()),
        ("commercial", pa.bool_()),
        ("term_months", pa.int32()),
        ("on_expiry", pa.string()),
        ("attribution_required", pa.bool_()),
        ("attribution", pa.string()),
        ("expires_at", pa.string()),
    ]
)

# (column, Croissant data type, description) for the record set over the index.
INDEX_FIELDS = [
    ("key", "sc:Text", "The sample's key in its WebDataset shard."),
    ("shard", "sc:Text", "The shard file holding the sample."),
    ("member", "sc:Text", "The image's member name inside the shard."),
    ("work_id", "sc:Integer", "Assent's id of the work."),
    ("title", "sc:Text", "The work's title."),
    ("media_type", "sc:Text", "The image's media type."),
    ("width", "sc:Integer", "Width in pixels."),
    ("height", "sc:Integer", "Height in pixels."),
    ("original_sha256", "sc:Text", "Provenance: SHA-256 of the file the creator uploaded."),
    ("delivered_sha256", "sc:Text", "SHA-256 of the delivered, license-marked file."),
    ("creator", "sc:Text", "Provenance: the creator who uploaded and licensed the work."),
    ("rights_holder", "sc:Text", "Provenance: the declared copyright holder."),
    ("license_id", "sc:Text", "The license this item is used under."),
    ("license_url", "sc:URL", "Where the license and its terms are published."),
    ("uses", "sc:Text", "The uses the license permits, comma-separated."),
    ("commercial", "sc:Boolean", "Whether commercial use is permitted."),
    ("term_months", "sc:Integer", "How long a model may use the item, in months."),
    ("on_expiry", "sc:Text", "At expiry: destroy-models or stop-training."),
    ("attribution_required", "sc:Boolean", "Whether attribution is required."),
    ("attribution", "sc:Text", "The attribution text to use."),
    ("expires_at", "sc:Date", "When this item's license ends (ISO 8601)."),
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
) -> dict:
    """Croissant 1.1 for a package: the shards and the index as files, the images inside the
    shards as a file set, and the index as the record set with per-record license and
    provenance fields; the RAI facts we know about how the data was collected."""
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
    fields = [
        {
            "@type": "cr:Field",
            "@id": f"items/{column}",
            "name": column,
            "description": text,
            "dataType": data_type,
            "source": {"fileObject": {"@id": index["name"]}, "extract": {"column": column}},
        }
        for column, data_type, text in INDEX_FIELDS
    ]
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
            "prov:label": "Assent package build: originals copied with the license embedded "
            "in XMP; pixels untouched.",
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
        "recordSet": [
            {
                "@type": "cr:RecordSet",
                "@id": "items",
                "name": "items",
                "description": f"One record per licensed item ({item_count}).",
                "key": {"@id": "items/key"},
                "field": fields,
            }
        ],
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
