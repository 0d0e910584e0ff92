"""Two rewrites of one message race: the one that lands last must not leave it stale."""

from __future__ import annotations

import asyncio

from bot.engine.render import render_request

from support.harness import Harness


async def test_a_stale_rewrite_landing_last_is_corrected(harness: Harness) -> None:
    started = await harness.start("payments", {"amount": 2500, "recipient": "acme"})
    request_id = started.request_ids[0]
    approval_id = (await harness.approval_ids(started.thread_id))[0]
    harness.fake.delay_plan["chat.update"] = [1.0]  # the first rewrite is slow to land

    stale = asyncio.ensure_future(render_request(harness.deps, request_id))
    await asyncio.sleep(0.2)  # it has read "pending" and is waiting on Slack
    await harness.approve(approval_id, user="UALICE")
    assert await render_request(harness.deps, request_id)  # lands first
    assert await stale

    updates = harness.fake.of("chat.update")
    assert len(updates) == 3  # fresh, stale, then the stale render's correction
    last = updates[-1]["blocks"]
    assert "Approved" in str(last) and not any(b["type"] == "actions" for b in last)
    flagged = await harness.rows("SELECT render_needed FROM requests WHERE id = %s", request_id)
    assert flagged[0]["render_needed"] is False
