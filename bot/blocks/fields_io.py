"""Turn a planned field into a Block Kit input element, and a submitted state back
into a value. Every reader raises ``ValueError`` with a short message for the person."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from bot.blocks.fields import ACTION_ID, MAX_TEXT, FieldSpec, enum_index, enum_members, to_json

OMIT: Any = object()  # an empty optional field whose argument stays unset
OPTION_TEXT_MAX = 75
_INTEGER = re.compile(r"[+-]?\d+")
_BOOLEANS = {"true": True, "false": False}


def plain(text: str, limit: int) -> dict[str, Any]:
    """A plain_text object, truncated with … to ``limit`` characters."""
    return {"type": "plain_text", "text": truncate(text, limit), "emoji": True}


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in … when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def element_for(spec: FieldSpec) -> dict[str, Any]:
    """The input element for ``spec``, prefilled with the proposed value."""
    element: dict[str, Any] = {"action_id": ACTION_ID}
    if spec.kind in ("integer", "number"):
        element |= {"type": "number_input", "is_decimal_allowed": spec.kind == "number"}
    elif spec.kind == "enum":
        element |= _select(spec)
    elif spec.kind == "boolean":
        element |= _radio(spec)
    else:
        element |= {"type": "plain_text_input", "multiline": spec.kind != "text"}
        max_length = spec.schema.get("maxLength")
        # Only when the proposed value fits, or Slack would refuse to open the modal.
        if spec.kind != "json" and isinstance(max_length, int) and 0 < max_length <= MAX_TEXT:
            if len(spec.initial or "") <= max_length:
                element["max_length"] = max_length
    if spec.initial is not None:
        element["initial_value"] = spec.initial
    return element


def read_value(spec: FieldSpec, payload: dict[str, Any] | None) -> Any:
    """The value a person submitted for ``spec`` (``OMIT`` when left unset)."""
    payload = payload or {}
    if spec.kind in ("enum", "boolean"):
        selected = payload.get("selected_option") or {}
        raw = selected.get("value")
    else:
        raw = payload.get("value")
    if raw is None or raw == "":
        return _empty(spec)
    if spec.kind in ("text", "multiline"):
        return raw
    if spec.kind == "json":
        return _read_json(raw)
    if spec.kind == "boolean":
        if raw not in _BOOLEANS:
            raise ValueError("Choose Yes or No")
        return _BOOLEANS[raw]
    if spec.kind == "enum":
        return _read_option(spec, raw)
    number = _read_number(raw.strip(), integer=spec.kind == "integer")
    # "2500" typed (or prefilled) for a float keeps it a float: only the digits were shown
    return float(number) if isinstance(spec.value, float) else number


def _empty(spec: FieldSpec) -> Any:
    if spec.must_fill:
        raise ValueError("Required")
    if spec.present and spec.value is None:
        return None
    if spec.kind in ("text", "multiline") and (spec.present or spec.required):
        return ""
    return OMIT


def _read_json(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise ValueError(f"Not valid JSON: {exc.msg} ({where})") from None


def _read_number(raw: str, *, integer: bool) -> int | float:
    if _INTEGER.fullmatch(raw):
        return int(raw)
    try:
        number = float(raw)
    except ValueError:
        raise ValueError("Enter a number") from None
    if not math.isfinite(number):
        raise ValueError("Enter a finite number")
    if integer:
        raise ValueError("Enter a whole number")
    return number


def _read_option(spec: FieldSpec, raw: str) -> Any:
    members = enum_members(spec.schema) or []
    if not raw.isdigit() or int(raw) >= len(members):
        raise ValueError("Choose one of the options")
    return members[int(raw)]


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text, OPTION_TEXT_MAX), "value": value}


def _select(spec: FieldSpec) -> dict[str, Any]:
    members = enum_members(spec.schema) or []
    options = [
        # A blank or non-string member is shown as JSON so "" and " " stay visible.
        _option(m if isinstance(m, str) and m.strip() else to_json(m), str(i))
        for i, m in enumerate(members)
    ]
    element: dict[str, Any] = {"type": "static_select", "options": options}
    index = enum_index(members, spec.value) if spec.present else None
    if index is not None:
        element["initial_option"] = options[index]
    return element


def _radio(spec: FieldSpec) -> dict[str, Any]:
    options = [_option("Yes", "true"), _option("No", "false")]
    element: dict[str, Any] = {"type": "radio_buttons", "options": options}
    if spec.present and isinstance(spec.value, bool):
        element["initial_option"] = options[0] if spec.value else options[1]
    return element
