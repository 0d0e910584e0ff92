"""Static breakpoints (``interrupt_before`` / ``interrupt_after``) are approvals too."""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_shapes import button_kinds, filled, posted, reject

from support.harness import Harness, eventually
from support.tutorial_graphs import GRAPHS


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"approvals_graphs": GRAPHS}


MAIL = {"to": "bob@example.com", "subject": "launch"}


async def _paused(harness: Harness, graph: str) -> tuple[str, int, dict[str, Any]]:
    started = await harness.start(graph, MAIL)
    assert started.status == "waiting"
    (approval_id,) = await harness.approval_ids(started.thread_id)
    return started.thread_id, approval_id, posted(harness)


@pytest.mark.parametrize("graph", ["mail_before", "mail_after"])
async def test_approve_continues_the_run(harness: Harness, graph: str) -> None:
    thread_id, approval_id, post = await _paused(harness, graph)
    shown = json.dumps(post["blocks"])
    assert "Paused before `send_email`" in shown
    assert "Hello bob@example.com, about launch." in shown  # the state send_email reads
    assert button_kinds(post) == ["approve", "reject", "edit"]
    before = await harness.graph_state(graph, thread_id)
    assert before.next == ("send_email",)
    assert (await harness.click("approve", approval_id, user="UALICE"))[0] == 200
    await harness.wait_done(thread_id)
    state = await harness.graph_state(graph, thread_id)
    assert state.values["outbox"] == ["bob@example.com|launch|Hello bob@example.com, about launch."]
    assert state.next == ()


async def test_edit_writes_the_state_then_continues(harness: Harness) -> None:
    thread_id, approval_id, _ = await _paused(harness, "mail_before")
    view = await harness.open_form("edit", approval_id, user="UALICE")
    assert await harness.submit(view, filled(view, body="Hi Bob, see you Friday."),
                                user="UALICE") == {}
    await harness.wait_done(thread_id)
    state = await harness.graph_state("mail_before", thread_id)
    assert state.values["outbox"] == ["bob@example.com|launch|Hi Bob, see you Friday."]
    audit = await harness.rows("SELECT args_before, args_after FROM audit_log WHERE "
                               "thread_id = %s AND event = 'edited'", thread_id)
    assert audit[0]["args_before"]["body"] == "Hello bob@example.com, about launch."
    assert audit[0]["args_after"]["body"] == "Hi Bob, see you Friday."


async def test_reject_ends_the_run_without_the_node_running(harness: Harness) -> None:
    thread_id, approval_id, _ = await _paused(harness, "mail_before")
    await reject(harness, approval_id, "not today")
    await harness.wait_done(thread_id)
    state = await harness.graph_state("mail_before", thread_id)
    assert not state.values.get("outbox")  # send_email never ran
    assert state.next == ("send_email",)  # the thread stays at the breakpoint
    run = await harness.rows("SELECT outcome FROM runs WHERE thread_id = %s", thread_id)
    assert run[0]["outcome"] == {"status": "rejected", "reason": "not today"}


async def test_a_click_after_the_run_moved_on_is_stale(harness: Harness) -> None:
    thread_id, approval_id, _ = await _paused(harness, "mail_before")
    old = await harness.value_of(approval_id)
    await harness.click("approve", approval_id, user="UALICE")
    await harness.wait_done(thread_id)
    status, _ = await harness.click("approve", approval_id, user="UBOB", value=old)
    assert status == 200
    state = await harness.graph_state("mail_before", thread_id)
    assert len(state.values["outbox"]) == 1  # the node ran once

    async def told() -> list[dict[str, Any]]:
        return harness.fake.of("chat.postEphemeral")

    assert await eventually(told)

