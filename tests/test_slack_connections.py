"""Slack calls share kept-alive connections, and survive Slack closing an idle one."""

from __future__ import annotations

from support.harness import Harness, eventually


async def _approve(harness: Harness, amount: int) -> str:
    started = await harness.start("counting", {"amount": amount, "recipient": "acme"})
    approval_id = (await harness.approval_ids(started.thread_id))[0]
    code, _ = await harness.click("approve", approval_id, user="UALICE")
    assert code == 200
    await harness.wait_done(started.thread_id)

    async def finished() -> bool:
        return any("finished" in str(p.get("text")) and p.get("thread_ts")
                   for p in harness.fake.of("chat.postMessage"))

    await eventually(finished)
    await harness.deps.inflight.drain(30)  # this run's rewrite and reply, not only a former's
    return started.thread_id


async def test_calls_reuse_their_connections(harness: Harness) -> None:
    for amount in (5, 6, 7):
        await _approve(harness, amount)
    calls = [c for c in harness.fake.calls if c.method != "auth.test"]
    connections = {c.peer for c in calls}
    # Posts, rewrites, links and replies of three runs: at most a few connections (the
    # rewrite runs alongside the resume), not one per call.
    assert len(calls) >= 9
    assert len(connections) <= 3, f"{len(calls)} calls came on {len(connections)} connections"


async def test_a_connection_slack_closed_while_idle_is_replaced(harness: Harness) -> None:
    await _approve(harness, 5)
    harness.fake.drop_connections()
    before = len(harness.fake.calls)
    thread_id = await _approve(harness, 6)
    rows = await harness.rows("SELECT count(*) AS n FROM side_effects WHERE thread_id = %s",
                              thread_id)
    assert rows[0]["n"] == 1
    assert len(harness.fake.calls) > before
    updates = harness.fake.of("chat.update")
    assert "Approved" in str(updates[-1]["blocks"])
