"""C2PA Content Credentials on uploaded images, summarised as small, plain JSON.

Owns ``read_c2pa``: given the uploaded bytes, it says whether the file carries a C2PA
manifest and, if so, what the active manifest claims (generator, actions, digital source
types, training-and-data-mining wishes, signer) and whether c2pa-python found it intact.

The input is hostile, so:

* a cheap structural scan (JPEG segments before the first scan, PNG chunks, WebP RIFF chunks)
  decides "no manifest" without touching the native library, which is the common case and
  keeps bulk ingestion fast;
* the library runs with a private Context that never goes to the network: c2pa-rs fetches
  remote manifests (``dcterms:provenance`` in XMP) by default, which would let an upload
  make this server request any URL;
* library errors become ``{"error": ...}``, never an exception, and every string and list
  is capped.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import struct
import threading
from typing import Any

from uploads.metadata.limits import MAX_ITEMS, clip

logger = logging.getLogger(__name__)

MAX_ERROR = 200

# The library's network switches, all off. `remote_manifest_fetch` is the one that matters (it
# defaults to on); `ocsp_fetch` already defaults to off, and an empty `allowed_network_hosts`
# is belt and braces for versions that honour it (unknown keys are ignored, not rejected).
_READ_SETTINGS = {
    "version": 1,
    "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
    "core": {"allowed_network_hosts": []},
}

JPEG, PNG, WEBP = "image/jpeg", "image/png", "image/webp"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Byte strings whose presence anywhere means a manifest, embedded (JUMBF box type and C2PA
# label) or remote (XMP dcterms:provenance), might be there; used when the container is too
# broken to walk, so a mangled file is only handed to the library if it could matter.
_MANIFEST_HINTS = (b"jumb", b"c2pa", b"provenance")
_LABEL_SUFFIX = re.compile(r"__\d+$")  # repeated assertions are labelled "c2pa.actions__1"
_TRAINING_MINING_LABELS = ("cawg.training-mining", "c2pa.training-mining")


class _Unwalkable(Exception):
    """The container structure is broken; fall back to a byte search."""


# ---------------------------------------------------------------------------------------------
# Cheap "is there anything to read?" scan
# ---------------------------------------------------------------------------------------------


def _sniff(data: bytes) -> str | None:
    # c2pa-rs detects the container from the bytes and ignores a contradicting format, so we
    # follow the bytes too rather than the declared type.
    if data[:3] == b"\xff\xd8\xff":
        return JPEG
    if data[:8] == _PNG_SIGNATURE:
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    return None


def _jpeg_may_have_manifest(data: bytes) -> bool:
    # C2PA puts its JUMBF boxes in APP11 segments; a remote manifest is referenced from XMP in
    # APP1. c2pa-rs only looks at segments before the first SOS (checked: an APP11 moved after
    # the scan is not found), so walking the header segments, which is microseconds even for
    # a 12-megapixel file, sees everything the library would.
    pos, end = 2, len(data)
    while pos < end:
        if data[pos] != 0xFF:
            raise _Unwalkable
        while pos < end and data[pos] == 0xFF:  # markers may be preceded by fill bytes
            pos += 1
        if pos >= end:
            raise _Unwalkable
        marker = data[pos]
        pos += 1
        if marker in (0xDA, 0xD9):  # start of scan / end of image
            return False
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:  # TEM, SOI, RSTn: no length
            continue
        if pos + 2 > end:
            raise _Unwalkable
        (length,) = struct.unpack_from(">H", data, pos)
        if length < 2 or pos + length > end:
            raise _Unwalkable
        if marker == 0xEB:
            return True
        if marker == 0xE1 and b"provenance" in data[pos + 2 : pos + length]:
            return True
        pos += length
    raise _Unwalkable


def _png_may_have_manifest(data: bytes) -> bool:
    # C2PA uses a "caBX" chunk; XMP (and so a remote-manifest reference) lives in iTXt.
    # Chunk lengths let us hop over IDAT without reading pixel data.
    pos, end = 8, len(data)
    while pos + 8 <= end:
        length, ctype = struct.unpack_from(">I4s", data, pos)
        body = pos + 8
        if body + length + 4 > end:
            raise _Unwalkable
        if ctype == b"caBX":
            return True
        if ctype in (b"iTXt", b"tEXt", b"zTXt"):
            chunk = data[body : body + length]
            if b"provenance" in chunk:
                return True
            # A compressed iTXt could hide the reference; let the library look.
            if ctype == b"iTXt" and chunk.startswith(b"XML:com.adobe.xmp\x00\x01"):
                return True
        if ctype == b"IEND":
            return False
        pos = body + length + 4  # + CRC
    raise _Unwalkable


def _webp_may_have_manifest(data: bytes) -> bool:
    # RIFF chunks: C2PA in "C2PA", XMP in "XMP ".
    pos, end = 12, len(data)
    while pos + 8 <= end:
        ctype, length = struct.unpack_from("<4sI", data, pos)
        body = pos + 8
        if body + length > end:
            raise _Unwalkable
        if ctype == b"C2PA":
            return True
        if ctype == b"XMP " and b"provenance" in data[body : body + length]:
            return True
        pos = body + length + (length & 1)  # chunks are padded to even length
    if pos == end:
        return False
    raise _Unwalkable


_WALKERS = {
    JPEG: _jpeg_may_have_manifest,
    PNG: _png_may_have_manifest,
    WEBP: _webp_may_have_manifest,
}


def may_have_manifest(data: bytes, container: str) -> bool:
    """True if the library could find an embedded or remote manifest in ``data``."""
    try:
        return _WALKERS[container](data)
    except (_Unwalkable, struct.error, IndexError):
        return any(hint in data for hint in _MANIFEST_HINTS)


# ---------------------------------------------------------------------------------------------
# Library access
# ---------------------------------------------------------------------------------------------

_context_lock = threading.Lock()
_context: Any = None
_context_pid: int | None = None


def _reader_context():
    # One Context per process: a Context made before fork() is unusable in the child (the
    # library marks it closed there), and gunicorn/celery workers fork after import.
    global _context, _context_pid
    pid = os.getpid()
    if _context is not None and _context_pid == pid:
        return _context
    with _context_lock:
        if _context is None or _context_pid != pid:
            import c2pa  # imported lazily: ~120 ms and a native library most requests never need

            _context = c2pa.Context.from_dict(_READ_SETTINGS)
            _context_pid = pid
        return _context


def _error(message: str, **extra: Any) -> dict:
    first_line = (message or "unreadable manifest").strip().splitlines()[0]
    return {"error": clip(first_line, MAX_ERROR), **{k: clip(v) for k, v in extra.items()}}


_REMOTE = re.compile(r"remote manifests? from url (\S+)", re.IGNORECASE)


def read_c2pa(data: bytes, mime_type: str) -> dict | None:
    """Summarise the active C2PA manifest in ``data``; never raises.

    The container (JPEG, PNG or WebP) is sniffed from the bytes, as the library itself does;
    ``mime_type`` is used only when the bytes are not recognisable. Returns ``None`` when there
    is no manifest or the container is none of those three. Returns
    ``{"error": "..."}`` when a manifest seems present but cannot be read, including a
    remote-only manifest, which is never fetched (``remote_url`` then names it). Otherwise
    returns a dict with ``claim_generator``, ``title``, ``validation_state``,
    ``validation_errors``, ``actions``, ``digital_source_types``, ``training_mining`` and
    ``signer``; see ``_summarise``.
    """
    try:
        if not isinstance(data, bytes | bytearray | memoryview):
            return None
        data = bytes(data)
        container = _sniff(data) or (mime_type if mime_type in _WALKERS else None)
        if container is None or not may_have_manifest(data, container):
            return None
        return _read_with_library(data, container)
    except Exception as exc:  # last line of defence: hostile input must not fail an upload
        logger.info("c2pa read failed unexpectedly: %s", exc, exc_info=True)
        return _error(f"{type(exc).__name__}: {exc}")


def _read_with_library(data: bytes, container: str) -> dict | None:
    import c2pa

    try:
        reader = c2pa.Reader.try_create(container, io.BytesIO(data), context=_reader_context())
        if reader is None:  # the library looked and found no manifest
            return None
        with reader:
            store = json.loads(reader.json())
    except c2pa.C2paError as exc:
        message = str(exc)
        remote = _REMOTE.search(message)
        if remote:
            return _error("remote manifest not fetched", remote_url=remote.group(1))
        return _error(message)
    if not isinstance(store, dict):
        return _error("manifest store is not an object")
    return _summarise(store)


# ---------------------------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------------------------


def _summarise(store: dict) -> dict:
    manifests = store.get("manifests")
    manifest = manifests.get(store.get("active_manifest")) if isinstance(manifests, dict) else None
    if not isinstance(manifest, dict):
        manifest = {}
    assertions = [a for a in _as_list(manifest.get("assertions")) if isinstance(a, dict)]

    actions: list[str] = []
    source_types: list[str] = []
    training_mining: dict[str, str] = {}
    for assertion in assertions:
        label = _LABEL_SUFFIX.sub("", str(assertion.get("label") or ""))
        data = assertion.get("data")
        if label in ("c2pa.actions", "c2pa.actions.v2") and isinstance(data, dict):
            for action in _as_list(data.get("actions")):
                if isinstance(action, dict) and isinstance(action.get("action"), str):
                    _add(actions, action["action"])
        if label in _TRAINING_MINING_LABELS and isinstance(data, dict):
            _merge_training_mining(training_mining, data.get("entries"), label)
        # Source types sit on actions in practice but may also appear in IPTC/XMP metadata
        # assertions ("Iptc4xmpExt:DigitalSourceType"), so look through every assertion.
        _collect_source_types(data, source_types)

    return {
        "claim_generator": _claim_generator(manifest),
        "title": clip(manifest.get("title")) if isinstance(manifest.get("title"), str) else None,
        "validation_state": clip(store.get("validation_state"), 50)
        if isinstance(store.get("validation_state"), str)
        else None,
        "validation_errors": _validation_errors(store),
        "actions": actions,
        "digital_source_types": source_types,
        "training_mining": training_mining,
        "signer": _signer(manifest.get("signature_info")),
    }


def _as_list(value: Any) -> list:
    return value[: MAX_ITEMS * 20] if isinstance(value, list) else []


def _add(items: list[str], value: str) -> None:
    value = clip(value)
    if value and value not in items and len(items) < MAX_ITEMS:
        items.append(value)


def _merge_training_mining(found: dict[str, str], entries: Any, label: str) -> None:
    if not isinstance(entries, dict):
        return
    for name, entry in entries.items():
        use = entry.get("use") if isinstance(entry, dict) else None
        key = clip(str(name), 100)
        if not isinstance(use, str) or not key:
            continue
        # cawg.* is the current label; a legacy c2pa.* duplicate must not override it.
        if key in found and label != "cawg.training-mining":
            continue
        if key in found or len(found) < MAX_ITEMS:
            found[key] = clip(use, 100)


def _claim_generator(manifest: dict) -> str | None:
    # C2PA 1.x writes a free-text claim_generator; 2.x a claim_generator_info list whose first
    # entry names the product (the library appends its own version key, which we skip).
    generator = manifest.get("claim_generator")
    if isinstance(generator, str) and generator.strip():
        return clip(generator)
    info = manifest.get("claim_generator_info")
    if isinstance(info, dict):
        info = [info]
    for entry in _as_list(info):
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            version = entry.get("version")
            text = entry["name"] + (f"/{version}" if isinstance(version, str | int) else "")
            return clip(text)
    return None


def _validation_errors(store: dict) -> list[str]:
    # `validation_status` lists the failure codes for the active manifest; ingredient failures
    # show up in validation_results.ingredientDeltas, which we fold in as well.
    codes: list[str] = []
    for status in _as_list(store.get("validation_status")):
        if isinstance(status, dict) and isinstance(status.get("code"), str):
            _add(codes, status["code"])
    results = store.get("validation_results")
    deltas = results.get("ingredientDeltas") if isinstance(results, dict) else None
    for delta in _as_list(deltas):
        failures = (delta.get("validationDeltas") or {}) if isinstance(delta, dict) else {}
        for status in _as_list(failures.get("failure") if isinstance(failures, dict) else None):
            if isinstance(status, dict) and isinstance(status.get("code"), str):
                _add(codes, status["code"])
    return codes


def _signer(info: Any) -> dict | None:
    if not isinstance(info, dict):
        return None
    signer = {
        key: clip(info[key])
        for key in ("issuer", "common_name", "time")
        if isinstance(info.get(key), str) and info[key].strip()
    }
    return signer or None


def _collect_source_types(value: Any, found: list[str], depth: int = 0, budget=None) -> None:
    # Bounded walk: hostile manifests can nest deeply or be huge.
    if budget is None:
        budget = [2000]
    budget[0] -= 1
    if depth > 12 or budget[0] < 0 or len(found) >= MAX_ITEMS:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and key.lower().endswith("digitalsourcetype"):
                if isinstance(item, dict):
                    item = item.get("@id") or item.get("url")
                if isinstance(item, str) and item.strip():
                    _add(found, item.strip())
                    continue
            _collect_source_types(item, found, depth + 1, budget)
    elif isinstance(value, list):
        for item in value[: MAX_ITEMS * 20]:
            _collect_source_types(item, found, depth + 1, budget)
