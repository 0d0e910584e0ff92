"""The Edit modal: one input per argument, and the parser of what comes back.

Too many arguments (more than 99) or a value too long to prefill (over 3000
characters) turn the modal into ONE multiline JSON field holding the whole arguments
object; when even that does not fit, the modal only explains why it cannot edit.
"""

from __future__ import annotations

import json
from typing import Any

from bot.blocks.edit_groups import MAX_BLOCKS, grouped
from bot.blocks.fields import (
    ACTION_ID,
    JSON_BLOCK_ID,
    MAX_TEXT,
    FieldSpec,
    effective_schema,
    plan_fields,
    to_json,
)
from bot.blocks.fields_io import OMIT, element_for, plain, read_value, truncate
from bot.blocks.fields_schema import schema_errors
from bot.blocks.format import escape
from bot.blocks.version import encode_ref
from bot.errors import InvalidEdit
from graphs.adapters.common import humanize
from graphs.models import Action

CALLBACK_ID = "edit_submit"
ERROR_MAX = 150


def build_edit_modal(
    *, approval_id: int, action: Action, round_: int = 1, title: str | None = None
) -> dict:
    """The Edit modal for ``action`` as it stands in ``round_``; ``private_metadata`` names
    only the approval and that version (its round and argument digest)."""
    specs = plan_fields(action)
    if specs is not None:
        inputs = grouped(specs, [_input_block(s) for s in specs], room=MAX_BLOCKS - 1)
    else:
        text = _whole_json(action.args)
        inputs = [] if text is None else [_json_block(text)]
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": encode_ref(approval_id, round_, action.args),
        "title": plain(title or f"Edit · {humanize(action.name)}", 24),
        "close": plain("Cancel", 24),
        "blocks": [_context(action, inputs=bool(inputs), too_large=specs is None), *inputs],
    }
    if inputs:
        view["submit"] = plain("Approve edit", 24)
    return view


def parse_edit_submission(*, action: Action, state_values: dict) -> dict[str, Any]:
    """The full edited arguments from ``view.state.values``; raises ``InvalidEdit``
    mapping block ids to short messages when a value or the schema rejects it."""
    specs = plan_fields(action)
    if specs is None:
        args = _read_whole(action, state_values)
        block_of = {}
        fallback = JSON_BLOCK_ID
    else:
        args = _read_fields(specs, state_values)
        block_of = {s.name: s.block_id for s in specs}
        fallback = specs[0].block_id if specs else JSON_BLOCK_ID
    errors = schema_errors(effective_schema(action), args, block_of=block_of, fallback=fallback)
    if errors:
        raise InvalidEdit({k: truncate(v, ERROR_MAX) for k, v in errors.items()})
    return args


def changed_args(before: dict, after: dict) -> list[tuple[str, Any, Any]]:
    """``(name, old, new)`` for each argument that differs; an absent side is None."""
    names = list(before) + [n for n in after if n not in before]
    return [
        (n, before.get(n), after.get(n))
        for n in names
        if (n in before) != (n in after) or not _same(before.get(n), after.get(n))
    ]


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON: 1 == 1.0 (number inputs may drop ".0"), but True != 1."""
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers):
        return isinstance(a, bool) == isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _input_block(spec: FieldSpec) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": spec.block_id,
        "label": plain(spec.label, 2000),
        "element": element_for(spec),
        "optional": not spec.must_fill,
    }
    description = spec.schema.get("description")
    if isinstance(description, str) and description.strip():
        block["hint"] = plain(description, 2000)
    elif spec.kind == "json":
        block["hint"] = plain("A JSON value.", 2000)
    return block


def _json_block(text: str) -> dict[str, Any]:
    element = {
        "type": "plain_text_input",
        "action_id": ACTION_ID,
        "multiline": True,
        "initial_value": text,
    }
    return {
        "type": "input",
        "block_id": JSON_BLOCK_ID,
        "label": plain("Arguments (JSON)", 2000),
        "element": element,
        "hint": plain("The whole arguments object, as JSON.", 2000),
    }


def _context(action: Action, *, inputs: bool, too_large: bool) -> dict[str, Any]:
    if inputs:
        text = escape(action.description or "") or "Change any argument, then *Approve edit*."
    elif too_large:
        text = "These arguments are too large to edit in Slack; approve or reject them as they are."
    else:
        text = "This action has no arguments to edit."
    element = {"type": "mrkdwn", "text": truncate(text, 3000)}
    return {"type": "context", "block_id": "edit:context", "elements": [element]}


def _whole_json(args: dict[str, Any]) -> str | None:
    for pretty in (True, False):
        text = to_json(args, pretty=pretty)
        if len(text) <= MAX_TEXT:
            return text
    return None


def _read_fields(specs: list[FieldSpec], state_values: dict) -> dict[str, Any]:
    args: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for spec in specs:
        try:
            value = read_value(spec, _payload(state_values, spec.block_id))
        except ValueError as exc:
            errors[spec.block_id] = str(exc)
            continue
        if value is not OMIT:
            args[spec.name] = value
    if errors:
        raise InvalidEdit({k: truncate(v, ERROR_MAX) for k, v in errors.items()})
    return args


def _read_whole(action: Action, state_values: dict) -> dict[str, Any]:
    if _whole_json(action.args) is None:
        return dict(action.args)  # the modal was read-only
    payload = _payload(state_values, JSON_BLOCK_ID) or {}
    raw = payload.get("value") or ""
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise InvalidEdit({JSON_BLOCK_ID: truncate(f"Not valid JSON: {exc}", ERROR_MAX)}) from None
    if not isinstance(value, dict):
        raise InvalidEdit({JSON_BLOCK_ID: "Must be a JSON object"})
    return value


def _payload(state_values: dict, block_id: str) -> dict[str, Any] | None:
    """The element state of ``block_id``, whatever its action id."""
    actions = state_values.get(block_id) or {}
    found = actions.get(ACTION_ID)
    if found is None and actions:
        found = next(iter(actions.values()))
    return found if isinstance(found, dict) else None
