"""The Agents SDK dialect: one stop's ToolApprovalItems as a batch, decisions back."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.blocks.request import build_request_message
from bot.blocks.view import ActionView, RequestView
from graphs.adapters import normalize, resume_value
from graphs.adapters.openai_agents import KIND
from graphs.agents_sdk import edit_message
from graphs.models import ActionDecision

AT = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
EVIL = "<!channel> <https://x|y> & <@U1>"
SCHEMA = {"type": "object", "properties": {"amount": {"type": "number"}}}
STOP = {
    "kind": KIND,
    "agent": "Payments",
    "reasoning": f"I will pay {EVIL}",
    "items": [
        {"call_id": "c1", "tool": "pay", "agent": "Payments",
         "args": {"amount": 4200.0, "recipient": EVIL}, "schema": SCHEMA},
        {"call_id": "c2", "tool": "send_receipt", "agent": "Billing",
         "args": {"to": "ap@acme.test"}, "schema": None},
    ],
}


def test_one_stop_is_one_batch_showing_agents_and_reasoning_escaped() -> None:
    request = normalize(STOP)
    assert request.dialect == "openai_agents"
    assert request.title == "Approve 2 tool calls: Pay, Send receipt"
    assert request.description == f"Agent: Billing, Payments\nReasoning: I will pay {EVIL}"
    assert [(a.name, a.description) for a in request.actions] == [
        ("pay", "Agent: Payments"), ("send_receipt", "Agent: Billing")]
    assert request.actions[0].args_schema == SCHEMA and request.actions[1].args_schema is None
    views = [ActionView(approval_id=i, action=a, args=a.args, status="pending")
             for i, a in enumerate(request.actions, start=1)]
    text, blocks = build_request_message(RequestView(
        request_id=1, title=request.title, description=request.description,
        requested_by="UR", graph="payments_agent", actions=views, required_approvals=1,
        expires_at=AT))
    shown = json.dumps(blocks)
    assert "<!channel>" not in shown and "<https://x|y>" not in shown


def test_a_value_without_items_is_not_this_dialect() -> None:
    assert normalize({"kind": KIND, "items": []}).dialect != "openai_agents"
    assert normalize({"kind": "other", "items": [{"tool": "pay"}]}).dialect != "openai_agents"


def test_decisions_come_back_per_item_in_order() -> None:
    request = normalize(STOP)
    edited = {"amount": 4000, "recipient": "Acme"}
    value = resume_value(request, [
        ActionDecision(kind="edit", args=edited, edited=True, decided_by=["UA", "UB"],
                       decided_at=AT),
        ActionDecision(kind="reject", args={"to": "ap@acme.test"}, reason="no receipts",
                       decided_by=["UC"], decided_at=AT),
    ])
    assert value == {"decisions": [
        {"tool": "pay", "type": "edit", "args": edited, "decided_by": ["UA", "UB"]},
        {"tool": "send_receipt", "type": "reject", "message": "no receipts",
         "decided_by": ["UC"]},
    ]}
    assert edit_message("pay", edited).endswith(
        'Call pay again with exactly these arguments: {"amount": 4000, "recipient": "Acme"}')
