"""Every interrupt dialect end to end: post, click through the signed endpoint, resume."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import ToolMessage

from support.harness import Harness, eventually, reason_values

GRAPHS = "counting=support.graphs:build_counting,raw=support.dialect_graphs:raw"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"approvals_graphs": GRAPHS}


def action_blocks(post: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``actions`` blocks (one row of buttons per action) of a posted message."""
    return [
        b for b in post.get("blocks") or []
        if b["type"] == "actions" and b["block_id"].startswith("decide:")
    ]


def button_ids(post: dict[str, Any]) -> list[int]:
    """The approval id of each row of buttons, in order."""
    return [int(b["elements"][0]["value"].split(":")[0]) for b in action_blocks(post)]


def requests_posted(harness: Harness) -> list[dict[str, Any]]:
    """Every posted request message (those with buttons)."""
    return [p for p in harness.fake.of("chat.postMessage") if action_blocks(p)]


async def wait_resumed(harness: Harness, thread_id: str, count: int) -> None:
    """Wait until ``count`` requests were resumed and the run settled (waiting or done)."""

    async def resumed() -> bool:
        rows = await harness.rows(
            "SELECT count(*) AS n FROM requests WHERE thread_id = %s AND status = 'resumed'",
            thread_id,
        )
        settled = await harness.run_status(thread_id) in ("waiting", "done")
        return int(rows[0]["n"]) >= count and settled

    await eventually(resumed)


async def approve(harness: Harness, approval_id: int, user: str = "UALICE") -> None:
    status, _ = await harness.click("approve", approval_id, user=user)
    assert status == 200


async def reject_with_reason(harness: Harness, approval_id: int, reason: str, user: str) -> None:
    """Click Reject, then submit the reason modal the bot opened."""
    view = await harness.open_form("reject", approval_id, user=user)
    assert view["callback_id"] == "reject_submit"
    assert await harness.submit(view, reason_values(view, reason), user=user) == {}


async def test_batched_agent_one_message_decided_per_action(harness: Harness) -> None:
    started = await harness.start("agent", {"task": "pay acme $50 and email bob@example.com"})
    posts = requests_posted(harness)
    assert len(posts) == 1
    sections = [b for b in posts[0]["blocks"] if b["type"] == "section" and "text" in b]
    assert any(s["text"]["text"].startswith("*1. Pay*") for s in sections)
    assert any(s["text"]["text"].startswith("*2. Send email*") for s in sections)  # humanized
    pay_id, email_id = button_ids(posts[0])

    await approve(harness, pay_id)
    await eventually(lambda: _updated_with(harness, "UALICE"))
    assert await harness.run_status(started.thread_id) == "waiting"
    assert await harness.approval_ids(started.thread_id) == [pay_id, email_id]

    await reject_with_reason(harness, email_id, "no emails today", user="UBOB")
    await harness.wait_done(started.thread_id)
    state = await harness.graph_state("agent", started.thread_id)
    tools = {m.name: m for m in state.values["messages"] if isinstance(m, ToolMessage)}
    assert tools["pay"].content == "Paid $50.00 to acme"
    assert "no emails today" in str(tools["send_email"].content)
    assert tools["send_email"].status == "error"
    last = harness.fake.of("chat.update")[-1]
    assert not action_blocks(last)
    assert "no emails today" in json.dumps(last["blocks"])


async def _updated_with(harness: Harness, user: str) -> bool:
    return any(f"<@{user}>" in json.dumps(u["blocks"]) for u in harness.fake.of("chat.update"))


async def test_per_call_agent_one_message_per_interrupt(harness: Harness) -> None:
    started = await harness.start("agent_per_call", {"task": "pay acme $75"})
    posts = requests_posted(harness)
    assert len(posts) == 2
    ids = [button_ids(p)[0] for p in posts]
    await approve(harness, ids[0])
    await wait_resumed(harness, started.thread_id, 1)
    assert await harness.run_status(started.thread_id) == "waiting"
    await approve(harness, ids[1], user="UBOB")
    await harness.wait_done(started.thread_id)
    state = await harness.graph_state("agent_per_call", started.thread_id)
    tools = sorted(str(m.name) for m in state.values["messages"] if isinstance(m, ToolMessage))
    assert tools == ["pay", "send_email"]


@pytest.mark.parametrize(("click", "status"), [("approve", "deleted"), ("reject", "ignored")])
async def test_agent_inbox_accept_and_ignore(harness: Harness, click: str, status: str) -> None:
    started = await harness.start("inbox", {"path": "/tmp/old.log"})
    (post,) = requests_posted(harness)
    (approval_id,) = button_ids(post)
    if click == "approve":
        await approve(harness, approval_id)
    else:
        await reject_with_reason(harness, approval_id, "keep it", user="UALICE")
    await harness.wait_done(started.thread_id)
    state = await harness.graph_state("inbox", started.thread_id)
    assert state.values["status"] == status
    expected_type = "accept" if click == "approve" else "ignore"
    assert state.values["response"]["type"] == expected_type


async def test_parallel_branches_resumed_by_their_own_ids(harness: Harness) -> None:
    started = await harness.start("parallel", {"subject": "launch"})
    posts = requests_posted(harness)
    assert len(posts) == 2
    ids = [button_ids(p)[0] for p in posts]
    await approve(harness, ids[1])
    await wait_resumed(harness, started.thread_id, 1)
    assert await harness.run_status(started.thread_id) == "waiting"
    await approve(harness, ids[0], user="UBOB")
    await harness.wait_done(started.thread_id)
    state = await harness.graph_state("parallel", started.thread_id)
    assert state.values["verdicts"] == {"legal": "approve", "finance": "approve"}
    assert state.values["status"] == "approved"


async def test_chain_posts_each_step_at_top_level(harness: Harness) -> None:
    started = await harness.start("chain", {"subject": "post"})
    for step in range(3):

        async def posted(n: int = step + 1) -> list[dict[str, Any]]:
            posts = requests_posted(harness)
            return posts if len(posts) == n else []

        posts = await eventually(posted)
        await approve(harness, button_ids(posts[-1])[0])
        await wait_resumed(harness, started.thread_id, step + 1)
    await harness.wait_done(started.thread_id)
    posts = requests_posted(harness)
    first_ts = "1700000000.000001"
    # every step waits for someone, so none hides in the first message's thread
    assert [p.get("thread_ts") for p in posts] == [None, None, None]
    assert [p["channel"] for p in posts] == ["C0APPROVALS"] * 3

    async def finished() -> list[dict[str, Any]]:
        return [p for p in harness.fake.of("chat.postMessage") if "Run finished" in p["text"]]

    (reply,) = await eventually(finished)
    assert reply["thread_ts"] == first_ts  # the run's outcome, in its first message's thread
    state = await harness.graph_state("chain", started.thread_id)
    assert state.values["steps"] == ["approve", "approve", "approve"]
    assert state.values["status"] == "published"


@pytest.mark.parametrize("payload", ["Drop table users?", ["rm", "-rf", {"dir": "/srv"}]])
async def test_unknown_payload_shown_as_json_and_approvable(
    harness: Harness, payload: Any
) -> None:
    started = await harness.start("raw", {"payload": payload})
    (post,) = requests_posted(harness)
    shown = json.dumps(post["blocks"], ensure_ascii=False)
    if isinstance(payload, list):
        assert '\\"dir\\": \\"/srv\\"' in shown
    else:
        assert "Drop table users?" in shown
    (approval_id,) = button_ids(post)
    kinds = [e["action_id"] for e in action_blocks(post)[0]["elements"]]
    assert kinds[:2] == ["approve", "reject"] and "edit" not in kinds
    await approve(harness, approval_id)
    await harness.wait_done(started.thread_id)
    state = await harness.graph_state("raw", started.thread_id)
    answer = state.values["answer"]
    assert answer["action"] == "approve"
    assert answer["args"] == {"value": payload}
    assert answer["decided_by"] == ["UALICE"]


async def test_click_on_decided_request_says_already(harness: Harness) -> None:
    started = await harness.start("counting", {"amount": 5, "recipient": "acme"})
    (post,) = requests_posted(harness)
    (approval_id,) = button_ids(post)
    await approve(harness, approval_id)
    await harness.wait_done(started.thread_id)
    await approve(harness, approval_id, user="UBOB")

    async def told() -> list[dict[str, Any]]:
        return [e for e in harness.fake.of("chat.postEphemeral") if e["user"] == "UBOB"]

    (note,) = await eventually(told)
    assert "already" in note["text"]
    assert "<@UALICE>" in note["text"]
    rows = await harness.rows("SELECT count(*) AS n FROM side_effects")
    assert rows[0]["n"] == 1
    resumed = await harness.rows(
        "SELECT count(*) AS n FROM audit_log WHERE thread_id = %s AND event = 'resumed'",
        started.thread_id,
    )
    assert resumed[0]["n"] == 1

