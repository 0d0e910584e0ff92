"""A Microsoft Agent Framework agent whose `refund` tool is approved by people in Slack.

The tool is declared with ``approval_mode="always_require"``: a run stops with
``user_input_requests``. Each one goes to the Slack approvals bot through its API
(``bot.api.client``); the people's decision becomes the framework's own
``to_function_approval_response``. The chat client is scripted, so no key and no
network are needed: put any Agent Framework chat client in its place.

    APPROVALS_URL=http://localhost:3000 APPROVALS_API_TOKEN=… python agent.py
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Annotated, Any

from agent_framework import (
    Agent,
    BaseChatClient,
    ChatResponse,
    Content,
    FunctionInvocationLayer,
    Message,
    tool,
)

from bot.api.client import ApprovalsClient

executed: list[dict[str, Any]] = []


@tool(approval_mode="always_require")
def refund(
    order: Annotated[str, "The order to refund"], amount: Annotated[float, "How much"]
) -> str:
    """Refund an order."""
    executed.append({"order": order, "amount": amount})
    return f"refunded {amount:g} on order {order}"


class ScriptedChatClient(FunctionInvocationLayer, BaseChatClient):
    """A chat client that asks for one refund, then reports what the tool said."""

    async def _inner_get_response(self, *, messages: Any, stream: bool, options: Any,
                                  **kwargs: Any) -> ChatResponse:
        last = messages[-1]
        if last.role == "tool":
            said = [c.result for c in last.contents if c.type == "function_result"]
            return ChatResponse(messages=[Message(role="assistant",
                                                  contents=[f"Tool said: {said}"])])
        call = Content.from_function_call(
            call_id="call-1", name="refund",
            arguments={"order": os.environ.get("ORDER", "1234"), "amount": 420},
        )
        return ChatResponse(messages=[Message(role="assistant", contents=[call])])


async def main() -> None:
    agent = Agent(client=ScriptedChatClient(), name="refunds", tools=[refund])
    session = agent.create_session()
    decisions = []
    async with ApprovalsClient(os.environ["APPROVALS_URL"],
                               os.environ["APPROVALS_API_TOKEN"]) as approvals:
        result = await agent.run("Refund order 1234, please.", session=session)
        while result.user_input_requests:
            responses = []
            for request in result.user_input_requests:
                call = request.function_call
                args = call.parse_arguments() or {}
                created = await approvals.create(
                    title=f"Refund order {args.get('order')}", action=call.name, args=args,
                    # the framework runs only the call it asked about: edits are not offered
                    approval={"allowed_decisions": ["approve", "reject"]},
                    requested_by=os.environ.get("REQUESTED_BY"),
                    idempotency_key=request.id,
                )
                decision = await approvals.wait(created["id"])
                decisions.append(decision)
                responses.append(
                    request.to_function_approval_response(approved=decision["action"] == "approve")
                )
            result = await agent.run(Message(role="user", contents=responses), session=session)
    print(json.dumps({"text": result.text, "executed": executed, "decisions": decisions}))


if __name__ == "__main__":
    asyncio.run(main())
