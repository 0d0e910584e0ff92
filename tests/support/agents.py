"""An Agents SDK agent for fault tests: its payment takes a while before it records."""

from __future__ import annotations

import asyncio
from typing import Any

from agents import Agent, RunContextWrapper, function_tool

from graphs.agent_payments import record
from graphs.agents_model import ScriptedAgentModel

SLOW_S = 3.0


@function_tool(needs_approval=True)
async def pay(
    ctx: RunContextWrapper[dict[str, Any]], amount: float, recipient: str, invoice: str
) -> str:
    """Pay ``amount`` dollars to ``recipient`` for ``invoice``, slowly."""
    await asyncio.sleep(SLOW_S)
    args = {"amount": amount, "recipient": recipient, "invoice": invoice}
    await asyncio.to_thread(record, ctx.context, "pay", args)
    return f"Paid ${amount:,.2f} to {recipient} for invoice {invoice}."


slow_agent = Agent(
    name="Payments", instructions="Pay the invoice.", tools=[pay], model=ScriptedAgentModel()
)
