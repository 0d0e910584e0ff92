"""Agents SDK agents for tests: a payment that takes a while before it records, and an
outer agent that reaches the example's ``Payments`` agent through ``Agent.as_tool()``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from agents import Agent, RunContextWrapper, function_tool
from agents.items import ModelResponse
from agents.models.interface import Model
from agents.testing import assistant_message, function_call
from agents.usage import Usage

from graphs.agent_payments import LEDGER_DIR, payments, record
from graphs.agents_model import ScriptedAgentModel

SLOW_S = 3.0


def gate(thread_id: str, name: str) -> Path:
    """A file of the run's slow payment: ``started`` it creates when it begins (before it
    records anything); while ``hold`` exists it waits for ``go`` instead of sleeping."""
    LEDGER_DIR.mkdir(parents=True, exist_ok=True)
    return LEDGER_DIR / f"{thread_id}.{name}"


def started(thread_id: str) -> Path:
    """The file the slow payment creates when it begins."""
    return gate(thread_id, "started")


@function_tool(needs_approval=True)
async def pay(
    ctx: RunContextWrapper[dict[str, Any]], amount: float, recipient: str, invoice: str
) -> str:
    """Pay ``amount`` dollars to ``recipient`` for ``invoice``, slowly."""
    thread_id = ctx.context["thread_id"]
    await asyncio.to_thread(started(thread_id).touch)
    if gate(thread_id, "hold").exists():
        while not gate(thread_id, "go").exists():  # noqa: ASYNC110 - a file another process writes
            await asyncio.sleep(0.05)
    else:
        await asyncio.sleep(SLOW_S)
    args = {"amount": amount, "recipient": recipient, "invoice": invoice}
    await asyncio.to_thread(record, ctx.context, "pay", args)
    return f"Paid ${amount:,.2f} to {recipient} for invoice {invoice}."


slow_agent = Agent(
    name="Payments", instructions="Pay the invoice.", tools=[pay], model=ScriptedAgentModel()
)


class _Delegating(Model):
    """An outer agent's model: it hands the request to its one agent tool, then reports."""

    async def get_response(
        self, system_instructions: Any, input: Any, model_settings: Any, tools: Any,
        output_schema: Any, handoffs: Any, tracing: Any, **kwargs: Any,
    ) -> ModelResponse:
        items = input if isinstance(input, list) else [{"role": "user", "content": input}]
        task = next(str(i.get("content")) for i in items if i.get("role") == "user")
        outputs = [str(i.get("output")) for i in items if i.get("type") == "function_call_output"]
        if not outputs:
            call = function_call("payments_desk", {"input": task}, call_id="outer_1")
            return ModelResponse(output=[call], usage=Usage(), response_id=None)
        text = assistant_message("Delegated: " + outputs[-1])
        return ModelResponse(output=[text], usage=Usage(), response_id=None)

    def stream_response(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


nested_agent = Agent(
    name="Delegator",
    instructions="Use the payments desk.",
    tools=[payments.as_tool(tool_name="payments_desk", tool_description="Pays invoices.")],
    model=_Delegating(),
)
