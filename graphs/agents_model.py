"""A deterministic ``agents`` ``Model`` for the example agent: no key, no network.

Its next output is derived from the conversation alone (never from a counter), so a run
restored from its stored ``RunState`` in another process goes on exactly where it
stopped:
- an agent with handoffs hands the request over first;
- the paying agent says what it will do and asks for ``pay`` (and ``send_receipt`` when
  the request names an email address) in one turn; a request of several steps ("Pay A
  $1 for invoice 1, then pay B $2 for invoice 2") asks for each step once the one before
  has its answers;
- a call rejected with "Call T again with exactly these arguments: {...}" is issued
  again with those arguments (or, when the request says "insist", as first proposed);
- then it answers with a summary of what its tools returned.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

from agents.items import ModelResponse, TResponseInputItem, TResponseStreamEvent
from agents.models.interface import Model
from agents.testing import assistant_message, function_call
from agents.usage import Usage

_AMOUNT = re.compile(r"\$\s*(\d[\d,]*(?:\.\d+)?)")
_RECIPIENT = re.compile(r"\bpay\s+(?!\$)([A-Za-z][\w&.-]*)", re.IGNORECASE)
_INVOICE = re.compile(r"\binvoice\s+#?(\w+)", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_AGAIN = re.compile(r"Call (\w+) again with exactly these arguments: (\{.*\})", re.DOTALL)
_THEN = re.compile(r",?\s+then\s+", re.IGNORECASE)
_STEP = re.compile(r"_s(\d+)_")


def plan(task: str) -> list[tuple[str, dict[str, Any]]]:
    """The tool calls the request asks for: a payment, and a receipt when it names an email."""
    amount = _AMOUNT.search(task)
    recipient = _RECIPIENT.search(task)
    invoice = _INVOICE.search(task)
    args: dict[str, Any] = {
        "amount": float(amount.group(1).replace(",", "")) if amount else 100.0,
        "recipient": recipient.group(1).rstrip(".") if recipient else "Acme",
        "invoice": invoice.group(1) if invoice else "n/a",
    }
    calls: list[tuple[str, dict[str, Any]]] = [("pay", args)]
    email = _EMAIL.search(task)
    if email:
        text = f"Paid ${args['amount']:,.2f} for invoice {args['invoice']}."
        calls.append(("send_receipt", {"to": email.group(0), "text": text}))
    return calls


def _items(input: str | list[TResponseInputItem]) -> list[dict[str, Any]]:
    if isinstance(input, str):
        return [{"role": "user", "content": input}]
    return [dict(i) for i in input if isinstance(i, dict)]


def next_output(
    items: list[dict[str, Any]], *, tools: set[str], handoff: str | None
) -> list[Any]:
    """The scripted output items for a conversation, for an agent with ``tools`` (and
    ``handoff``, the tool that hands over)."""
    task = next((str(i.get("content")) for i in items if i.get("role") == "user"), "")
    calls = [i for i in items if i.get("type") == "function_call"]
    outputs = {i.get("call_id"): str(i.get("output")) for i in items
               if i.get("type") == "function_call_output"}
    call_id = f"call_{len(calls) + 1}"
    if handoff is not None and not any(c.get("name") == handoff for c in calls):
        return [function_call(handoff, {}, call_id=call_id)]
    mine = [c for c in calls if c.get("name") in tools]
    steps = [plan(part) for part in _THEN.split(task)]
    if not mine:
        planned = steps[0]
        said = "I will " + " and ".join(name.replace("_", " ") for name, _ in planned) + "."
        return [assistant_message(said)] + [
            function_call(name, args, call_id=f"{call_id}_s0_{n}")
            for n, (name, args) in enumerate(planned)
        ]
    again = [
        function_call(
            str(call.get("name")), _again_args(task, call, found),
            call_id=f"{call_id}_s{_step_of(call)}_{n}",
        )
        for n, call in enumerate(mine)
        if (found := _AGAIN.search(outputs.get(call.get("call_id"), "")))
        and not any(later.get("name") == call.get("name") for later in mine[n + 1 :])
    ]
    if again:
        return again
    step = max(_step_of(c) for c in mine) + 1
    if step < len(steps):
        return [function_call(name, args, call_id=f"{call_id}_s{step}_{n}")
                for n, (name, args) in enumerate(steps[step])]
    done = [outputs[c.get("call_id")] for c in mine if c.get("call_id") in outputs]
    return [assistant_message("Done. " + " | ".join(done))]


def _step_of(call: dict[str, Any]) -> int:
    """Which step of the request a call belongs to (its id says)."""
    found = _STEP.search(str(call.get("call_id")))
    return int(found.group(1)) if found else 0


def _again_args(task: str, call: dict[str, Any], found: re.Match[str]) -> Any:
    """The arguments the rejection named (or, when the request says "insist", the first)."""
    if "insist" in task.lower():
        return json.loads(str(call.get("arguments")))
    return json.loads(found.group(2))


class ScriptedAgentModel(Model):
    """Answers with :func:`next_output`; streaming is not scripted."""

    async def get_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        model_settings: Any,
        tools: list[Any],
        output_schema: Any,
        handoffs: list[Any],
        tracing: Any,
        *,
        previous_response_id: str | None,
        conversation_id: str | None,
        prompt: Any,
    ) -> ModelResponse:
        """The next scripted turn of the conversation."""
        handoff = handoffs[0].tool_name if handoffs else None
        names = {str(getattr(t, "name", "")) for t in tools}
        output = next_output(_items(input), tools=names, handoff=handoff)
        return ModelResponse(output=output, usage=Usage(), response_id=None)

    def stream_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        model_settings: Any,
        tools: list[Any],
        output_schema: Any,
        handoffs: list[Any],
        tracing: Any,
        *,
        previous_response_id: str | None,
        conversation_id: str | None,
        prompt: Any,
    ) -> AsyncIterator[TResponseStreamEvent]:
        """Not scripted: the bot runs agents with ``Runner.run``."""
        raise NotImplementedError("ScriptedAgentModel does not stream")
