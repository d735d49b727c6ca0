"""The catalog format as JSON Schema and as reference text, both generated from `model.py`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import typing
from decimal import Decimal
from typing import Any

from servicebook.catalog import model
from servicebook.catalog.model import Kind, Ref
from servicebook.catalog.validate import (
    CLOCK_RE,
    DURATION_RE,
    ID_RE,
    MEMBER_REF_TARGETS,
    VERSION_RE,
    WINDOW_RE,
    fields_of,
    unwrap,
)

SCHEMA_ID = "https://servicebook.example/schema/catalog-1.json"
_KIND_SCHEMAS: dict[Kind, dict[str, Any]] = {
    Kind.LINE: {"type": "string", "maxLength": 200},
    Kind.TEXT: {"type": "string", "maxLength": 10000},
    Kind.ID: {"type": "string", "pattern": f"^{ID_RE.pattern}$"},
    Kind.URL: {"type": "string", "pattern": "^(https?://|mailto:)[^\\s\"'<>`\\\\]+$"},
    Kind.EMAIL: {"type": "string", "format": "email"},
    Kind.PERCENT: {"type": ["number", "string"], "minimum": 1, "exclusiveMaximum": 100},
    Kind.SLICE_PERCENT: {"type": ["number", "string"], "exclusiveMinimum": 0, "maximum": 100},
    Kind.WINDOW: {"type": "string", "pattern": f"^(?:{WINDOW_RE.pattern})$"},
    Kind.DURATION: {"type": "string", "pattern": f"^{DURATION_RE.pattern}$"},
    Kind.CLOCK: {"type": "string", "pattern": f"^(?:{CLOCK_RE.pattern})$"},
    Kind.TIMEZONE: {"type": "string", "description": "IANA time zone name"},
    Kind.DAYS: {"type": "string", "pattern": "^(mon|tue|wed|thu|fri|sat|sun)([-,](mon|tue|wed|thu|fri|sat|sun))*$"},
    Kind.VERSION: {"type": ["string", "number"], "pattern": f"^{VERSION_RE.pattern}$"},
}


def _type_schema(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    base, meta, _ = unwrap(tp)
    if typing.get_origin(base) is tuple:
        return {"type": "array", "items": _type_schema(typing.get_args(base)[0], defs)}
    if dataclasses.is_dataclass(base):
        name = typing.cast(type, base).__name__
        if name not in defs:
            defs[name] = {}
            defs[name] = _record_schema(base, defs)  # type: ignore[arg-type]
        return {"$ref": f"#/$defs/{name}"}
    if isinstance(base, type) and issubclass(base, enum.Enum):
        values: list[str | int] = [m.value for m in base]
        # YAML editors read an unquoted `tier: 1` as a number; servicebook reads it as text.
        numbers = [int(v) for v in values if isinstance(v, str) and v.isdigit()]
        return {"enum": [*values, *numbers]} if numbers else {"type": "string", "enum": values}
    if isinstance(meta, Kind):
        return dict(_KIND_SCHEMAS[meta])
    if base is int:
        return {"type": "integer"}
    if base is dt.date:
        return {"type": "string", "format": "date"}
    if base is Decimal:
        return dict(_KIND_SCHEMAS[Kind.PERCENT])
    if isinstance(meta, Ref):
        return _ref_schema(meta)
    return dict(_KIND_SCHEMAS.get(meta if isinstance(meta, Kind) else Kind.LINE, {"type": "string"}))


def _ref_schema(ref: Ref) -> dict[str, Any]:
    """A reference as `check` reads it (validate.py): a page by its path under content/, which may
    name sub-folders; an offering or tool by its id or, on an organisation site, a member's by
    `<member>/<id>` (db-team/postgres); anything else by its id."""
    segment = ID_RE.pattern
    if ref.target == "page":
        pattern = f"^{segment}(?:/{segment})*$"
        text = "a policy page: its path under content/ without .md (<member>/<path>: a member's page)"
    elif ref.target in MEMBER_REF_TARGETS:
        # a tool's alternative names another team's tool as tool:<member>/<id> (catalog/crossrefs.py)
        kind = "(?:tool:|offering:)?" if ref.target == "tool-or-offering" else ""
        pattern = f"^(?:{kind}{segment}/)?{segment}$"
        text = f"id of a {ref.target} (on an organisation site, <member>/<id> names a member's)"
    else:
        return {**_KIND_SCHEMAS[Kind.ID], "description": f"id of a {ref.target}"}
    return {"type": "string", "pattern": pattern, "description": text}


def _record_schema(cls: type, defs: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required = []
    for spec in fields_of(cls):
        prop = _type_schema(spec.type, defs)
        if "$ref" in prop:
            prop = {"allOf": [prop]}
        prop["description"] = spec.doc
        if spec.example is not None:
            prop["examples"] = [spec.example]
        properties[spec.key] = prop
        if spec.required:
            required.append(spec.key)
    schema: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": properties}
    if required:
        schema["required"] = required
    if cls.__doc__ and not cls.__doc__.startswith(cls.__name__ + "("):
        schema["description"] = " ".join(cls.__doc__.split())
    return schema


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) for catalog.yaml; editors use it to complete and check."""
    defs: dict[str, Any] = {}
    root = _record_schema(model.Catalog, defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "servicebook catalog",
        **root,
        "$defs": dict(sorted(defs.items())),
    }


def front_matter_schema() -> dict[str, Any]:
    defs: dict[str, Any] = {}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **_record_schema(model.PageMeta, defs)}


def reference_markdown() -> str:
    """The README's format reference: one table per record, generated from the model."""
    out: list[str] = []
    seen: set[str] = set()

    def visit(cls: type, title: str) -> None:
        if cls.__name__ in seen:
            return
        seen.add(cls.__name__)
        out.append(f"#### {title}\n\n| key | type | required | meaning |\n|---|---|---|---|")
        nested: list[tuple[type, str]] = []
        for spec in fields_of(cls):
            base, _, _ = unwrap(spec.type)
            type_text = _type_text(spec.type)
            out.append(f"| `{spec.key}` | {type_text} | {'yes' if spec.required else ''} | {spec.doc} |")
            inner = typing.get_args(base)[0] if typing.get_origin(base) is tuple else base
            inner, _, _ = unwrap(inner)
            if dataclasses.is_dataclass(inner):
                nested.append((typing.cast(type, inner), typing.cast(type, inner).__name__))
        out.append("")
        for cls2, name in nested:
            visit(cls2, name)

    visit(model.Catalog, "Catalog (catalog.yaml)")
    visit(model.PageMeta, "Policy page front matter")
    return "\n".join(out)


def _type_text(tp: Any) -> str:
    base, meta, _ = unwrap(tp)
    if typing.get_origin(base) is tuple:
        return f"list of {_type_text(typing.get_args(base)[0])}"
    if dataclasses.is_dataclass(base):
        return typing.cast(type, base).__name__
    if isinstance(base, type) and issubclass(base, enum.Enum):
        return " \\| ".join(f"`{m.value}`" for m in base)
    if base is dt.date:
        return "date YYYY-MM-DD"
    if base is Decimal:
        return "percent"
    if base is int and not isinstance(meta, Kind):
        return "integer"
    if isinstance(meta, Ref):
        return f"{meta.target} id"
    return {Kind.LINE: "text", Kind.TEXT: "text (multi-line)"}.get(
        meta, meta.value if isinstance(meta, Kind) else "text"
    )
