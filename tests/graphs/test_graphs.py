"""The built-in graphs' behaviour, several interrupts at once, and the registry."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph.state import CompiledStateGraph

from graphs.registry import BUILTIN_GRAPHS, GraphRegistry, parse_graph_specs
from graphs.scripted_model import next_message, plan_tool_calls

TASK = "Pay acme $1,250 and email bob@example.com"


async def test_small_payment_runs_without_asking(drive: Any) -> None:
    driver = drive("payments")
    assert await driver.start({"amount": 1000, "recipient": "bob"}) == []
    state = await driver.values()
    assert (state["status"], state["paid_amount"], state["recipient"]) == ("paid", 1000.0, "bob")


async def test_parallel_resume_one_while_other_pending(drive: Any, decide: Any) -> None:
    driver = drive("parallel")
    pending = await driver.start({"subject": "v2 launch"})
    titles = sorted(p.value["title"] for p in pending)
    assert titles == ["Finance sign-off: v2 launch", "Legal sign-off: v2 launch"]
    legal = next(p for p in pending if p.value["args"]["team"] == "legal")
    finance = next(p for p in pending if p.value["args"]["team"] == "finance")
    await driver.answer(legal, [decide("approve")])
    [left] = await driver.pending()
    assert left.id == finance.id
    assert "status" not in await driver.values()
    await driver.answer(finance, [decide("approve")])
    state = await driver.values()
    assert state["verdicts"] == {"legal": "approve", "finance": "approve"}
    assert state["status"] == "approved"
    assert await driver.pending() == []


async def test_parallel_one_rejection_rejects(drive: Any, decide: Any) -> None:
    driver = drive("parallel")
    for pending in await driver.start({"subject": "x"}):
        team = pending.value["args"]["team"]
        kind = "reject" if team == "finance" else "approve"
        await driver.answer(pending, [decide(kind, reason="budget")])
    state = await driver.values()
    assert state["verdicts"] == {"legal": "approve", "finance": "reject"}
    assert state["status"] == "rejected"


async def test_chain_of_three(drive: Any, decide: Any) -> None:
    driver = drive("chain")
    [first] = await driver.start({"subject": "post"})
    seen = [first.value["action"]]
    ids = {first.id}
    await driver.answer(first, [decide("approve")])
    [second] = await driver.pending()
    seen.append(second.value["action"])
    ids.add(second.id)
    await driver.answer(second, [decide("edit", {"step": "review", "subject": "post!"})])
    [third] = await driver.pending()
    seen.append(third.value["action"])
    ids.add(third.id)
    assert "status" not in await driver.values()
    await driver.answer(third, [decide("approve")])
    state = await driver.values()
    assert seen == ["draft", "review", "publish"]
    assert len(ids) == 3
    assert state["steps"] == ["approve", "edit", "approve"]
    assert state["status"] == "published"


async def test_chain_stops_on_reject(drive: Any, decide: Any) -> None:
    driver = drive("chain")
    [first] = await driver.start({"subject": "post"})
    await driver.answer(first, [decide("reject", reason="no")])
    state = await driver.values()
    assert (state["steps"], state["status"]) == (["reject"], "stopped")
    assert await driver.pending() == []


async def test_agent_resumes_in_a_rebuilt_graph(drive: Any, rebuild: Any, decide: Any) -> None:
    """A graph rebuilt elsewhere (new registry, same checkpointer) resumes the run."""
    first = drive("agent")
    [pending] = await first.start({"task": TASK})
    second = rebuild(first, "agent")
    assert second.graph is not first.graph
    await second.answer(pending, [decide("approve"), decide("approve")])
    state = await second.values()
    contents = [m.content for m in state["messages"] if isinstance(m, ToolMessage)]
    assert contents == ["Paid $1,250.00 to acme", "Sent 'Payment to acme' to bob@example.com"]
    assert state["messages"][-1].content == "Done. " + " | ".join(contents)


def test_scripted_model_is_a_function_of_history() -> None:
    calls = plan_tool_calls("please pay Globex 2,500.75 and tell cfo@globex.com")
    assert [c["name"] for c in calls] == ["pay", "send_email"]
    assert calls[0]["args"] == {"amount": 2500.75, "recipient": "Globex"}
    assert calls[1]["args"]["to"] == "cfo@globex.com"
    history = [HumanMessage(content=TASK)]
    assert next_message(history).tool_calls == next_message(history).tool_calls
    assert plan_tool_calls("do it")[0]["args"] == {"amount": 100.0, "recipient": "acme"}


# --- registry ------------------------------------------------------------------------


def test_parse_graph_specs() -> None:
    assert parse_graph_specs(None) == {}
    assert parse_graph_specs("  ") == {}
    assert parse_graph_specs(" a=pkg.mod:graph , b-2=m:obj.attr,") == {
        "a": "pkg.mod:graph",
        "b-2": "m:obj.attr",
    }


@pytest.mark.parametrize(
    "text",
    ["nameonly", "a=pkg.mod", "a=:attr", "=m:a", "a=m:a:b", "a b=m:a", "a=m:a,a=m:b", "a=1m:x"],
)
def test_parse_graph_specs_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="graph spec|given twice"):
        parse_graph_specs(text)


def test_registry_names_and_unknown() -> None:
    registry = GraphRegistry({"mine": "approvals_user_graphs:echo_graph"})
    assert registry.names() == sorted([*BUILTIN_GRAPHS, "mine"])
    assert {"payments", "email", "agent", "agent_per_call", "inbox", "parallel", "chain"} <= set(
        registry.names()
    )
    with pytest.raises(KeyError, match="unknown graph 'nope'.*payments"):
        registry.build("nope", InMemorySaver())


@pytest.mark.parametrize(
    "spec",
    [
        "approvals_user_graphs:echo_graph",
        "approvals_user_graphs:build_echo",
        "approvals_user_graphs:echo_factory",
    ],
)
async def test_registry_loads_user_graphs(spec: str, drive: Any, decide: Any) -> None:
    driver = drive("mine", extra={"mine": spec})
    assert isinstance(driver.graph, CompiledStateGraph)
    [pending] = await driver.start({"payload": {"title": "T", "args": {"k": 1}}})
    await driver.answer(pending, [decide("approve")])
    assert (await driver.values())["answer"]["args"] == {"k": 1}


def test_registry_caches_per_checkpointer() -> None:
    registry = GraphRegistry()
    one, two = InMemorySaver(), InMemorySaver()
    graph = registry.build("payments", one)
    assert registry.build("payments", one) is graph
    other = registry.build("payments", two)
    assert other is not graph and other.checkpointer is two


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no_such_module_xyz:graph", "cannot import module 'no_such_module_xyz'"),
        ("approvals_user_graphs:missing", "has no attribute 'missing'"),
        ("approvals_user_graphs:not_a_graph", "expected a StateGraph or a callable"),
        ("approvals_user_graphs:returns_junk", "returned str, not a graph"),
    ],
)
def test_registry_bad_specs(spec: str, message: str) -> None:
    registry = GraphRegistry({"bad": spec})
    with pytest.raises(ValueError, match=message) as caught:
        registry.build("bad", InMemorySaver())
    assert spec in str(caught.value)
