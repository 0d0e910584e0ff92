"""OpenAI Agents SDK runs approved in Slack: a real Agent and Runner on a scripted model.

Each run goes through the real endpoint with signed clicks, its ``RunState`` in the test
database; what the tools executed is read from the example agent's ledger.
"""

from __future__ import annotations

from pathlib import Path

from graphs.agent_payments import ledger

from support.agent_runs import (  # noqa: F401 - no_tracing, settings_overrides: fixtures
    AGENT,
    ONE_CALL,
    TOKEN,
    TWO_CALLS,
    decision_ids,
    no_tracing,
    outcome,
    requests_posted,
    settings_overrides,
    votes,
)
from support.harness import Harness, eventually, reason_values


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
    await eventually(lambda: votes(harness, 1))
    assert await harness.run_status(started.thread_id) == "waiting"
    assert (await harness.click("approve", receipt_id, user="UBOB"))[0] == 200
    await harness.wait_done(started.thread_id)

    (key,) = await decision_ids(harness, started.thread_id)
    # The SDK runs the approved calls of one turn concurrently: either may record first.
    assert sorted(ledger(started.thread_id), key=lambda e: e["tool"]) == [
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


async def test_reject_with_a_reason_reaches_the_model_and_runs_nothing(harness: Harness) -> None:
    started = await harness.start(AGENT, ONE_CALL)
    (approval_id,) = await harness.approval_ids(started.thread_id)
    view = await harness.open_form("reject", approval_id, user="UALICE")
    assert await harness.submit(view, reason_values(view, "over budget"), user="UALICE") == {}
    await harness.wait_done(started.thread_id)
    assert ledger(started.thread_id) == []
    assert (await outcome(harness, started.thread_id))["final_output"] == "Done. over budget"


async def test_post_api_runs_starts_an_agent_with_plain_text(harness: Harness) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    body = {"graph": AGENT, "input": ONE_CALL, "requested_by": "UREQ"}
    async with harness.http.post(
        f"{harness.base_url}/api/runs", json=body, headers=headers
    ) as resp:
        assert resp.status == 201
        answer = await resp.json()
    assert answer["status"] == "waiting" and len(answer["requests"]) == 1
    (approval_id,) = await harness.approval_ids(answer["thread_id"])
    assert (await harness.click("approve", approval_id, user="UALICE"))[0] == 200
    await harness.wait_done(answer["thread_id"])
    assert [e["tool"] for e in ledger(answer["thread_id"])] == ["pay"]
    # Text is an agent's input; a graph that cannot take it leaves no run behind.
    body = {"graph": "payments", "input": "pay acme"}
    async with harness.http.post(
        f"{harness.base_url}/api/runs", json=body, headers=headers
    ) as resp:
        assert resp.status == 422
    assert len(await harness.rows("SELECT 1 FROM runs")) == 1


def test_the_bot_runs_without_the_sdk_installed(repo_root: Path) -> None:
    import subprocess
    import sys

    script = (
        "import sys; sys.modules['agents'] = None\n"  # what `import agents` finds uninstalled
        "import bot.server, bot.runtime, bot.cli\n"
        "from graphs.registry import GraphRegistry\n"
        "from graphs.agents_sdk import AgentsRunner\n"
        "graphs = GraphRegistry()\n"
        "runner = AgentsRunner(graphs, None)\n"
        "assert not any(runner.has(name) for name in graphs.names())\n"
        "assert graphs.build('payments', __import__('langgraph.checkpoint.memory', "
        "fromlist=['x']).InMemorySaver()) is not None\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=repo_root, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


async def test_a_call_inside_an_agent_tool_is_asked_and_resumed_on_the_outer_run(
    harness: Harness,
) -> None:
    started = await harness.start("nested_agent", ONE_CALL)
    (post,) = requests_posted(harness)
    assert "Payments" in str(post["blocks"])
    (approval_id,) = await harness.approval_ids(started.thread_id)
    assert (await harness.click("approve", approval_id, user="UALICE"))[0] == 200
    await harness.wait_done(started.thread_id)
    assert [e["args"]["amount"] for e in ledger(started.thread_id)] == [4200.0]
    final = (await outcome(harness, started.thread_id))["final_output"]
    assert final == "Delegated: Done. Paid $4,200.00 to Acme for invoice 88."
