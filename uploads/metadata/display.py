"""The metadata the readers stored, as a creator reads it on their work's page: named fields,
dates written out ("3 October 2026, 17:22", not EXIF's `2026:10:03 17:22:10`), JSON documents
(a generator's prompt or workflow) as `key: value` lines, lists as lists, codes as words."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from common.dates import moment_text

SECTIONS = (
    ("exif", "EXIF"),
    ("xmp", "XMP"),
    ("iptc", "IPTC"),
    ("png_text", "PNG text"),
    ("tags", "Audio tags"),
    ("c2pa", "Content Credentials (C2PA)"),
    ("dublin_core", "Book metadata (EPUB)"),
    ("front_matter", "Front matter"),
    ("errors", "Could not be read"),
)

# What each key the readers record means; a key not listed (a PNG chunk's own name) is shown
# as it is.
LABELS = {
    "artist": "Artist",
    "copyright": "Copyright",
    "software": "Software",
    "datetime": "Date",
    "datetime_original": "Date taken",
    "camera_make": "Camera make",
    "camera_model": "Camera model",
    "lens_model": "Lens",
    "description": "Description",
    "orientation": "Orientation",
    "has_gps": "GPS location",
    "creator": "Creator",
    "rights": "Rights",
    "title": "Title",
    "rights_marked": "Rights marked",
    "usage_terms": "Usage terms",
    "web_statement": "Rights statement",
    "data_mining": "Data mining",
    "other_constraints": "Other constraints",
    "digital_source_type": "Digital source type",
    "credit": "Credit",
    "creator_tool": "Creator tool",
    "other_keys": "Other fields",
    "byline": "By-line",
    "object_name": "Object name",
    "keywords": "Keywords",
    "claim_generator": "Made with",
    "validation_state": "Validation",
    "validation_errors": "Validation problems",
    "actions": "Actions",
    "digital_source_types": "Digital source types",
    "training_mining": "Training and mining",
    "signer": "Signed by",
    "error": "Error",
    "remote_url": "Remote manifest",
    # PNG text chunks that image generators write (uploads/metadata/png_text.py).
    "parameters": "Generation settings",
    "prompt": "Prompt (ComfyUI)",
    "workflow": "Workflow (ComfyUI)",
    # A C2PA signature's parts.
    "issuer": "Issuer",
    "common_name": "Name",
    "time": "Signed at",
    # Audio tags (uploads/audio/metadata.py); title, artist, copyright and data_mining above.
    "album_artist": "Album artist",
    "album": "Album",
    "composer": "Composer",
    "isrc": "ISRC",
    "license": "License",
    "publisher": "Label or publisher",
    "owner": "Owner",
    "date": "Date",
    "genre": "Genre",
    "encoder": "Encoder",
    "encoded_by": "Encoded by",
    "comment": "Comment",
    "terms_of_use": "Terms of use",
    "custom": "Other tags",
    # An EPUB's Dublin Core fields and a Markdown file's front matter (uploads/text/); title,
    # creator, rights, publisher and date above.
    "isbn": "ISBN",
    "identifier": "Identifier",
    "language": "Language",
    "contributors": "Contributors",
    "generator": "Made with",
    "tdm_reservation": "Text and data mining reserved",
    "tdm_policy": "Text and data mining policy",
    "author": "Author",
    "authors": "Authors",
    "front_matter": "Front matter",
    "generator_hints": "Generator hints",
    "text_metadata": "Text metadata",
    # The readers (in "Could not be read").
    "exif": "EXIF",
    "xmp_iptc": "XMP and IPTC",
    "c2pa": "Content Credentials",
    "id3": "ID3 tags",
    "vorbis": "Vorbis comments",
    "riff_info": "RIFF INFO",
    "tags": "Audio tags",
}
EXIF_DATES = {"datetime", "datetime_original"}
ISO_DATES = {"time"}
ORIENTATIONS = {
    1: "Upright",
    2: "Mirrored",
    3: "Upside down",
    4: "Upside down, mirrored",
    5: "Turned a quarter left, mirrored",
    6: "Turned a quarter right",
    7: "Turned a quarter right, mirrored",
    8: "Turned a quarter left",
}
GPS_NOTE = "never shown, and never in previews"
MAX_LINES = 30  # of one JSON document; the rest is counted
_EXIF_DATE = re.compile(r"^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?")
# A JSON document cut short (png_text keeps 4,000 characters) does not parse; its "key": value
# pairs are still worth showing.
_JSON_PAIR = re.compile(
    r'"((?:[^"\\]|\\.){1,80})"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null)'
)


@dataclass(frozen=True)
class MetaField:
    key: str
    label: str
    text: str = ""  # a single value
    lines: list[str] = field(default_factory=list)  # or several, one a line
    note: str = ""


@dataclass(frozen=True)
class MetaSection:
    key: str
    title: str
    fields: list[MetaField]


def metadata_sections(metadata: dict | None) -> list[MetaSection]:
    """The sections of a work's stored metadata that say something, in reading order."""
    metadata = metadata or {}
    sections = []
    for key, title in SECTIONS:
        values = metadata.get(key)
        if not isinstance(values, dict):
            continue
        fields = [
            readable_field(name, value)
            for name, value in values.items()
            if value or value is False or value == 0
        ]
        if fields:
            sections.append(MetaSection(key=key, title=title, fields=fields))
    return sections


def label(key: str) -> str:
    return LABELS.get(key, key)


def readable_field(key: str, value) -> MetaField:
    name = label(key)
    if isinstance(value, bool):
        note = GPS_NOTE if key == "has_gps" and value else ""
        return MetaField(key, name, text="Yes" if value else "No", note=note)
    if key == "orientation" and isinstance(value, int):
        return MetaField(key, name, text=ORIENTATIONS.get(value, f"Code {value}"))
    if isinstance(value, dict):
        return MetaField(key, name, lines=_pairs(value, words=key == "training_mining"))
    if isinstance(value, list):
        return _list_field(key, name, value)
    text = str(value)
    if key in EXIF_DATES:
        return MetaField(key, name, text=exif_date_text(text))
    if key in ISO_DATES:
        return MetaField(key, name, text=iso_date_text(text))
    if key == "digital_source_type":
        return MetaField(key, name, text=source_type_name(text))
    if key == "parameters":
        return MetaField(key, name, lines=generation_settings(text))
    lines = json_lines(text)
    if lines is not None:
        return MetaField(key, name, lines=lines)
    return MetaField(key, name, text=text)


def _list_field(key: str, name: str, values: list) -> MetaField:
    if key == "digital_source_types":
        values = [source_type_name(str(v)) for v in values]
    elif key == "actions":  # c2pa.created, c2pa.color_adjustments
        values = [code_words(str(v)) for v in values]
    if all(isinstance(v, str | int | float) for v in values):
        long = any(len(str(v)) > 40 for v in values) or len(values) > 8
        items = [str(v) for v in values]
        return MetaField(key, name, lines=items) if long else MetaField(key, name, ", ".join(items))
    return MetaField(key, name, lines=_flatten(values))


def _pairs(values: dict, *, words: bool = False) -> list[str]:
    """`key: value` lines; `words` turns codes into words (cawg.ai_training: notAllowed ->
    AI training: not allowed)."""
    lines = []
    for key, value in values.items():
        if words:
            lines.append(f"{_sentence(code_words(str(key)))}: {code_words(str(value))}")
        elif key in ISO_DATES and isinstance(value, str):
            lines.append(f"{label(key)}: {iso_date_text(value)}")
        else:
            lines += _flatten(value, prefix=label(str(key)))
    return lines


def exif_date_text(raw: str) -> str:
    """`2026:10:03 17:22:10` -> 3 October 2026, 17:22 (EXIF dates carry no time zone: shown as
    the camera wrote them). Anything else is shown as it is."""
    match = _EXIF_DATE.match(raw.strip())
    if not match:
        return raw
    year, month, day, hour, minute = (int(part) for part in match.groups()[:5])
    try:
        return moment_text(datetime(year, month, day, hour, minute))
    except ValueError:  # 0000:00:00 00:00:00, which cameras write when they have no clock
        return raw


def iso_date_text(raw: str) -> str:
    """An ISO 8601 time (a C2PA signature's) in local time, written out."""
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        return raw
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment_text(moment)


def code_words(code: str) -> str:
    """`notAllowed` -> not allowed; `cawg.ai_generative_training` -> AI generative training."""
    code = re.sub(r"^(cawg|c2pa)\.", "", code)
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", code).replace("_", " ").replace("-", " ")
    return " ".join("AI" if w.lower() == "ai" else w.lower() for w in words.split())


def source_type_name(value: str) -> str:
    """An IPTC digital source type (a URL ending in `trainedAlgorithmicMedia`) as words:
    Trained algorithmic media."""
    if "digitalsourcetype/" not in value.lower():
        return value
    return _sentence(code_words(value.rstrip("/").rsplit("/", 1)[-1]))


def _sentence(words: str) -> str:
    return words[:1].upper() + words[1:]


def json_lines(text: str) -> list[str] | None:
    """A JSON object or array as `key: value` lines; None if the text is not JSON."""
    stripped = text.strip()
    if not stripped.startswith(("{", "[")):
        return None
    try:
        document = json.loads(stripped)
    except ValueError:
        pairs = _JSON_PAIR.findall(stripped)
        if not pairs:
            return None
        lines = [f"{_unquote(key)}: {_json_scalar(value)}" for key, value in pairs]
        return [*_capped(lines), "(cut short: only its start was kept)"]
    return _capped(_comfyui_lines(document) or _flatten(document))


def _comfyui_lines(document) -> list[str]:
    """ComfyUI's documents read better by node: a `prompt` is {id: {class_type, inputs}}, one
    line per node with its own settings (links to other nodes left out); a `workflow` has a
    list of `nodes`, named by type."""
    if not isinstance(document, dict):
        return []
    nodes = document.get("nodes")
    if isinstance(nodes, list):
        types = [str(n["type"]) for n in nodes if isinstance(n, dict) and n.get("type")]
        return [f"{len(types)} nodes: {', '.join(types)}"] if types else []
    lines = []
    for node in document.values():
        if not isinstance(node, dict) or "class_type" not in node:
            return []
        inputs = node.get("inputs") if isinstance(node.get("inputs"), dict) else {}
        settings = [
            f"{k} {_scalar(v)}" for k, v in inputs.items() if not isinstance(v, list | dict)
        ]
        lines.append(
            f"{node['class_type']}: {', '.join(settings)}" if settings else str(node["class_type"])
        )
    return lines


def _json_scalar(token: str) -> str:
    return _unquote(token[1:-1]) if token.startswith('"') else _scalar(json.loads(token))


def _unquote(text: str) -> str:
    try:
        return json.loads(f'"{text}"')
    except ValueError:
        return text


def generation_settings(text: str) -> list[str]:
    """AUTOMATIC1111's `parameters`: the prompt, then `Negative prompt: …`, then one line of
    `Steps: 20, Sampler: Euler a, …`, which is split into a line per setting."""
    lines = []
    for line in text.splitlines():
        if line.startswith("Steps:"):
            lines += [part.strip() for part in line.split(", ") if part.strip()]
        elif line.strip():
            lines.append(line)
    return lines


def _flatten(value, prefix: str = "", depth: int = 0) -> list[str]:
    """Nested JSON as one `a › b: value` line per scalar; a list of scalars on one line."""
    if isinstance(value, dict):
        lines = []
        for key, inner in value.items():
            path = f"{prefix} › {key}" if prefix else str(key)
            lines += _flatten(inner, path, depth + 1) if depth < 6 else [f"{path}: …"]
        return lines
    if isinstance(value, list):
        if all(not isinstance(v, dict | list) for v in value):
            text = ", ".join(_scalar(v) for v in value)
            return [f"{prefix}: {text}" if prefix else text]
        lines = []
        for index, inner in enumerate(value, start=1):
            lines += _flatten(inner, f"{prefix} {index}".strip(), depth + 1)
        return lines
    return [f"{prefix}: {_scalar(value)}" if prefix else _scalar(value)]


def _scalar(value) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if value is None:
        return "—"
    return str(value)


def _capped(lines: list[str]) -> list[str]:
    if len(lines) <= MAX_LINES:
        return lines
    return [*lines[:MAX_LINES], f"… and {len(lines) - MAX_LINES} more"]
