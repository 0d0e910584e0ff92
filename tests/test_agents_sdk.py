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
TOKEN = "api-secret"


@pytest.fixture(autouse=True)
def _no_tracing() -> None:
    import agents

    agents.set_tracing_disabled(True)


@pytest.fixture
def settings_overrides(tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("policy")
    path = tmp_path / "policy.toml"
    path.write_text(marker.args[0] if marker else "[defaults]\n")
    graphs = (f"{TEST_GRAPHS},{AGENT}=graphs.agent_payments:agent,"
              "nested_agent=support.agents:nested_agent")
    return {"approvals_graphs": graphs, "approvals_policy": str(path),
            "approvals_api_token": TOKEN}


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


def _filled(view: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The state Slack sends for ``view``: prefilled values, with ``changes`` by label."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element, label = block["element"], block["label"]["text"]
        value = changes.get(label, element.get("initial_value"))
        entry: dict[str, Any] = {"type": element["type"], "value": value}
        values[block["block_id"]] = {element["action_id"]: entry}
    return values


async def edit_amount(harness: Harness, approval_id: int, amount: str, *, user: str) -> None:
    """Click Edit and submit the form with a new amount."""
    view = await harness.open_form("edit", approval_id, user=user)
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    label = next(x for x in labels if "mount" in x)
    answer = await harness.submit(view, _filled(view, **{label: amount}), user=user)
    assert answer.get("response_action") != "errors", answer


async def test_edit_is_reissued_by_the_model_and_runs_once_without_asking_again(
    harness: Harness,
) -> None:
    started = await harness.start(AGENT, ONE_CALL)
    (approval_id,) = await harness.approval_ids(started.thread_id)
    await edit_amount(harness, approval_id, "4000", user="UALICE")
    await harness.wait_done(started.thread_id)

    (key,) = await decision_ids(harness, started.thread_id)
    assert ledger(started.thread_id) == [
        {"tool": "pay", "args": {"amount": 4000.0, "recipient": "Acme", "invoice": "88"},
         "decision_id": key},
    ]
    assert len(requests_posted(harness)) == 1  # the re-issued call was not asked about
    final = (await outcome(harness, started.thread_id))["final_output"]
    assert "exactly these arguments" in final and "Paid $4,000.00 to Acme" in final
    (by_edit,) = await harness.rows(
        "SELECT actor, reason, args_after FROM audit_log "
        "WHERE event = 'approved' AND detail->>'by_edit' = 'true'"
    )
    assert by_edit["actor"] == "UALICE" and by_edit["reason"] == "approved by <@UALICE>'s edit"
    assert by_edit["args_after"]["amount"] == 4000


async def test_a_different_reissued_call_is_a_new_request_and_old_clicks_are_stale(
    harness: Harness,
) -> None:
    started = await harness.start(AGENT, ONE_CALL + " (insist)")
    (first,) = await harness.approval_ids(started.thread_id)
    old_value = await harness.value_of(first)
    await edit_amount(harness, first, "4000", user="UALICE")

    async def asked_again() -> bool:
        return len(requests_posted(harness)) == 2

    await eventually(asked_again)
    assert await harness.run_status(started.thread_id) == "waiting"
    assert ledger(started.thread_id) == []
    (second,) = await harness.approval_ids(started.thread_id)
    assert second != first
    assert "4200" in str(requests_posted(harness)[1]["blocks"]).replace(",", "")

    # A click on the first request, made on the message as it was: refused, nothing runs.
    assert (await harness.click("approve", first, user="UBOB", value=old_value))[0] == 200
    told = await eventually(lambda: _ephemerals(harness))
    assert "already" in told[-1]["text"] or "changed" in told[-1]["text"], told[-1]
    assert ledger(started.thread_id) == []
    assert await harness.run_status(started.thread_id) == "waiting"

    assert (await harness.click("approve", second, user="UBOB"))[0] == 200
    await harness.wait_done(started.thread_id)
    entries = ledger(started.thread_id)
    assert [(e["tool"], e["args"]["amount"]) for e in entries] == [("pay", 4200.0)]
    assert entries[0]["decision_id"] == (await decision_ids(harness, started.thread_id))[1]


async def _ephemerals(harness: Harness) -> list[dict[str, Any]]:
    return harness.fake.of("chat.postEphemeral")


@pytest.mark.policy("[graphs.payments_agent.actions.pay]\nrequired_approvals = 2\n")
async def test_two_person_sign_off_runs_the_call_only_after_the_second(harness: Harness) -> None:
    started = await harness.start(AGENT, ONE_CALL)
    (approval_id,) = await harness.approval_ids(started.thread_id)
    assert (await harness.click("approve", approval_id, user="UALICE"))[0] == 200
    await eventually(lambda: _votes(harness, 1))
    assert (await harness.click("approve", approval_id, user="UALICE"))[0] == 200
    told = await eventually(lambda: _ephemerals(harness))
    assert "already approved" in told[-1]["text"]
    assert await harness.run_status(started.thread_id) == "waiting"
    assert ledger(started.thread_id) == []
    assert (await harness.click("approve", approval_id, user="UBOB"))[0] == 200
    await harness.wait_done(started.thread_id)
    assert [e["args"]["amount"] for e in ledger(started.thread_id)] == [4200.0]


async def test_expiry_rejects_with_its_reason_and_runs_nothing(harness: Harness) -> None:
    from bot.engine.sweeper import sweep_once

    started = await harness.start(AGENT, ONE_CALL)
    await harness.rows(
        "UPDATE requests SET expires_at = now() - interval '1 second' WHERE thread_id = %s "
        "RETURNING id", started.thread_id,
    )
    await sweep_once(harness.deps, grace_s=0)
    await harness.wait_done(started.thread_id)
    assert ledger(started.thread_id) == []
    final = (await outcome(harness, started.thread_id))["final_output"]
    assert final.startswith("Done. timed out after")
    assert "⏱ *Expired*" in str(harness.fake.of("chat.update")[-1]["blocks"])


async def test_a_double_click_runs_the_call_once(harness: Harness) -> None:
    import asyncio

    started = await harness.start(AGENT, ONE_CALL)
    (approval_id,) = await harness.approval_ids(started.thread_id)
    value = await harness.value_of(approval_id)
    clicks = await asyncio.gather(
        harness.click("approve", approval_id, user="UALICE", value=value),
        harness.click("approve", approval_id, user="UALICE", value=value),
    )
    assert [status for status, _ in clicks] == [200, 200]
    await harness.wait_done(started.thread_id)
    await eventually(lambda: _ephemerals(harness))
    assert len(ledger(started.thread_id)) == 1
    rows = await harness.rows("SELECT count(*) AS n FROM agent_states WHERE thread_id = %s",
                              started.thread_id)
    assert rows[0]["n"] == 2  # the stop, then the finish: one resume


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


README_POLICY = """
[[graphs.payments_agent.actions.pay.rules]]
when = "amount > 10000.0"
required_approvals = 2
"""


@pytest.mark.policy(README_POLICY)
async def test_the_rule_on_a_tools_arguments_decides_who_must_sign(harness: Harness) -> None:
    small = await harness.start(AGENT, ONE_CALL)
    big = await harness.start(
        AGENT, "Pay Acme $12,000 for invoice 90 and send the receipt to ap@acme.test"
    )
    policies = await harness.rows(
        "SELECT thread_id, policy FROM requests WHERE thread_id = ANY(%s)",
        [small.thread_id, big.thread_id],
    )
    needed = {r["thread_id"]: r["policy"]["required_approvals"] for r in policies}
    assert needed == {small.thread_id: 1, big.thread_id: 2}
    pay_id, receipt_id = await harness.approval_ids(big.thread_id)
    assert (await harness.click("approve", pay_id, user="UALICE"))[0] == 200
    await eventually(lambda: _votes(harness, 1))
    assert (await harness.click("approve", receipt_id, user="UALICE"))[0] == 200
    await eventually(lambda: _votes(harness, 2))
    assert await harness.run_status(big.thread_id) == "waiting"
    assert ledger(big.thread_id) == []
    for approval_id in (pay_id, receipt_id):
        assert (await harness.click("approve", approval_id, user="UBOB"))[0] == 200
    await harness.wait_done(big.thread_id)
    assert [e["tool"] for e in ledger(big.thread_id)] == ["pay", "send_receipt"]
