"""The Edit modal: what it shows, that Slack accepts it, and what comes back."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.models.views import View

from bot.blocks.edit_modal import build_edit_modal, changed_args, parse_edit_submission
from bot.errors import InvalidEdit
from graphs.models import Action


def prefilled_state(view: dict[str, Any]) -> dict[str, Any]:
    """``view.state.values`` as Slack sends it when nobody touched a prefilled field."""
    state: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        kind = element["type"]
        if kind in ("plain_text_input", "number_input"):
            payload = {"type": kind, "value": element.get("initial_value")}
        elif kind in ("static_select", "radio_buttons"):
            payload = {"type": kind, "selected_option": element.get("initial_option")}
        elif kind == "checkboxes":
            payload = {"type": kind, "selected_options": element.get("initial_options", [])}
        else:
            raise AssertionError(f"unexpected element {kind}")
        state[block["block_id"]] = {element["action_id"]: payload}
    return state


def assert_valid_view(view: dict[str, Any]) -> None:
    """slack_sdk's checks (to_dict validates nested blocks), plus limits it skips."""
    View(**view).validate_json()
    View(**view).to_dict()
    blocks = view["blocks"]
    assert 1 <= len(blocks) <= 100
    ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(ids) == len(set(ids)) and all(len(i) <= 255 for i in ids)
    assert 1 <= len(view["title"]["text"]) <= 24
    assert len(view["private_metadata"]) <= 3000
    for block in blocks:
        if block["type"] == "input":
            assert 1 <= len(block["label"]["text"]) <= 2000
            assert len(block.get("hint", {}).get("text", "")) <= 2000
            _assert_valid_element(block["element"])
        else:
            assert all(len(e["text"]) <= 3000 for e in block["elements"])


def _assert_valid_element(element: dict[str, Any]) -> None:
    initial = element.get("initial_value")
    if initial is not None:
        assert isinstance(initial, str) and 0 < len(initial) <= 3000
        assert len(initial) <= element.get("max_length", 3000) <= 3000
    if element["type"] == "plain_text_input" and not element.get("multiline"):
        assert len((initial or "x").splitlines()) == 1  # one line cannot hold a line break
    options = element.get("options", [])
    assert len(options) <= 100
    for option in options:
        assert 1 <= len(option["text"]["text"]) <= 75 and len(option["value"]) <= 150
    if "initial_option" in element:
        assert element["initial_option"] in options
    if element["type"] == "number_input" and initial is not None:
        float(initial)  # plain decimal notation, no exponent
        assert "e" not in initial.lower()


def same_json(a: Any, b: Any) -> bool:
    """Equal with JSON types: True is not 1, 1 is not 1.0."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def round_trip(action: Action) -> dict[str, Any]:
    view = build_edit_modal(approval_id=42, action=action)
    assert_valid_view(view)
    return parse_edit_submission(action=action, state_values=prefilled_state(view))


def block_of(view: dict[str, Any], label: str) -> str:
    return next(b["block_id"] for b in view["blocks"] if b.get("label", {}).get("text") == label)


def element_of(view: dict[str, Any], label: str) -> dict[str, Any]:
    return next(b["element"] for b in view["blocks"] if b.get("label", {}).get("text") == label)


names = st.text(min_size=0, max_size=40)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=200)
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names, inner, max_size=3),
    max_leaves=6,
)
quick = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])


@quick
@given(args=st.dictionaries(names, values, max_size=12))
def test_inferred_round_trip(args: dict[str, Any]) -> None:
    assert same_json(round_trip(Action(name="tool", args=args)), args)


@quick
@given(args=st.dictionaries(names, scalars, min_size=95, max_size=130))
def test_many_args_round_trip(args: dict[str, Any]) -> None:
    assert same_json(round_trip(Action(name="tool", args=args)), args)


@quick
@given(data=st.data())
def test_schema_round_trip(data: st.DataObject) -> None:
    members = data.draw(st.lists(scalars, min_size=1, max_size=120, unique_by=json.dumps))
    pick = data.draw(st.sampled_from(members))
    flag = data.draw(st.booleans())
    note = data.draw(st.text(max_size=300))
    schema = {
        "type": "object",
        "properties": {
            "pick": {"enum": members, "description": "Pick one"},
            "flag": {"type": "boolean"},
            "note": {"type": "string", "x-multiline": True},
            "unset": {"type": "integer"},
        },
        "required": ["pick", "flag"],
    }
    args = {"pick": pick, "flag": flag, "note": note}
    assert same_json(round_trip(Action(name="t", args=args, args_schema=schema)), args)


def test_elements_follow_the_types() -> None:
    args = {"n": 3, "x": 1.5, "ok": False, "to": "a@b.c", "body": "hi\nthere", "meta": {"a": 1}}
    view = build_edit_modal(approval_id=7, action=Action(name="send", args=args))
    kinds = {b["label"]["text"]: b["element"] for b in view["blocks"][1:]}
    assert kinds["n"] == {**kinds["n"], "type": "number_input", "is_decimal_allowed": False}
    assert kinds["x"]["is_decimal_allowed"] is True and kinds["x"]["initial_value"] == "1.5"
    assert kinds["ok"]["type"] == "radio_buttons"
    assert kinds["ok"]["initial_option"]["value"] == "false"
    assert kinds["to"]["multiline"] is False and kinds["body"]["multiline"] is True
    assert kinds["meta"]["initial_value"] == '{\n  "a": 1\n}'
    assert view["private_metadata"].startswith("7:1:") and view["callback_id"] == "edit_submit"
    assert view["submit"]["text"] == "Approve edit" and view["close"]["text"] == "Cancel"


def test_false_round_trips_and_edits_show_old_to_new() -> None:
    action = Action(name="t", args={"ok": True, "n": 1, "keep": "x"})
    view = build_edit_modal(approval_id=1, action=action)
    state = prefilled_state(view)
    state[block_of(view, "ok")]["value"]["selected_option"] = {"value": "false"}
    state[block_of(view, "n")]["value"]["value"] = "2"
    after = parse_edit_submission(action=action, state_values=state)
    assert after == {"ok": False, "n": 2, "keep": "x"}
    assert changed_args(action.args, after) == [("ok", True, False), ("n", 1, 2)]


def test_changed_args_types_and_keys() -> None:
    assert changed_args({"a": 1.0, "b": True}, {"a": 1, "b": 1}) == [("b", True, 1)]
    assert changed_args({"a": 1}, {"b": 2}) == [("a", 1, None), ("b", None, 2)]
    assert changed_args({"a": {"x": [1]}}, {"a": {"x": [1]}}) == []


def test_float_field_accepts_int_and_none_accepts_any_json() -> None:
    action = Action(name="t", args={"x": 1.5, "anything": None})
    view = build_edit_modal(approval_id=1, action=action)
    state = prefilled_state(view)
    state[block_of(view, "x")]["value"]["value"] = "3"
    state[block_of(view, "anything")]["value"]["value"] = '["a", {"b": 2}]'
    after = parse_edit_submission(action=action, state_values=state)
    assert after == {"x": 3, "anything": ["a", {"b": 2}]}


def test_optional_empty_values() -> None:
    action = Action(name="t", args={"s": "", "z": None, "name": "bob"})
    view = build_edit_modal(approval_id=1, action=action)
    optional = {b["label"]["text"]: b["optional"] for b in view["blocks"][1:]}
    assert optional == {"s": True, "z": True, "name": False}
    state = prefilled_state(view)
    state[block_of(view, "z")]["value"]["value"] = None
    state[block_of(view, "name")]["value"]["value"] = None
    with pytest.raises(InvalidEdit) as caught:
        parse_edit_submission(action=action, state_values=state)
    assert caught.value.errors == {block_of(view, "name"): "Required"}


def test_long_names_unicode_and_title() -> None:
    long_a, long_b = "a" * 299 + "1", "a" * 299 + "2"
    args = {long_a: 1, long_b: "x", "金额 💸": 12.5, "שלום": "مرحبا 你好 🎉", "": "empty name"}
    action = Action(name="a_rather_long_tool_name_for_payments", args=args)
    view = build_edit_modal(approval_id=3, action=action)
    assert view["title"]["text"] == "Edit · A rather long to…"  # the action, humanized
    assert len({b["block_id"] for b in view["blocks"]}) == len(args) + 1
    assert same_json(round_trip(action), args)
    titled = build_edit_modal(approval_id=3, action=action, title="Pay 💸")
    assert titled["title"]["text"] == "Pay 💸"


def test_150_fields_become_one_json_field() -> None:
    args = {f"field_{i}": i for i in range(150)}
    action = Action(name="t", args=args)
    view = build_edit_modal(approval_id=1, action=action)
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [b["block_id"] for b in inputs] == ["args:json"]
    assert json.loads(inputs[0]["element"]["initial_value"]) == args
    assert round_trip(action) == args


def test_long_text_fits_field_until_3000() -> None:
    action = Action(name="t", args={"body": "x" * 3000, "n": 1})
    view = build_edit_modal(approval_id=1, action=action)
    assert element_of(view, "body")["multiline"] is True
    assert round_trip(action) == action.args


def test_value_too_long_for_a_field_moves_to_whole_json() -> None:
    nested = {f"k{i}": list(range(8)) for i in range(60)}  # pretty > 3000, compact fits
    action = Action(name="t", args={"nested": nested, "n": 1})
    view = build_edit_modal(approval_id=1, action=action)
    assert [b["block_id"] for b in view["blocks"][1:]] == ["args:json"]
    assert round_trip(action) == action.args


def test_10k_value_gives_a_read_only_modal() -> None:
    action = Action(name="t", args={"body": "é" * 10_000, "n": 1})
    view = build_edit_modal(approval_id=1, action=action)
    assert_valid_view(view)
    assert "submit" not in view and len(view["blocks"]) == 1
    assert round_trip(action) == action.args


def test_nested_objects_enums_and_resolved_defs() -> None:
    schema = {
        "type": "object",
        "$defs": {"Currency": {"enum": ["USD", "EUR", "日本円"], "type": "string"}},
        "properties": {
            "currency": {"$ref": "#/$defs/Currency", "description": "ISO code"},
            "limit": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": None},
            "meta": {"type": "object", "properties": {"tags": {"type": "array"}}},
        },
        "required": ["currency", "meta"],
    }
    args = {"currency": "日本円", "limit": 5, "meta": {"tags": ["a", {"b": None}]}}
    action = Action(name="pay", args=args, args_schema=schema)
    view = build_edit_modal(approval_id=1, action=action)
    assert element_of(view, "currency")["type"] == "static_select"
    assert element_of(view, "limit")["type"] == "number_input"
    assert round_trip(action) == args


def test_huge_enum_is_a_text_field_checked_by_the_schema() -> None:
    members = [f"option {i}" for i in range(150)]
    schema = {"type": "object", "properties": {"o": {"type": "string", "enum": members}}}
    action = Action(name="t", args={"o": "option 7"}, args_schema=schema)
    view = build_edit_modal(approval_id=1, action=action)
    assert element_of(view, "o")["type"] == "plain_text_input"
    state = prefilled_state(view)
    state["arg:0"]["value"]["value"] = "option 999"
    with pytest.raises(InvalidEdit) as caught:
        parse_edit_submission(action=action, state_values=state)
    assert list(caught.value.errors) == ["arg:0"]


SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "amount": {"type": "number", "minimum": 0},
        "count": {"type": "integer", "exclusiveMinimum": 0},
        "currency": {"enum": ["USD", "EUR"]},
        "memo": {"type": "string", "maxLength": 10},
        "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "to": {"type": "string"},
        "meta": {"type": "object", "properties": {"n": {"type": "integer", "maximum": 5}}},
    },
    "required": ["amount", "count", "currency", "to"],
    "dependentRequired": {"memo": ["code"]},
}
ARGS: dict[str, Any] = {
    "amount": 10.5,
    "count": 2,
    "currency": "USD",
    "memo": "rent",
    "code": "ABC",
    "to": "bob",
    "meta": {"n": 1},
}

INVALID = [
    ("amount", {"value": "ten"}, "Enter a number"),
    ("count", {"value": "2.5"}, "Enter a whole number"),
    ("currency", {"selected_option": {"value": "9"}}, "Choose one of the options"),
    ("to", {"value": None}, "Required"),
    ("meta", {"value": '{"n": '}, "Not valid JSON"),
    ("meta", {"value": '{"n": 9}'}, "n: Must be at most 5"),
    ("amount", {"value": "-1"}, "Must be at least 0"),
    ("count", {"value": "0"}, "Must be greater than 0"),
    ("memo", {"value": "much too long"}, "Must be at most 10 characters"),
    ("code", {"value": "abc"}, "Must match the pattern ^[A-Z]{3}$"),
]


@pytest.mark.parametrize(("field", "payload", "message"), INVALID)
def test_invalid_input_lands_on_its_field(field: str, payload: dict, message: str) -> None:
    action = Action(name="pay", args=ARGS, args_schema=SCHEMA)
    view = build_edit_modal(approval_id=1, action=action)
    assert same_json(parse_edit_submission(action=action, state_values=prefilled_state(view)), ARGS)
    state = prefilled_state(view)
    state[block_of(view, field)]["value"].update(payload)
    with pytest.raises(InvalidEdit) as caught:
        parse_edit_submission(action=action, state_values=state)
    errors = caught.value.errors
    assert list(errors) == [block_of(view, field)]
    assert errors[block_of(view, field)].startswith(message)
    assert len(errors[block_of(view, field)]) <= 150


def test_unattributable_error_lands_on_the_first_field() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
        "minProperties": 2,
    }
    action = Action(name="t", args={"a": "x"}, args_schema=schema)
    view = build_edit_modal(approval_id=1, action=action)
    state = prefilled_state(view)  # "b" is an unset optional property: left out
    assert block_of(view, "b") == "arg:1" and "initial_value" not in element_of(view, "b")
    with pytest.raises(InvalidEdit) as caught:
        parse_edit_submission(action=action, state_values=state)
    assert list(caught.value.errors) == ["arg:0"]


def test_inferred_types_are_enforced() -> None:
    action = Action(name="t", args={"n": 1, "big": 2**60, "s": "x"})
    view = build_edit_modal(approval_id=1, action=action)
    assert element_of(view, "big")["type"] == "plain_text_input"  # beyond float precision
    state = prefilled_state(view)
    state[block_of(view, "big")]["value"]["value"] = '"text"'
    with pytest.raises(InvalidEdit) as caught:
        parse_edit_submission(action=action, state_values=state)
    assert caught.value.errors == {block_of(view, "big"): "Must be of type integer"}


@pytest.mark.parametrize(
    ("text", "message"),
    [("{", "Not valid JSON"), ("[1]", "Must be a JSON object"), ('{"f_0": "x"}', "f_0: Must")],
)
def test_whole_json_errors(text: str, message: str) -> None:
    action = Action(name="t", args={f"f_{i}": i for i in range(120)})
    view = build_edit_modal(approval_id=1, action=action)
    state = prefilled_state(view)
    state["args:json"]["value"]["value"] = text
    with pytest.raises(InvalidEdit) as caught:
        parse_edit_submission(action=action, state_values=state)
    assert list(caught.value.errors) == ["args:json"]
    assert caught.value.errors["args:json"].startswith(message)


def test_number_prefill_is_plain_decimal() -> None:
    action = Action(name="t", args={"tiny": 1e-7, "neg": -0.0, "huge": 1e300})
    view = build_edit_modal(approval_id=1, action=action)
    assert element_of(view, "tiny")["initial_value"] == "0.0000001"
    assert element_of(view, "huge")["type"] == "plain_text_input"
    after = round_trip(action)
    assert same_json(after, action.args) and math.copysign(1, after["neg"]) == -1
