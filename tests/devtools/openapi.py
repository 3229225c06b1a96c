"""Stripe's published OpenAPI description (`shared/stripe-openapi/spec3.json`) as validators for
what the local Stripe server answers: each operation's response schema, each object's schema
by its `object` name, and the list of operations under the resources the project uses.

OpenAPI 3.0 schemas become JSON Schema (Draft 2020-12): `#/components/schemas/X` refs point at
`#/$defs/X`, `nullable: true` admits null, `x-` keywords are dropped (they say nothing a
validator checks). Expandable fields are already `anyOf: [string id, object]` in the spec;
`unexpanded_objects` checks the other half of Stripe's rule, that an id field holds an id
unless the request asked for it with `expand[]`."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from jsonschema import Draft202012Validator

REPO = Path(__file__).resolve().parents[2]
# Where spec3.json may be: an explicit folder, the shared/ folder beside the work tree (as laid
# for sessions and CI), or the workplace's own.
SPEC_DIRS = [
    os.environ.get("STRIPE_OPENAPI_DIR", ""),
    str(REPO.parent / "shared" / "stripe-openapi"),
    "/work/shared/stripe-openapi",
]
SUBSCHEMA_KEYS = {"items", "additionalProperties", "not"}
SUBSCHEMA_LIST_KEYS = {"anyOf", "oneOf", "allOf"}
METHODS = ("get", "post", "delete")


def spec_dir() -> Path | None:
    for candidate in SPEC_DIRS:
        if candidate and (Path(candidate) / "spec3.json").is_file():
            return Path(candidate)
    return None


def to_json_schema(node):
    """One OpenAPI 3.0 schema object as JSON Schema 2020-12."""
    if not isinstance(node, dict):
        return node
    converted: dict = {}
    for key, value in node.items():
        if key == "nullable" or key.startswith("x-"):
            continue
        if key == "$ref":
            converted[key] = value.replace("#/components/schemas/", "#/$defs/")
        elif key == "properties":
            converted[key] = {name: to_json_schema(sub) for name, sub in value.items()}
        elif key in SUBSCHEMA_KEYS:
            converted[key] = to_json_schema(value)
        elif key in SUBSCHEMA_LIST_KEYS:
            converted[key] = [to_json_schema(sub) for sub in value]
        else:
            converted[key] = value
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


@dataclass(frozen=True)
class Operation:
    method: str  # upper case
    template: str  # /v1/transfers/{transfer}
    pattern: re.Pattern
    response: dict | None  # the 200 answer's schema (OpenAPI), None when not JSON

    @property
    def name(self) -> str:
        return f"{self.method} {self.template}"

    @property
    def literal_segments(self) -> int:
        return sum(1 for part in self.template.split("/") if part and not part.startswith("{"))


class StripeSpec:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.document = json.loads((directory / "spec3.json").read_text())
        self.version = self.document["info"]["version"]
        self.schemas = self.document["components"]["schemas"]
        self.defs = {name: to_json_schema(schema) for name, schema in self.schemas.items()}
        self.operations = [
            Operation(
                method.upper(),
                template,
                re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"),
                (item[method]["responses"].get("200", {}).get("content", {}))
                .get("application/json", {})
                .get("schema"),
            )
            for template, item in self.document["paths"].items()
            for method in METHODS
            if method in item
        ]
        self._validators: dict[str, Draft202012Validator] = {}
        # Stripe's example objects of its newest release, by `object` name.
        latest = json.loads((directory / "fixtures3-latest.json").read_text())["resources"]
        # (`deleted_bank_account` also says `object: bank_account`: the example named like
        # the object wins.)
        self.latest_examples: dict[str, dict] = {}
        named_first = sorted(latest.items(), key=lambda item: item[1].get("object") != item[0])
        for _, example in named_first:
            kind = example.get("object")
            if isinstance(kind, str):
                self.latest_examples.setdefault(kind, example)

    # --- finding schemas ----------------------------------------------------------------

    def operation_for(self, method: str, path: str) -> Operation | None:
        """The spec's operation for a concrete request path (the most literal template wins:
        `/v1/accounts/{account}/login_links` over a template with more placeholders)."""
        found = [
            op for op in self.operations if op.method == method.upper() and op.pattern.match(path)
        ]
        return max(found, key=lambda op: op.literal_segments, default=None)

    @cached_property
    def schema_by_object(self) -> dict[str, str]:
        """`object` value → schema name ("checkout.session" → "checkout.session"); the
        schema named like the value wins over `deleted_*` ones that share it."""
        names: dict[str, str] = {}
        for name, schema in self.schemas.items():
            values = schema.get("properties", {}).get("object", {}).get("enum") or []
            for value in values:
                current = names.get(value)
                if current != value and (
                    current is None or value == name or current.startswith("deleted_")
                ):
                    names[value] = name
        return names

    def validator(self, schema: dict) -> Draft202012Validator:
        key = json.dumps(schema, sort_keys=True)
        if key not in self._validators:
            root = {**to_json_schema(schema), "$defs": self.defs}
            self._validators[key] = Draft202012Validator(root)
        return self._validators[key]

    def errors(self, schema: dict, body) -> list[str]:
        """Why `body` does not fit `schema` (an OpenAPI schema or a components ref), most
        precise reasons first; empty when it fits."""
        found = sorted(self.validator(schema).iter_errors(body), key=lambda e: e.path)
        return [_describe(error) for error in found]

    def ref(self, name: str) -> dict:
        return {"$ref": f"#/components/schemas/{name}"}

    # --- expansion ----------------------------------------------------------------------

    def expandable_ids(self, schema_name: str) -> list[str]:
        """The fields of an object that hold an id unless expanded: listed in
        `x-expandableFields` and `anyOf` a string and an object."""
        schema = self.schemas[schema_name]
        fields = []
        for name in schema.get("x-expandableFields", []):
            prop = schema.get("properties", {}).get(name, {})
            options = prop.get("anyOf", [])
            if any(o.get("type") == "string" for o in options) and any(
                "$ref" in o for o in options
            ):
                fields.append(name)
        return fields

    def unexpanded_objects(self, body, expand: list[str]) -> list[str]:
        """Expandable id fields that hold an object though not asked for with `expand[]`, or
        an id though asked for."""
        problems: list[str] = []
        self._check_expansion(body, [str(p).split(".") for p in expand], "", problems)
        return problems

    def _check_expansion(self, node, paths: list[list[str]], where: str, problems: list[str]):
        if not isinstance(node, dict):
            return
        if node.get("object") == "list" and isinstance(node.get("data"), list):
            inner = [p[1:] for p in paths if p and p[0] == "data"]
            for i, item in enumerate(node["data"]):
                self._check_expansion(item, inner, f"{where}data[{i}].", problems)
            return
        schema_name = self.schema_by_object.get(node.get("object", ""))
        if schema_name is None:
            return
        for field in self.expandable_ids(schema_name):
            value = node.get(field)
            wanted = [p[1:] for p in paths if p and p[0] == field]
            if value is None:
                continue
            if wanted and isinstance(value, str):
                problems.append(f"{where}{field}: asked to expand, still an id")
            elif not wanted and isinstance(value, dict):
                problems.append(f"{where}{field}: an object, though not asked to expand")
            elif isinstance(value, dict):
                self._check_expansion(value, [p for p in wanted if p], f"{where}{field}.", problems)

    # --- fields of the newest release -------------------------------------------------

    def missing_new_fields(self, body, read_by) -> list[str]:
        """Fields that Stripe's newest example of an object has, that the installed library
        reads (`read_by(object_name)` → the attribute names its class declares), and that
        `body` (or an object inside it) leaves out."""
        problems: list[str] = []
        self._walk_new_fields(body, read_by, "", problems)
        return problems

    def _walk_new_fields(self, node, read_by, where: str, problems: list[str]) -> None:
        if isinstance(node, list):
            for i, item in enumerate(node):
                self._walk_new_fields(item, read_by, f"{where}[{i}]", problems)
            return
        if not isinstance(node, dict):
            return
        kind = node.get("object")
        example = self.latest_examples.get(kind) if isinstance(kind, str) else None
        if example is not None and node.get("deleted") is not True:
            wanted = set(example) & read_by(node["object"])
            for name in sorted(wanted - set(node)):
                problems.append(f"{where or node['object']}.{name}: in Stripe's newest example")
        for key, value in node.items():
            self._walk_new_fields(value, read_by, f"{where}.{key}", problems)

    # --- coverage -----------------------------------------------------------------------

    def operations_under(self, prefixes: list[str]) -> list[Operation]:
        """The spec's operations whose path starts with one of `prefixes` (whole segments)."""
        return [
            op
            for op in self.operations
            if any(op.template == p or op.template.startswith(p + "/") for p in prefixes)
        ]


def _describe(error) -> str:
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    if error.validator == "anyOf" and error.context:
        # Say why the closest alternative failed (the object, not "is not a string").
        deepest = max(error.context, key=lambda e: len(e.absolute_path))
        return _describe(deepest)
    message = error.message
    if len(message) > 200:
        message = message[:200] + "…"
    return f"{where}: {message}"


def served_operations(server, operations: list[Operation]) -> set[str]:
    """The names of the spec operations that the local server has an API route for: the
    route's path, with its named groups as placeholders, is the spec's template."""
    routes = {
        (route.method, _PLACEHOLDER.sub("{}", route.pattern.pattern.strip("^$")))
        for route in server.routes
        if route.api
    }
    return {
        op.name
        for op in operations
        if (op.method, re.sub(r"\{[^}]+\}", "{}", op.template)) in routes
    }


_PLACEHOLDER = re.compile(r"\(\?P<[^>]+>\[\^/\]\+\)")
