"""Slack misbehaving (429 with Retry-After, 500, dropped connections): nothing is lost."""

from __future__ import annotations

import pytest

from bot.engine.sweeper import sweep_once

from support.harness import Harness, eventually


async def _approve_when_update_fails(harness: Harness, status: int, count: int) -> str:
    started = await harness.start("counting", {"amount": 5, "recipient": "acme"})
    approval_id = (await harness.approval_ids(started.thread_id))[0]
    harness.fake.fail("chat.update", status, count)
    code, _ = await harness.click("approve", approval_id, user="UALICE")
    assert code == 200

    await harness.wait_done(started.thread_id, within=20)
    return started.thread_id


@pytest.mark.parametrize("status", [429, 500, 0])
async def test_a_rewrite_survives_a_few_failures(harness: Harness, status: int) -> None:
    thread_id = await _approve_when_update_fails(harness, status, 2)

    async def rewritten() -> bool:
        updates = harness.fake.of("chat.update")
        return bool(updates) and "Approved" in str(updates[-1]["blocks"])

    await eventually(rewritten, timeout=20)
    rows = await harness.rows("SELECT count(*) AS n FROM side_effects WHERE thread_id = %s",
                              thread_id)
    assert rows[0]["n"] == 1


async def test_a_rewrite_that_keeps_failing_is_redone_by_the_sweeper(harness: Harness) -> None:
    thread_id = await _approve_when_update_fails(harness, 500, 100)
    rows = await harness.rows("SELECT render_needed FROM requests WHERE thread_id = %s",
                              thread_id)
    assert await eventually(lambda: _flagged(harness, thread_id))
    assert not harness.fake.of("chat.update")
    harness.fake.faults.clear()
    await sweep_once(harness.deps, grace_s=0)
    assert "Approved" in str(harness.fake.of("chat.update")[-1]["blocks"])
    rows = await harness.rows("SELECT render_needed FROM requests WHERE thread_id = %s",
                              thread_id)
    assert rows[0]["render_needed"] is False


async def _flagged(harness: Harness, thread_id: str) -> bool:
    rows = await harness.rows("SELECT render_needed FROM requests WHERE thread_id = %s",
                              thread_id)
    return bool(rows[0]["render_needed"])


async def test_a_failed_post_is_reposted_by_the_sweeper(harness: Harness) -> None:
    harness.fake.fail("chat.postMessage", 0, 100)
    started = await harness.start("counting", {"amount": 5, "recipient": "acme"})
    assert started.status == "waiting"
    assert not harness.fake.of("chat.postMessage")
    rows = await harness.rows("SELECT message_ts FROM requests WHERE thread_id = %s",
                              started.thread_id)
    assert rows[0]["message_ts"] is None
    harness.fake.faults.clear()
    await harness.rows("UPDATE requests SET post_lease_until = NULL RETURNING id")
    await sweep_once(harness.deps, grace_s=0)
    posts = harness.fake.of("chat.postMessage")
    assert len(posts) == 1 and "Approve" in str(posts[0]["blocks"])
    approval_id = (await harness.approval_ids(started.thread_id))[0]
    assert (await harness.click("approve", approval_id, user="UALICE"))[0] == 200

    await harness.wait_done(started.thread_id)
    await sweep_once(harness.deps, grace_s=0)
    assert len([p for p in harness.fake.of("chat.postMessage") if not p.get("thread_ts")]) == 1
