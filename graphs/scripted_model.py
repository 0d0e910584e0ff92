"""A deterministic chat model for the ``agent`` graphs: no key, no network.

Its next message is derived from the conversation alone (never from a counter), so a
graph rebuilt in another process resumes exactly where it stopped: while the latest
user turn has no reply it asks for the ``pay`` and ``send_email`` tools in one message;
after that it answers with a summary of the tool results.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool

_AMOUNT = re.compile(r"\$?\s*(\d[\d,]*(?:\.\d+)?)")
_RECIPIENT = re.compile(r"\bpay\s+(?!\$)([A-Za-z][\w&.-]*)", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def plan_tool_calls(task: str, *, turn: int = 1) -> list[dict[str, Any]]:
    """The ``pay`` and ``send_email`` calls for ``task``, with ids unique per turn."""
    amount_match = _AMOUNT.search(task)
    amount = float(amount_match.group(1).replace(",", "")) if amount_match else 100.0
    recipient_match = _RECIPIENT.search(task)
    recipient = recipient_match.group(1).rstrip(".") if recipient_match else "acme"
    email_match = _EMAIL.search(task)
    to = email_match.group(0) if email_match else "finance@example.com"
    body = f"We have paid ${amount:,.2f} to {recipient}.\n\nTask: {task}"
    return [
        {
            "name": "pay",
            "args": {"amount": amount, "recipient": recipient},
            "id": f"call_{turn}_pay",
            "type": "tool_call",
        },
        {
            "name": "send_email",
            "args": {"to": to, "subject": f"Payment to {recipient}", "body": body},
            "id": f"call_{turn}_send_email",
            "type": "tool_call",
        },
    ]


def reasoning_for(task: str, calls: list[dict[str, Any]]) -> str:
    """What the model says before its tool calls: why it makes them (quoting the task)."""
    pay, email = calls[0]["args"], calls[1]["args"]
    return (
        f"The task says: {task}\nSo I will pay {pay['recipient']} ${pay['amount']:,.2f} "
        f"and tell {email['to']} about it."
    )


def next_message(messages: Sequence[BaseMessage]) -> AIMessage:
    """The scripted reply to ``messages``."""
    humans = [i for i, m in enumerate(messages) if isinstance(m, HumanMessage)]
    if not humans:
        return AIMessage(content="Nothing to do.")
    last = humans[-1]
    after = messages[last + 1 :]
    if not any(isinstance(m, AIMessage) for m in after):
        task = str(messages[last].content)
        calls = plan_tool_calls(task, turn=len(humans))
        return AIMessage(content=reasoning_for(task, calls), tool_calls=calls)
    results = [str(m.content) for m in after if isinstance(m, ToolMessage)]
    return AIMessage(content="Done. " + " | ".join(results))


class ScriptedChatModel(BaseChatModel):
    """Replies via :func:`next_message`; ``bind_tools`` is accepted and ignored."""

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Return the model itself: the script already knows its tools."""
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=next_message(messages))])
