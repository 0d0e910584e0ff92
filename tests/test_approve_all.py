"""Approve all on a batch, and Respond's text modal: one click, each call decided alone."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from test_blocks_request import action_view, check_valid, request_view

from bot.blocks.approve_all import approve_all_block, parse_refs
from bot.blocks.request import build_request_message
from bot.blocks.version import encode_ref

from support.harness import Harness, click_payload, eventually, reason_values


@pytest.fixture
def settings_overrides(tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("policy")
    path = tmp_path / "policy.toml"
    path.write_text(marker.args[0] if marker else "[defaults]\n")
    return {"approvals_policy": str(path)}


def approve_all_button(post: dict[str, Any]) -> dict[str, Any] | None:
    for block in post.get("blocks") or []:
        if block["type"] == "actions" and block["block_id"].startswith("approve_all:"):
            return block["elements"][0]  # type: ignore[no-any-return]
    return None


async def start_batch(harness: Harness) -> tuple[str, dict[str, Any]]:
    started = await harness.start("agent", {"task": "pay acme $50 and email bob@example.com"})
    (post,) = [p for p in harness.fake.of("chat.postMessage") if approve_all_button(p)]
    return started.thread_id, approve_all_button(post) or {}


async def click_all(harness: Harness, value: str, *, user: str) -> None:
    payload = click_payload("approve_all", 0, user=user, value=value)
    status, _ = await harness.send(payload)
    assert status == 200


async def approved_events(harness: Harness, thread_id: str) -> list[dict[str, Any]]:
    return await harness.rows(
        "SELECT approval_id, actor FROM audit_log WHERE thread_id = %s AND event = 'approved' "
        "ORDER BY id", thread_id,
    )


async def test_one_click_approves_every_call_each_audited(harness: Harness) -> None:
    thread_id, button = await start_batch(harness)
    ids = await harness.approval_ids(thread_id)
    assert button["text"]["text"] == "Approve all"
    assert [r.approval_id for r in parse_refs(button["value"]) or []] == ids
    await click_all(harness, button["value"], user="UALICE")
    await harness.wait_done(thread_id)
    events = await approved_events(harness, thread_id)
    assert [(e["approval_id"], e["actor"]) for e in events] == [(i, "UALICE") for i in ids]
    state = await harness.graph_state("agent", thread_id)
    assert "Paid $50.00 to acme" in str(state.values["messages"])


@pytest.mark.policy("[graphs.agent]\nrequired_approvals = 2\n")
async def test_with_two_person_sign_off_it_is_one_approval_of_each(harness: Harness) -> None:
    thread_id, button = await start_batch(harness)
    await click_all(harness, button["value"], user="UALICE")

    async def both_counted() -> bool:
        return len(await approved_events(harness, thread_id)) == 2

    await eventually(both_counted)
    assert await harness.run_status(thread_id) == "waiting"
    await click_all(harness, button["value"], user="UALICE")  # the same person again: refused
    told = await eventually(lambda: _ephemerals(harness))
    assert "already approved" in told[-1]["text"]
    await click_all(harness, button["value"], user="UBOB")
    await harness.wait_done(thread_id)
    assert len(await approved_events(harness, thread_id)) == 4


async def _ephemerals(harness: Harness) -> list[dict[str, Any]]:
    return harness.fake.of("chat.postEphemeral")


async def test_a_forged_or_stale_value_records_nothing(harness: Harness) -> None:
    thread_id, button = await start_batch(harness)
    ids = await harness.approval_ids(thread_id)
    stale = ",".join(encode_ref(i, 1, {"amount": 1_000_000}) for i in ids)
    for value in (stale, "1,2", f"{ids[0]}:1:" + "0" * 16, button["value"] + "," + button["value"]):
        await click_all(harness, value, user="UALICE")
    await eventually(lambda: _at_least(harness, 4))
    assert await approved_events(harness, thread_id) == []
    assert await harness.run_status(thread_id) == "waiting"


async def _at_least(harness: Harness, n: int) -> bool:
    return len(harness.fake.of("chat.postEphemeral")) >= n


def _row_ids(view: Any) -> list[str] | None:
    row = approve_all_block(view)
    return None if row is None else [e["action_id"] for e in row["elements"]]


def test_shown_only_when_every_waiting_call_allows_approve() -> None:
    two = [action_view(1), action_view(2)]
    text, blocks = build_request_message(request_view(two))
    check_valid(blocks)
    assert _row_ids(request_view(two)) == ["approve_all", "reject_all", "cancel"]
    assert _row_ids(request_view([action_view(1)])) is None  # not a batch
    no_approve = replace(two[1], action=two[1].action.model_copy(update={"allowed": ("reject",)}))
    assert _row_ids(request_view([two[0], no_approve])) == ["reject_all", "cancel"]
    one_left = [action_view(1, status="approved"), action_view(2)]
    assert _row_ids(request_view(one_left)) is None


def test_the_batch_row_stands_apart_and_cancel_appears_once() -> None:
    _, blocks = build_request_message(request_view([action_view(1), action_view(2)]))
    check_valid(blocks)
    kinds = [b["type"] for b in blocks]
    row = kinds.index("actions", len(kinds) - 3)  # the batch row, near the end
    assert blocks[row]["block_id"].startswith("approve_all:")
    assert kinds[row - 2] == "divider" and "Every call at once" in json.dumps(blocks[row - 1])
    cancels = [e for b in blocks if b["type"] == "actions" for e in b["elements"]
               if e["action_id"] == "cancel"]
    assert len(cancels) == 1


async def test_reject_all_rejects_each_call_through_the_decision_path(harness: Harness) -> None:
    thread_id, button = await start_batch(harness)
    ids = await harness.approval_ids(thread_id)
    (post,) = [p for p in harness.fake.of("chat.postMessage") if approve_all_button(p)]
    row = next(b for b in post["blocks"] if b.get("block_id", "").startswith("approve_all:"))
    reject = next(e for e in row["elements"] if e["action_id"] == "reject_all")
    status, _ = await harness.send(click_payload("reject_all", 0, user="UALICE",
                                                 value=reject["value"]))
    assert status == 200
    await harness.wait_done(thread_id)
    rejected = await harness.rows(
        "SELECT approval_id, actor FROM audit_log WHERE thread_id = %s AND event = 'rejected' "
        "ORDER BY id", thread_id,
    )
    assert [(r["approval_id"], r["actor"]) for r in rejected] == [(i, "UALICE") for i in ids]
    state = await harness.graph_state("agent", thread_id)
    assert "Paid $50.00 to acme" not in str(state.values["messages"])  # nothing ran

    async def finished() -> list[str]:
        return [p["text"] for p in harness.fake.of("chat.postMessage")
                if "Run finished" in p["text"]]

    (text,) = await eventually(finished)
    assert "❌ *Pay* rejected" in text and "❌ *Send email* rejected" in text


@pytest.mark.policy(
    '[graphs.inbox]\nallowed_decisions = ["approve", "edit", "reject", "respond"]\n'
)
async def test_agent_inbox_respond_opens_a_text_modal_and_resumes_with_the_text(
    harness: Harness,
) -> None:
    started = await harness.start("inbox", {"path": "/tmp/old.log"})
    (post,) = harness.fake.of("chat.postMessage")
    row = next(b for b in post["blocks"] if b["type"] == "actions")
    assert "respond" in [e["action_id"] for e in row["elements"]]
    (approval_id,) = await harness.approval_ids(started.thread_id)
    view = await harness.open_form("respond", approval_id, user="UALICE")
    assert view["callback_id"] == "respond_submit"
    answer = await harness.submit(view, reason_values(view, "archive it"), user="UALICE")
    assert answer == {}
    await harness.wait_done(started.thread_id)
    state = await harness.graph_state("inbox", started.thread_id)
    response = state.values["response"]
    assert (response["type"], response["args"]) == ("response", "archive it")
    assert state.values["status"] == "answered"


async def test_acked_only_once_every_call_is_recorded(harness: Harness) -> None:
    import psycopg

    from bot.listeners.actions.decide import RECORDED, STILL_RECORDING

    thread_id, button = await start_batch(harness)
    (request,) = await harness.rows(
        "SELECT id FROM requests WHERE thread_id = %s AND resumed_at IS NULL", thread_id
    )
    url = harness.deps.pool.conninfo
    async with await psycopg.AsyncConnection.connect(url) as blocker:
        # Hold the request's row lock: no decision can commit until it is released.
        await blocker.execute("SELECT id FROM requests WHERE id = %s FOR UPDATE", (request["id"],))
        await click_all(harness, button["value"], user="UALICE")
        # The ephemeral follows the HTTP ack, so it is waited for, not read at once.
        told = await eventually(lambda: _ephemerals(harness))
        assert [e["text"] for e in told] == [STILL_RECORDING]  # acked before any commit
        assert not await approved_events(harness, thread_id)
        await blocker.rollback()
    await harness.wait_done(thread_id)
    assert len(await approved_events(harness, thread_id)) == 2

    async def recorded() -> list[str]:
        return [e["text"] for e in harness.fake.of("chat.postEphemeral")][1:]

    assert await eventually(recorded) == [RECORDED]
