"""An OpenAI Agents SDK agent whose consequential tools need approval.

Register it like a graph: ``APPROVALS_GRAPHS=payments_agent=graphs.agent_payments:agent``.
A front desk agent hands payment requests to the ``Payments`` agent, whose ``pay`` tool
always needs approval and whose ``send_receipt`` needs it for addresses outside
``example.com``. Both run on a scripted model, so no key is needed.

The tools' side effect is a line in a ledger file per run (as a payment provider would
keep one), carrying the ``decision_id`` the bot passes through the run context: the key
a real tool sends as its ``Idempotency-Key``.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

from agents import Agent, RunContextWrapper, function_tool

from graphs.agents_model import ScriptedAgentModel

LEDGER_DIR = Path(tempfile.gettempdir()) / "approvals-payments-agent"


def ledger(thread_id: str) -> list[dict[str, Any]]:
    """Every tool execution of one run, in order."""
    path = LEDGER_DIR / f"{thread_id}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def record(context: dict[str, Any], tool: str, args: dict[str, Any]) -> None:
    """Append one execution to the run's ledger, with the decision's idempotency key."""
    LEDGER_DIR.mkdir(parents=True, exist_ok=True)
    entry = {"tool": tool, "args": args, "decision_id": context.get("decision_id")}
    with (LEDGER_DIR / f"{context['thread_id']}.jsonl").open("a") as out:
        out.write(json.dumps(entry) + "\n")


@function_tool(needs_approval=True)
async def pay(
    ctx: RunContextWrapper[dict[str, Any]], amount: float, recipient: str, invoice: str
) -> str:
    """Pay ``amount`` dollars to ``recipient`` for ``invoice``."""
    args = {"amount": amount, "recipient": recipient, "invoice": invoice}
    await asyncio.to_thread(record, ctx.context, "pay", args)
    return f"Paid ${amount:,.2f} to {recipient} for invoice {invoice}."


async def _outside(ctx: RunContextWrapper[Any], params: dict[str, Any], call_id: str) -> bool:
    """A receipt to an address outside the company needs approval."""
    return not str(params.get("to", "")).endswith("@example.com")


@function_tool(needs_approval=_outside)
async def send_receipt(ctx: RunContextWrapper[dict[str, Any]], to: str, text: str) -> str:
    """Email a payment receipt."""
    await asyncio.to_thread(record, ctx.context, "send_receipt", {"to": to, "text": text})
    return f"Receipt sent to {to}."


payments = Agent(
    name="Payments",
    instructions="Pay the invoice the user asks for and send the receipt if asked.",
    tools=[pay, send_receipt],
    model=ScriptedAgentModel(),
)

agent = Agent(
    name="Front desk",
    instructions="Hand every payment request to the Payments agent.",
    handoffs=[payments],
    model=ScriptedAgentModel(),
)
