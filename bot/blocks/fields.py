"""Plan the edit modal's fields: one per argument, typed from a JSON Schema.

The schema is the action's own ``args_schema`` or one inferred from the proposed
values. Building and parsing both call :func:`plan_fields` on the same action, so block
ids (``arg:<index>``) map back to argument names by the same ordering.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from graphs.adapters.common import humanize
from graphs.models import Action

Kind = Literal["text", "multiline", "integer", "number", "enum", "boolean", "json"]

MAX_TEXT = 3000  # plain_text_input initial_value / max_length
MAX_FIELDS = 99  # 100 blocks per modal, one kept for the context block
MAX_OPTIONS = 100
MULTILINE_OVER = 150
MAX_SAFE_INT = 2**53  # number_input is a float in Slack's clients
JSON_BLOCK_ID = "args:json"
ACTION_ID = "value"


@dataclass(frozen=True)
class FieldSpec:
    """How one argument is shown and read back."""

    name: str
    block_id: str
    kind: Kind
    schema: dict[str, Any]
    required: bool  # the key must be present (JSON Schema ``required``)
    present: bool  # the argument is in the proposed args
    value: Any  # the proposed value (None when absent)
    initial: str | None  # prefill for text, number and JSON fields; None = empty

    @property
    def label(self) -> str:
        """The schema's ``title``, else the argument's name (a blank one as JSON)."""
        return title_or(self.schema, self.name)

    @property
    def must_fill(self) -> bool:
        """Slack must refuse an empty field (a required "" string may stay empty)."""
        return self.required and not (self.present and self.value == "")


def infer_schema(args: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema from the values' JSON types; None and "" values are optional."""
    props = {name: _infer_type(value) for name, value in args.items()}
    required = [n for n, v in args.items() if v is not None and v != ""]
    return {"type": "object", "properties": props, "required": required}


def effective_schema(action: Action) -> dict[str, Any]:
    """The action's ``args_schema``, or one inferred from its arguments."""
    return action.args_schema if action.args_schema is not None else infer_schema(action.args)


def to_json(value: Any, *, pretty: bool = True) -> str:
    """JSON text as a person edits it: 2-space indents, unicode kept."""
    if pretty:
        return json.dumps(value, indent=2, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def plan_fields(action: Action) -> list[FieldSpec] | None:
    """One field per argument (then per unset schema property), or None when the
    arguments cannot be shown faithfully field by field (too many, too long)."""
    schema = effective_schema(action)
    props: dict[str, Any] = schema.get("properties") or {}
    names = list(action.args) + [n for n in props if n not in action.args]
    if len(names) > MAX_FIELDS:
        return None
    required = set(schema.get("required") or [])
    specs = []
    for index, name in enumerate(names):
        prop = _resolve(props.get(name) or {}, schema)
        present = name in action.args
        value = action.args.get(name)
        kind = _kind(prop, value, present)
        initial = _initial(kind, value) if present else None
        if initial is not None and len(initial) > MAX_TEXT:
            return None
        specs.append(
            FieldSpec(name, f"arg:{index}", kind, prop, name in required, present, value, initial)
        )
    return specs


_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*")


def label_of(action: Action, name: str) -> str:
    """How an argument is labelled everywhere: its schema ``title``, else its name as a
    person writes it (``due_date`` → ``Due date``; any other name as it is)."""
    schema = action.args_schema if isinstance(action.args_schema, dict) else {}
    props = schema.get("properties")
    prop = props.get(name) if isinstance(props, dict) else None
    readable = humanize(name) if _IDENTIFIER.fullmatch(name) else name
    return title_or(_resolve(prop, schema) if isinstance(prop, dict) else {}, readable)


def title_or(prop: dict[str, Any], name: str) -> str:
    """``prop``'s non-blank string ``title``, else ``name`` (shown as JSON when blank)."""
    title = prop.get("title")
    if isinstance(title, str) and title.strip():
        return title
    return name if name.strip() else to_json(name)


def enum_members(prop: dict[str, Any]) -> list[Any] | None:
    """The enum's members when they fit a static_select (scalars, at most 100)."""
    members = prop.get("enum")
    if not isinstance(members, list) or not 0 < len(members) <= MAX_OPTIONS:
        return None
    if any(isinstance(m, dict | list) for m in members):
        return None
    return members


def enum_index(members: list[Any], value: Any) -> int | None:
    """Index of ``value`` among ``members``, telling 1, 1.0 and True apart."""
    for i, member in enumerate(members):
        if type(member) is type(value) and member == value:
            return i
    return None


def number_text(value: int | float) -> str:
    """Positional notation (number_input has no exponents) that parses back exactly, as a
    person writes it: ``2500``, not ``2500.0``."""
    if isinstance(value, int):
        return str(value)
    text = format(Decimal(repr(value)), "f")
    return text[:-2] if text.endswith(".0") and text != "-0.0" else text


def _infer_type(value: Any) -> dict[str, Any]:
    for python_type, json_type in _JSON_TYPES:
        if isinstance(value, python_type):
            return {"type": json_type}
    return {}  # None (or anything else): any JSON


_JSON_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),  # before int: bool is an int
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (dict, "object"),
    (list, "array"),
)


def _resolve(prop: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``$ref`` and unwrap pydantic's ``anyOf: [T, null]``."""
    ref = prop.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        prop = {**target, **{k: v for k, v in prop.items() if k != "$ref"}}
    branches = prop.get("anyOf")
    if isinstance(branches, list):
        typed = [b for b in branches if isinstance(b, dict) and b.get("type") != "null"]
        if len(typed) == 1 and len(branches) == 2:
            merged = {k: v for k, v in prop.items() if k != "anyOf"}
            return {**_resolve(typed[0], root), **merged, "nullable": True}
    return prop


def _kind(prop: dict[str, Any], value: Any, present: bool) -> Kind:
    members = enum_members(prop)
    if members is not None and (not present or enum_index(members, value) is not None):
        return "enum"
    declared = prop.get("type")
    types = [declared] if isinstance(declared, str) else declared
    if not isinstance(types, list):
        types = [_infer_type(value).get("type")] if present else []
    types = [t for t in types if t != "null"]
    if len(types) != 1 or (present and value is None):
        return "json"
    return _typed_kind(types[0], prop, value, present)


def _typed_kind(json_type: Any, prop: dict[str, Any], value: Any, present: bool) -> Kind:
    if json_type == "boolean" and (not present or isinstance(value, bool)):
        return "boolean"
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if json_type == "integer" and (not present or (isinstance(value, int) and is_number)):
        if not present or abs(value) <= MAX_SAFE_INT:
            return "integer"
    if json_type == "number" and (not present or is_number):
        if not present or (math.isfinite(value) and len(number_text(value)) <= 40):
            return "number"
    if json_type == "string" and (not present or isinstance(value, str)):
        return "multiline" if _multiline(prop, value if present else "") else "text"
    return "json"


def _multiline(prop: dict[str, Any], value: str) -> bool:
    max_length = prop.get("maxLength")
    long_schema = isinstance(max_length, int) and max_length > MULTILINE_OVER
    return long_schema or prop.get("x-multiline") is True or _long_text(value)


def _long_text(value: str) -> bool:
    # Any line break str.splitlines() knows: a single-line input cannot hold one.
    return len(value) > MULTILINE_OVER or len((value + "x").splitlines()) > 1


def _initial(kind: Kind, value: Any) -> str | None:
    if kind in ("text", "multiline"):
        return value or None
    if kind in ("integer", "number"):
        return number_text(value)
    if kind == "json":
        return to_json(value)
    return None  # enum and boolean use initial_option
