"""OpenAI Agents SDK runs approved in Slack: a real Agent and Runner on a scripted model.

Each run goes through the real endpoint with signed clicks, its ``RunState`` in the test
database; what the tools executed is read from the example agent's ledger.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.engine.resume import decision_id_of
from graphs.agent_payments import ledger

from support.config import TEST_GRAPHS
from support.harness import Harness, eventually, reason_values

AGENT = "payments_agent"
TWO_CALLS = "Pay Acme $4,200 for invoice 88 and send the receipt to ap@acme.test"
ONE_CALL = "Pay Acme $4,200 for invoice 88"


@pytest.fixture(autouse=True)
def _no_tracing() -> None:
    import agents

    agents.set_tracing_disabled(True)


@pytest.fixture
def settings_overrides(tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("policy")
    path = tmp_path / "policy.toml"
    path.write_text(marker.args[0] if marker else "[defaults]\n")
    graphs = f"{TEST_GRAPHS},{AGENT}=graphs.agent_payments:agent"
    return {"approvals_graphs": graphs, "approvals_policy": str(path)}


def requests_posted(harness: Harness) -> list[dict[str, Any]]:
    """Every posted request message (those with buttons)."""
    return [
        p for p in harness.fake.of("chat.postMessage")
        if any(b["type"] == "actions" for b in p.get("blocks") or [])
    ]


async def outcome(harness: Harness, thread_id: str) -> Any:
    rows = await harness.rows("SELECT outcome FROM runs WHERE thread_id = %s", thread_id)
    return rows[0]["outcome"]


async def decision_ids(harness: Harness, thread_id: str) -> list[str]:
    rows = await harness.rows(
        "SELECT id, thread_id FROM requests WHERE thread_id = %s ORDER BY id", thread_id
    )
    return [decision_id_of(r) for r in rows]


async def test_two_calls_after_a_handoff_form_one_batch_and_run_once_approved(
    harness: Harness,
) -> None:
    started = await harness.start(AGENT, TWO_CALLS)
    assert started.status == "waiting"
    (post,) = requests_posted(harness)
    text = str(post["blocks"])
    assert "Payments" in text and "I will pay and send receipt." in text
    assert "ap@acme.test" in text and "4200" in text.replace(",", "")
    pay_id, receipt_id = await harness.approval_ids(started.thread_id)
    assert ledger(started.thread_id) == []

    assert (await harness.click("approve", pay_id, user="UALICE"))[0] == 200
    await eventually(lambda: _votes(harness, 1))
    assert await harness.run_status(started.thread_id) == "waiting"
    assert (await harness.click("approve", receipt_id, user="UBOB"))[0] == 200
    await harness.wait_done(started.thread_id)

    (key,) = await decision_ids(harness, started.thread_id)
    assert ledger(started.thread_id) == [
        {"tool": "pay", "args": {"amount": 4200.0, "recipient": "Acme", "invoice": "88"},
         "decision_id": key},
        {"tool": "send_receipt",
         "args": {"to": "ap@acme.test", "text": "Paid $4,200.00 for invoice 88."},
         "decision_id": key},
    ]
    final = (await outcome(harness, started.thread_id))["final_output"]
    assert final.startswith("Done. Paid $4,200.00 to Acme for invoice 88.")
    replies = [p for p in harness.fake.of("chat.postMessage") if p.get("thread_ts")]
    assert "Paid $4,200.00 to Acme" in replies[-1]["text"]


async def _votes(harness: Harness, n: int) -> bool:
    return len(await harness.rows("SELECT 1 FROM votes")) >= n


async def test_reject_with_a_reason_reaches_the_model_and_runs_nothing(harness: Harness) -> None:
    started = await harness.start(AGENT, ONE_CALL)
    (approval_id,) = await harness.approval_ids(started.thread_id)
    view = await harness.open_form("reject", approval_id, user="UALICE")
    assert await harness.submit(view, reason_values(view, "over budget"), user="UALICE") == {}
    await harness.wait_done(started.thread_id)
    assert ledger(started.thread_id) == []
    assert (await outcome(harness, started.thread_id))["final_output"] == "Done. over budget"
