""""Approve for this run" on a LangGraph graph written as the docs write one:
a node that asks with ``interrupt()`` about each payment of a list in turn.

The grant is a standing approval scoped to the run: later calls of the same action in
that run are approved as the granter's, each only where its own policy sets
``always_approve``; it is listed and revocable while the run goes on, and ends with it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypedDict

import pytest
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt

from support.config import TEST_GRAPHS
from support.harness import Harness, eventually
from support.standing import command, revoke, revoke_buttons, run_buttons

POLICY = """
[graphs.payroll.actions.pay]
approvers = ["UALICE", "UBOB"]
always_approve = true

[graphs.payroll.actions.refund]
approvers = ["UALICE", "UBOB"]
"""


class PayrollState(TypedDict, total=False):
    payments: list[dict[str, Any]]
    done: list[str]


def build_payroll(checkpointer: BaseCheckpointSaver) -> Any:
    """Asks about each payment in turn and carries out those approved."""

    def pay_next(state: PayrollState) -> dict[str, Any]:
        done = list(state.get("done", []))
        payment = state["payments"][len(done)]
        args = {"amount": payment["amount"], "recipient": payment["recipient"]}
        answer = interrupt({"action": payment["action"], "args": args,
                            "title": f"{payment['action']} {payment['amount']}"})
        if answer.get("action") == "approve":
            args = answer["args"]
            return {"done": [*done, f"{payment['action']} {args['amount']} {args['recipient']}"]}
        return {"done": [*done, f"skipped {payment['action']}"]}

    def more(state: PayrollState) -> str:
        return "pay_next" if len(state.get("done", [])) < len(state["payments"]) else END

    graph = StateGraph(PayrollState)
    graph.add_node("pay_next", pay_next)
    graph.add_edge(START, "pay_next")
    graph.add_conditional_edges("pay_next", more, ["pay_next", END])
    return graph.compile(checkpointer=checkpointer)


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY)
    return {"approvals_policy": str(path),
            "approvals_graphs": f"{TEST_GRAPHS},payroll=test_standing_run:build_payroll"}


def payment(action: str, amount: int, recipient: str) -> dict[str, Any]:
    return {"action": action, "amount": amount, "recipient": recipient}


async def asked_next(harness: Harness, thread_id: str, answered: set[int]) -> int:
    """The run's next open approval, once the ones ``answered`` are behind it."""

    async def next_one() -> list[int]:
        return [i for i in await harness.approval_ids(thread_id) if i not in answered]

    (approval_id,) = await eventually(next_one)
    return int(approval_id)


async def start_and_grant(harness: Harness, *payments: dict[str, Any]) -> tuple[str, int]:
    """Start a run and click "Approve for this run" on its first question, as UALICE; the
    run's thread and that first approval."""
    thread_id = (await harness.start("payroll", {"payments": list(payments)})).thread_id
    first = await asked_next(harness, thread_id, set())
    assert run_buttons(harness, first) == ["Approve for this run"]
    assert (await harness.click("approve_run", first, user="UALICE"))[0] == 200
    return thread_id, first


async def done_of(harness: Harness, thread_id: str) -> list[str]:
    return list((await harness.graph_state("payroll", thread_id)).values["done"])


async def test_later_payments_of_the_run_are_approved_under_the_grant(harness: Harness) -> None:
    thread_id, _ = await start_and_grant(
        harness, payment("pay", 5, "acme"), payment("pay", 7, "globex"),
        payment("pay", 9, "initech"))
    await harness.wait_done(thread_id)
    assert await done_of(harness, thread_id) == ["pay 5 acme", "pay 7 globex", "pay 9 initech"]
    used = await harness.rows(
        "SELECT actor FROM audit_log WHERE thread_id = %s AND event = 'standing_used'",
        thread_id)
    assert [u["actor"] for u in used] == ["UALICE", "UALICE"]
    # Another run of the same graph still asks.
    other = await harness.start("payroll", {"payments": [payment("pay", 5, "acme")]})
    assert await harness.run_status(other.thread_id) == "waiting"


async def test_it_is_listed_revocable_and_stops_at_the_revocation(harness: Harness) -> None:
    thread_id, first = await start_and_grant(
        harness, payment("pay", 5, "acme"), payment("refund", 3, "acme"),
        payment("pay", 7, "globex"))
    refund = await asked_next(harness, thread_id, {first})  # not `always_approve`
    assert run_buttons(harness, refund) == []
    listed = await command(harness, "standing", user="UBOB")
    assert f"for the rest of run `{thread_id}`" in str(listed["blocks"])
    (grant_id,) = revoke_buttons(listed)
    await revoke(harness, grant_id, user="UBOB")
    assert (await harness.click("approve", refund, user="UBOB"))[0] == 200
    last = await asked_next(harness, thread_id, {first, refund})
    assert await harness.run_status(thread_id) == "waiting"
    assert (await harness.click("approve", last, user="UBOB"))[0] == 200
    await harness.wait_done(thread_id)
    assert await done_of(harness, thread_id) == [
        "pay 5 acme", "refund 3 acme", "pay 7 globex"]
    used = await harness.rows("SELECT 1 FROM audit_log WHERE event = 'standing_used'")
    assert used == []
