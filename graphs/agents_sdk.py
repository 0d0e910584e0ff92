"""``AgentsRunner``: OpenAI Agents SDK agents, their ``RunState`` kept in Postgres.

A run that reaches tool calls needing approval stops with ``result.interruptions``. Its
``RunState.to_json()`` is stored as the run's next version, with the items to decide as
one pending payload (``graphs.adapters.openai_agents``); the version is the interrupt
id, so a decision is applied to exactly the state it was made on. A resume restores that
version with ``RunState.from_json``, applies every decision (``state.approve`` /
``state.reject``) and runs on with ``Runner.run``. The run context is a dict holding the
run's ``thread_id`` and the ``decision_id`` of the decision being applied, the key a
tool passes on as an idempotency key.

The SDK has no edit: an edited call is rejected with a message naming the corrected
arguments, and the model's next call of that tool is approved without asking only when
its arguments are exactly those (audited as approved by the edit).

``openai-agents`` is an optional extra: nothing here imports it until an agent runs.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from graphs.adapters.openai_agents import KIND
from graphs.registry import GraphRegistry
from graphs.runner import Pending, RunRef, Snapshot


class StateStore(Protocol):
    """Where run states live (``persistence.agent_states.AgentStates``)."""

    async def latest(self, thread_id: str) -> dict[str, Any] | None:
        """The run's latest stored version."""
        ...

    async def version(self, thread_id: str, version: int) -> dict[str, Any] | None:
        """One stored version."""
        ...

    async def save(
        self,
        thread_id: str,
        *,
        version: int,
        state: dict[str, Any],
        pending: Any,
        final_output: Any,
        expect: list[dict[str, Any]],
        notes: list[dict[str, Any]],
    ) -> None:
        """Store ``version`` once, under the run's fence."""
        ...


def edit_message(tool: str, args: Any) -> str:
    """What the model is told when a reviewer edited its call (the SDK's own way to edit)."""
    exact = json.dumps(args, sort_keys=True, ensure_ascii=False)
    return (
        f"A reviewer changed the arguments of this {tool} call, so it was not run. "
        f"Call {tool} again with exactly these arguments: {exact}"
    )


def call_args(item: Any) -> Any:
    """The parsed JSON arguments of a ``ToolApprovalItem`` (the raw text when not JSON)."""
    raw = item.raw_item
    text = raw.get("arguments") if isinstance(raw, dict) else getattr(raw, "arguments", None)
    if not isinstance(text, str):
        return text if text is not None else {}
    try:
        return json.loads(text) if text.strip() else {}
    except json.JSONDecodeError:
        return text


def call_id(item: Any) -> str:
    """The call id of a ``ToolApprovalItem``."""
    raw = item.raw_item
    found = raw.get("call_id") if isinstance(raw, dict) else getattr(raw, "call_id", None)
    return str(found or getattr(raw, "id", "") or "")


class AgentsRunner:
    """Registered ``agents.Agent``s, run in this process, their state in ``store``."""

    kind = "agents"

    def __init__(self, graphs: GraphRegistry, store: StateStore) -> None:
        """Agents come from ``graphs`` (``APPROVALS_GRAPHS``); states go to ``store``."""
        self.graphs = graphs
        self.store = store

    def has(self, graph: str) -> bool:
        """True when ``graph`` names a registered Agent (a bad spec is left to the graphs)."""
        try:
            return self.graphs.agent(graph) is not None
        except ValueError:
            return False

    def _agent(self, graph: str) -> Any:
        agent = self.graphs.agent(graph)
        if agent is None:
            raise KeyError(f"{graph!r} is not a registered Agent")
        return agent

    async def start(self, ref: RunRef, input: Any, *, metadata: dict[str, Any]) -> None:
        """``Runner.run(agent, input)`` until it finishes or stops for approvals."""
        from agents import Runner

        agent = self._agent(ref.graph)
        text = input if isinstance(input, str | list) else json.dumps(input)
        context = {"thread_id": ref.thread_id, "decision_id": None}
        result = await Runner.run(agent, text, context=context)
        await self._settle(ref, agent, result, version=1, expect=[])

    async def snapshot(self, ref: RunRef) -> Snapshot:
        """The latest stored version: its items to decide, or the run's final output."""
        row = await self.store.latest(ref.thread_id)
        if row is None:
            return Snapshot((), ("agent",), None)
        if row["pending"]:
            return Snapshot((Pending(f"v{row['version']}", row["pending"]),), ("tools",), None)
        return Snapshot((), (), {"final_output": row["final_output"]})

    async def resume(self, ref: RunRef, *, interrupt_id: str, value: Any) -> None:
        """Restore the version ``interrupt_id`` names, apply each decision, run on."""
        from agents import Runner, RunState

        version = int(interrupt_id.removeprefix("v"))
        row = await self.store.version(ref.thread_id, version)
        if row is None or not row["pending"]:
            raise LookupError(f"run {ref.thread_id} has no pending version {interrupt_id}")
        agent = self._agent(ref.graph)
        context = {"thread_id": ref.thread_id, "decision_id": value.get("decision_id")}
        state = await RunState.from_json(agent, row["state"], context_override=context)
        expect = list(row["expect"] or [])
        # A nested run (``Agent.as_tool()``) may reuse a call id: the agent and tool tell.
        items = {_key(i.agent.name, i.tool_name, call_id(i)): i
                 for i in state.get_interruptions()}
        for asked, decision in zip(row["pending"]["items"], value["decisions"], strict=True):
            item = items[_key(asked["agent"], asked["tool"], asked["call_id"])]
            _apply(state, item, decision, expect)
        result = await Runner.run(agent, state)
        await self._settle(ref, agent, result, version=version + 1, expect=expect)

    async def proceed(self, ref: RunRef) -> None:
        """Nothing to do: a version is stored only once reached, so a resume cut short
        is applied again to the version it was made on."""

    async def _settle(
        self, ref: RunRef, agent: Any, result: Any, *, version: int, expect: list[dict[str, Any]]
    ) -> None:
        """Store where the run stopped as ``version``; calls re-issued exactly as edited
        run on at once."""
        from agents import Runner

        notes: list[dict[str, Any]] = []
        while result.interruptions:
            state = result.to_state()
            asking = []
            for item in result.interruptions:
                note = _expected(expect, item)
                if note is not None:
                    state.approve(item)
                    notes.append(note)
                else:
                    asking.append(item)
            if asking:
                await self.store.save(
                    ref.thread_id, version=version, state=state.to_json(),
                    pending=_payload(result, asking), final_output=None, expect=expect,
                    notes=notes,
                )
                return
            result = await Runner.run(agent, state)
        # Edits the model did not act on before it finished expire with the run.
        await self.store.save(
            ref.thread_id, version=version, state=result.to_state().to_json(), pending=None,
            final_output=_jsonable(result.final_output), expect=[], notes=notes,
        )


def _key(agent: Any, tool: Any, call: Any) -> tuple[str, str, str]:
    return (str(agent), str(tool), str(call))


def _apply(state: Any, item: Any, decision: dict[str, Any], expect: list[dict[str, Any]]) -> None:
    kind = decision.get("type")
    if kind == "approve":
        state.approve(item)
    elif kind == "edit":
        tool, args = str(item.tool_name), decision.get("args")
        state.reject(item, rejection_message=edit_message(tool, args))
        expect.append({"tool": tool, "args": args, "by": decision.get("decided_by") or []})
    else:
        state.reject(item, rejection_message=decision.get("message") or None)


def _expected(expect: list[dict[str, Any]], item: Any) -> dict[str, Any] | None:
    """A call of an edited tool uses up one edit of it (the one it matches exactly, if
    any): it is approved only when its arguments are exactly the edited ones."""
    tool, args = str(item.tool_name), call_args(item)
    waiting = [e for e in expect if e.get("tool") == tool]
    if not waiting:
        return None
    match = next((e for e in waiting if e.get("args") == args), waiting[0])
    expect.remove(match)
    if args != match.get("args"):
        return None
    return {"tool": tool, "args": args, "call_id": call_id(item), "by": match.get("by")}


def _payload(result: Any, asking: list[Any]) -> dict[str, Any]:
    """The items of one stop as the adapter reads them."""
    return {
        "kind": KIND,
        "agent": result.last_agent.name,
        "reasoning": _reasoning(result),
        "items": [
            {
                "call_id": call_id(item),
                "tool": str(item.tool_name),
                "agent": item.agent.name,
                "args": call_args(item),
                "schema": _schema(item),
            }
            for item in asking
        ],
    }


def _reasoning(result: Any) -> str | None:
    """The model's last text of this run segment (what it said before its tool calls)."""
    from agents import ItemHelpers, MessageOutputItem

    texts = [
        ItemHelpers.text_message_output(i) for i in result.new_items
        if isinstance(i, MessageOutputItem)
    ]
    texts = [t for t in texts if t.strip()]
    return texts[-1] if texts else None


def _schema(item: Any) -> dict[str, Any] | None:
    """The function tool's JSON Schema, for the edit form (None for other tools)."""
    for tool in getattr(item.agent, "tools", []):
        if getattr(tool, "name", None) == item.tool_name:
            schema = getattr(tool, "params_json_schema", None)
            return schema if isinstance(schema, dict) else None
    return None


def _jsonable(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        value = dump(mode="json")
    return json.loads(json.dumps(value, default=str))
