"""Each dialect, end to end: a real graph's interrupt → normalize → resume_value → resume.

The real graph judges the resume value. LangChain's middleware: ``test_adapters_hitl.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from graphs.adapters import normalize, resume_value

EXPECTED_AT = "2026-01-02T03:04:05+00:00"
ECHO = {"echo": "approvals_user_graphs:echo_graph"}


# --- generic: payments -------------------------------------------------------------


async def test_payments_normalizes_with_schema(drive: Any, as_request: Any) -> None:
    driver = drive("payments")
    [pending] = await driver.start({"amount": 1250, "recipient": "acme", "memo": "Q3"})
    request = as_request(pending)
    assert request.dialect == "generic"
    assert request.title == "Pay $1,250.00 to acme"
    [action] = request.actions
    assert action.name == "pay"
    assert action.args == {"amount": 1250.0, "recipient": "acme", "memo": "Q3"}
    assert action.allowed == ("approve", "edit", "reject")
    assert action.args_schema is not None
    amount = action.args_schema["properties"]["amount"]
    assert amount["type"] == "number" and amount["exclusiveMinimum"] == 0
    assert action.args_schema["properties"]["recipient"]["minLength"] == 1


async def test_payments_approve(drive: Any, decide: Any) -> None:
    driver = drive("payments")
    [pending] = await driver.start({"amount": 1250, "recipient": "acme"})
    _, value = await driver.answer(pending, [decide("approve")])
    assert value == {
        "action": "approve",
        "args": {"amount": 1250.0, "recipient": "acme"},
        "reason": None,
        "decided_by": ["U1"],
        "decided_at": EXPECTED_AT,
    }
    state = await driver.values()
    assert (state["status"], state["paid_amount"], state["recipient"]) == ("paid", 1250.0, "acme")
    assert state["decided_by"] == ["U1"]
    assert await driver.pending() == []


async def test_payments_edit_pays_edited_args(drive: Any, decide: Any) -> None:
    driver = drive("payments")
    [pending] = await driver.start({"amount": 1250, "recipient": "acme"})
    edited = {"amount": 1100.5, "recipient": "acme-eu"}
    _, value = await driver.answer(pending, [decide("edit", edited)])
    assert value["action"] == "edit" and value["args"] == edited
    state = await driver.values()
    assert (state["status"], state["paid_amount"], state["recipient"]) == (
        "paid",
        1100.5,
        "acme-eu",
    )


async def test_payments_reject_with_reason(drive: Any, decide: Any) -> None:
    driver = drive("payments")
    [pending] = await driver.start({"amount": 5000, "recipient": "mallory"})
    await driver.answer(pending, [decide("reject", reason="unknown vendor")])
    state = await driver.values()
    assert state["status"] == "rejected"
    assert state["paid_amount"] is None
    assert state["reason"] == "unknown vendor"


# --- generic: email ----------------------------------------------------------------


async def test_email_edit_sends_edited_body(drive: Any, decide: Any, as_request: Any) -> None:
    driver = drive("email")
    [pending] = await driver.start({"to": "bob@example.com", "topic": "the launch"})
    request = as_request(pending)
    [action] = request.actions
    assert request.title == "Send email to bob@example.com: About the launch"
    assert action.args["subject"] == "About the launch"
    body_schema = action.args_schema["properties"]["body"]
    assert body_schema["x-multiline"] is True and body_schema["maxLength"] == 5000
    edited = {**action.args, "body": "Short and sweet."}
    await driver.answer(pending, [decide("edit", edited)])
    state = await driver.values()
    assert state["status"] == "sent"
    assert state["sent"] == {
        "to": "bob@example.com",
        "subject": "About the launch",
        "body": "Short and sweet.",
    }


async def test_email_approve_and_reject(drive: Any, decide: Any) -> None:
    approved = drive("email")
    [pending] = await approved.start({"to": "a@example.com", "subject": "Hi", "body": "Yo"})
    await approved.answer(pending, [decide("approve")])
    assert (await approved.values())["sent"] == {
        "to": "a@example.com",
        "subject": "Hi",
        "body": "Yo",
    }

    rejected = drive("email")
    [pending] = await rejected.start({"to": "a@example.com"})
    await rejected.answer(pending, [decide("reject", reason="tone")])
    state = await rejected.values()
    assert (state["status"], state["sent"], state["reason"]) == ("rejected", None, "tone")


# --- Agent Inbox ---------------------------------------------------------------------


async def test_inbox_normalizes(drive: Any, as_request: Any) -> None:
    [pending] = await drive("inbox").start({"path": "/tmp/report.csv"})
    request = as_request(pending)
    assert request.dialect == "agent_inbox"
    assert request.title == "Delete file"
    [action] = request.actions
    assert action.args == {"path": "/tmp/report.csv"}
    assert action.allowed == ("approve", "edit", "reject", "respond")
    assert request.description == "The agent wants to delete `/tmp/report.csv`."


@pytest.mark.parametrize(
    ("kind", "args", "reason", "expected_value", "expected_state"),
    [
        ("approve", None, None, {"type": "accept", "args": None}, ("deleted", "/r.csv", None)),
        (
            "edit",
            {"path": "/r.old"},
            None,
            {"type": "edit", "args": {"action": "delete_file", "args": {"path": "/r.old"}}},
            ("deleted", "/r.old", None),
        ),
        (
            "respond",
            None,
            "keep it",
            {"type": "response", "args": "keep it"},
            ("answered", None, "keep it"),
        ),
        ("reject", None, "no", {"type": "ignore", "args": None}, ("ignored", None, None)),
    ],
)
async def test_inbox_decisions(
    drive: Any,
    decide: Any,
    kind: Any,
    args: Any,
    reason: Any,
    expected_value: dict[str, Any],
    expected_state: tuple[Any, ...],
) -> None:
    driver = drive("inbox")
    [pending] = await driver.start({"path": "/r.csv"})
    _, value = await driver.answer(pending, [decide(kind, args, reason=reason)])
    assert value == [expected_value]
    state = await driver.values()
    assert (state["status"], state["deleted"], state["note"]) == expected_state


# --- unknown shapes and generic extras (through a user graph) ------------------------


@pytest.mark.parametrize("payload", ["Proceed with the migration?", [1, "two"], 42])
async def test_unknown_shapes(payload: Any, drive: Any, decide: Any, as_request: Any) -> None:
    driver = drive("echo", extra=ECHO)
    [pending] = await driver.start({"payload": payload})
    request = as_request(pending)
    assert request.dialect == "unknown"
    assert request.title == "Approval requested"
    [action] = request.actions
    assert (action.name, action.args, action.allowed) == (
        "review",
        {"value": payload},
        ("approve", "reject"),
    )
    await driver.answer(pending, [decide("reject", reason="nope")])
    answer = (await driver.values())["answer"]
    assert answer == {
        "action": "reject",
        "args": {"value": payload},
        "reason": "nope",
        "decided_by": ["U1"],
        "decided_at": EXPECTED_AT,
    }
    with pytest.raises(ValueError, match="not allowed"):
        resume_value(request, [decide("edit", {"value": 1})])


async def test_generic_with_approval_block(drive: Any, decide: Any, as_request: Any) -> None:
    approval = {
        "channel": "C1",
        "approvers": ["U2", "S3"],
        "required_approvals": 2,
        "allowed_decisions": ["reject", "approve", "bogus"],
    }
    payload = {"title": "Drop table", "action": "drop_table", "args": {"table": "users"}}
    driver = drive("echo", extra=ECHO)
    [pending] = await driver.start({"payload": {**payload, "approval": approval}})
    request = as_request(pending)
    assert (request.dialect, request.title, request.approval) == ("generic", "Drop table", approval)
    [action] = request.actions
    assert (action.name, action.args, action.allowed) == (
        "drop_table",
        {"table": "users"},
        ("approve", "reject"),
    )
    assert action.args_schema is None
    with pytest.raises(ValueError, match="'edit' is not allowed"):
        resume_value(request, [decide("edit", {"table": "x"})])
    await driver.answer(pending, [decide("approve")])
    answer = (await driver.values())["answer"]
    assert answer["action"] == "approve" and answer["args"] == {"table": "users"}


def test_generic_defaults_and_ref_schema() -> None:
    schema = {
        "$defs": {"Args": {"type": "object", "properties": {"n": {"$ref": "#/$defs/Pos"}}}},
        "properties": {"args": {"$ref": "#/$defs/Args", "title": "Arguments"}},
    }
    schema["$defs"]["Pos"] = {"type": "integer", "minimum": 1}
    request = normalize({"args": {"n": 2}}, response_schema=schema)
    [action] = request.actions
    assert (request.title, action.name) == ("Approval requested", "action")
    assert action.args_schema == {
        "type": "object",
        "title": "Arguments",
        "properties": {"n": {"type": "integer", "minimum": 1}},
    }
    titled = normalize({"action": "restart_service", "args": {}})
    assert titled.title == "Restart service"


def test_self_referencing_schema_terminates() -> None:
    schema = {
        "$defs": {"Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}}},
        "properties": {"args": {"$ref": "#/$defs/Node"}},
    }
    [action] = normalize({"args": {}}, response_schema=schema).actions
    # The loop is cut where the reference comes back round: "next" accepts anything.
    assert action.args_schema == {"type": "object", "properties": {"next": {}}}


def test_hitl_respond_and_limits(decide: Any) -> None:
    value = {
        "action_requests": [{"name": "ask_user", "args": {"q": "?"}}],
        "review_configs": [{"action_name": "ask_user", "allowed_decisions": ["respond", "reject"]}],
    }
    request = normalize(value)
    assert request.actions[0].allowed == ("reject", "respond")
    assert resume_value(request, [decide("respond", reason="42")]) == {
        "decisions": [{"type": "respond", "message": "42"}]
    }
    with pytest.raises(ValueError, match="needs its text"):
        resume_value(request, [decide("respond")])
    with pytest.raises(ValueError, match="1 action"):
        resume_value(request, [decide("reject"), decide("reject")])


def test_hitl_call_single_decision_schema() -> None:
    schema = {"properties": {"type": {"const": "approve", "type": "string"}}, "type": "object"}
    value = {"type": "tool_approval", "tool_call_id": "c1", "name": "wipe", "args": {}}
    [action] = normalize(value, response_schema=schema).actions
    assert (action.allowed, action.args_schema) == (("approve",), None)


def test_inbox_bare_dict_and_empty_config() -> None:
    value = {"action_request": {"action": "x", "args": {"a": 1}}, "config": {}}
    request = normalize(value)
    assert request.dialect == "agent_inbox"
    assert request.actions[0].allowed == ("reject",)
