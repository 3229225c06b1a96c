"""Stripe's wire format: bracketed form parameters in, JSON objects and error shapes out."""

from __future__ import annotations

import copy
import re
from urllib.parse import parse_qsl

_KEY_PART = re.compile(r"\[([^\]]*)\]")


class StripeError(Exception):
    """An error answered the way Stripe answers it: `{"error": {...}}` with its status."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        extra: dict | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"message": message, "type": type}
        if code:
            self.body["code"] = code
            self.body["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
        if param:
            self.body["param"] = param
        if decline_code:
            self.body["decline_code"] = decline_code
        self.body.update(extra or {})

    def as_json(self) -> dict:
        return {"error": self.body}


def sublist(items: list[dict], url: str, *, limit: int = 10) -> dict:
    """A list embedded in its parent (`charge.refunds`, `transfer.reversals`): the first
    `limit` of `items` (already newest first); `url` pages through the rest."""
    return {
        "object": "list",
        "data": [
            {k: copy.deepcopy(v) for k, v in item.items() if not k.startswith("_")}
            for item in items[:limit]
        ],
        "has_more": len(items) > limit,
        "url": url,
    }


def not_found(kind: str, object_id: str, param: str = "id") -> StripeError:
    return StripeError(
        f"No such {kind}: '{object_id}'", status=404, code="resource_missing", param=param
    )


def missing(param: str) -> StripeError:
    return StripeError(f"Missing required param: {param}.", code="parameter_missing", param=param)


def _split_key(key: str) -> list[str]:
    head = key.split("[", 1)[0]
    return [head, *_KEY_PART.findall(key[len(head) :])]


def _listify(node):
    """Dicts whose keys are all indexes ("0", "1", ...) were arrays on the wire."""
    if isinstance(node, dict):
        node = {k: _listify(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
        return node
    if isinstance(node, list):
        return [_listify(v) for v in node]
    return node


def parse_params(body: str) -> dict:
    """`a[b][0][c]=1&expand[]=x` → {"a": {"b": [{"c": "1"}]}, "expand": ["x"]}."""
    root: dict = {}
    for raw_key, value in parse_qsl(body, keep_blank_values=True):
        parts = _split_key(raw_key)
        node = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if part == "":  # `key[]` appends
                raise StripeError(f"Invalid array syntax in {raw_key}", param=raw_key)
            nxt = parts[i + 1] if not last else None
            if last:
                node[part] = value
            elif nxt == "":
                node.setdefault(part, [])
                if not isinstance(node[part], list):
                    raise StripeError(f"Invalid parameter {raw_key}", param=raw_key)
                node[part].append(value)
                break
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise StripeError(f"Invalid parameter {raw_key}", param=raw_key)
                node = child
    return _listify(root)


def as_int(params: dict, name: str, *, required: bool = False, default=None) -> int | None:
    value = params.get(name)
    if value in (None, ""):
        if required:
            raise missing(name)
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise StripeError(f"Invalid integer: {value}", param=name) from None


def as_bool(params: dict, name: str, default: bool = False) -> bool:
    value = params.get(name)
    if value is None:
        return default
    if str(value).lower() in ("true", "1"):
        return True
    if str(value).lower() in ("false", "0", ""):
        return False
    raise StripeError(f"Invalid boolean: {value}", param=name)


def metadata_of(params: dict, current: dict | None = None) -> dict:
    """Stripe merges metadata on update; an empty string value deletes a key."""
    merged = dict(current or {})
    given = params.get("metadata")
    if given in (None, ""):
        return merged if given is None else {}
    if not isinstance(given, dict):
        raise StripeError("Invalid metadata: must be a hash", param="metadata")
    for key, value in given.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[str(key)] = str(value)
    return merged
