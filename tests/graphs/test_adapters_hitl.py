"""LangChain ``HumanInTheLoopMiddleware`` (batched and per_call), end to end.

The real middleware judges each resume value: it raises on a malformed one.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, ToolMessage
from pydantic import ValidationError

TASK = "Pay acme $1,250 and email bob@example.com"


def tool_messages(values: dict[str, Any]) -> dict[str, ToolMessage]:
    return {m.name: m for m in values["messages"] if isinstance(m, ToolMessage)}


# --- LangChain HITL, batched --------------------------------------------------------


async def test_hitl_batch_normalizes_two_tool_calls(drive: Any, as_request: Any) -> None:
    [pending] = await drive("agent").start({"task": TASK})
    request = as_request(pending)
    assert request.dialect == "hitl_batch"
    assert request.title == "Approve 2 tool calls: Pay, Send email"
    pay, email = request.actions
    assert (pay.name, pay.args) == ("pay", {"amount": 1250.0, "recipient": "acme"})
    assert pay.description == "The agent wants to make a payment."
    assert email.name == "send_email" and email.args["to"] == "bob@example.com"
    assert pay.allowed == email.allowed == ("approve", "edit", "reject")


async def test_hitl_batch_approve_and_edit(drive: Any, decide: Any) -> None:
    driver = drive("agent")
    [pending] = await driver.start({"task": TASK})
    new_email = {"to": "carol@example.com", "subject": "Paid", "body": "Done."}
    _, value = await driver.answer(pending, [decide("approve"), decide("edit", new_email)])
    assert value == {
        "decisions": [
            {"type": "approve"},
            {"type": "edit", "edited_action": {"name": "send_email", "args": new_email}},
        ]
    }
    state = await driver.values()
    tools = tool_messages(state)
    assert tools["pay"].content == "Paid $1,250.00 to acme"
    assert tools["send_email"].content.endswith("Sent 'Paid' to carol@example.com")
    assert isinstance(state["messages"][-1], AIMessage)
    assert state["messages"][-1].content.startswith("Done. ")
    assert await driver.pending() == []


async def test_hitl_batch_edit_pay_and_reject_email(drive: Any, decide: Any) -> None:
    driver = drive("agent")
    [pending] = await driver.start({"task": TASK})
    decisions = [
        decide("edit", {"amount": 99.0, "recipient": "acme"}),
        decide("reject", reason="no emails on Fridays"),
    ]
    await driver.answer(pending, decisions)
    tools = tool_messages(await driver.values())
    assert "Paid $99.00 to acme" in tools["pay"].content
    assert tools["send_email"].status == "error"
    assert "no emails on Fridays" in tools["send_email"].content


async def test_hitl_batch_reject_without_reason_omits_message(drive: Any, decide: Any) -> None:
    driver = drive("agent")
    [pending] = await driver.start({"task": TASK})
    _, value = await driver.answer(pending, [decide("reject"), decide("reject")])
    assert value == {"decisions": [{"type": "reject"}, {"type": "reject"}]}
    tools = tool_messages(await driver.values())
    assert all(m.status == "error" for m in tools.values())
    assert "was not executed" in tools["pay"].content


# --- LangChain HITL, per_call -------------------------------------------------------


async def test_hitl_call_normalizes_with_tool_schema(drive: Any, as_request: Any) -> None:
    pending = await drive("agent_per_call").start({"task": TASK})
    requests = {as_request(p).actions[0].name: as_request(p) for p in pending}
    assert set(requests) == {"pay", "send_email"}
    pay = requests["pay"]
    assert pay.dialect == "hitl_call"
    assert pay.title == "Approve tool call: Pay"
    [action] = pay.actions
    assert action.allowed == ("approve", "edit", "reject")
    assert action.args_schema is not None
    assert action.args_schema["properties"]["amount"]["type"] == "number"
    assert action.args_schema["required"] == ["amount", "recipient"]
    assert "$ref" not in repr(action.args_schema) and "$defs" not in action.args_schema


async def test_hitl_call_one_at_a_time(drive: Any, decide: Any, as_request: Any) -> None:
    driver = drive("agent_per_call")
    pending = await driver.start({"task": TASK})
    by_name = {p.value["name"]: p for p in pending}
    _, value = await driver.answer(
        by_name["pay"], [decide("edit", {"amount": 10, "recipient": "x"})]
    )
    assert value == {
        "type": "edit",
        "edited_action": {"name": "pay", "args": {"amount": 10, "recipient": "x"}},
    }
    [still] = await driver.pending()
    assert still.id == by_name["send_email"].id
    _, value = await driver.answer(still, [decide("reject", reason="not now")])
    assert value == {"type": "reject", "message": "not now"}
    state = await driver.values()
    tools = tool_messages(state)
    assert "Paid $10.00 to x" in tools["pay"].content
    assert tools["send_email"].status == "error" and "not now" in tools["send_email"].content
    assert state["messages"][-1].content.startswith("Done. ")


async def test_hitl_call_approve(drive: Any, decide: Any) -> None:
    driver = drive("agent_per_call")
    for pending in await driver.start({"task": TASK}):
        _, value = await driver.answer(pending, [decide("approve")])
        assert value == {"type": "approve"}
    tools = tool_messages(await driver.values())
    assert tools["pay"].content == "Paid $1,250.00 to acme"
    assert tools["send_email"].content == "Sent 'Payment to acme' to bob@example.com"


async def test_hitl_call_bad_edit_is_refused_by_middleware(drive: Any, decide: Any) -> None:
    driver = drive("agent_per_call")
    pending = await driver.start({"task": TASK})
    pay = next(p for p in pending if p.value["name"] == "pay")
    with pytest.raises(ValidationError):
        await driver.answer(pay, [decide("edit", {"amount": "lots", "recipient": "x"})])
    assert {p.id for p in await driver.pending()} == {p.id for p in pending}
