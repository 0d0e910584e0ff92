"""Permanent Slack errors fail the request visibly; transient ones are backed off."""

from __future__ import annotations

import pytest

from bot.engine.sweeper import sweep_once
from bot.metrics import METRICS

from support.fake_slack import FakeSlack
from support.harness import Harness
from support.procs import bot_env, engine, run_cli


async def test_run_into_a_missing_channel_exits_non_zero_naming_the_fix(
    database_url: str, fake_slack: FakeSlack
) -> None:
    fake_slack.errors["chat.postMessage"] = "channel_not_found"
    code, out, err = await run_cli(
        "run", "counting", "--input", '{"amount": 5, "recipient": "acme"}',
        "--channel", "CNOPE", env=bot_env(database_url, fake_slack),
    )
    assert code == 3, err
    thread_id = out.strip()
    assert len(thread_id) == 36
    assert "channel_not_found" in err and "invite the bot" in err
    async with engine(database_url, fake_slack) as deps:
        async with deps.pool.connection() as conn:
            run = await (await conn.execute("SELECT status FROM runs WHERE thread_id = %s",
                                            (thread_id,))).fetchone()
            assert run is not None and run["status"] == "failed"
        await sweep_once(deps, grace_s=0)  # not retried: nothing would ever change
        async with deps.pool.connection() as conn:
            row = await (await conn.execute(
                "SELECT status, post_attempts, last_error FROM requests WHERE thread_id = %s",
                (thread_id,))).fetchone()
            events = await (await conn.execute(
                "SELECT event FROM audit_log WHERE thread_id = %s", (thread_id,))).fetchall()
    assert row is not None and row["status"] == "failed" and row["post_attempts"] == 1
    assert "channel_not_found" in row["last_error"]
    assert "run_failed" in {e["event"] for e in events}


@pytest.mark.parametrize(
    "error", ["not_in_channel", "is_archived", "invalid_auth", "account_inactive"]
)
async def test_each_permanent_error_fails_the_run(harness: Harness, error: str) -> None:
    harness.fake.errors["chat.postMessage"] = error
    before = METRICS.value("approvals_post_failures_total", error=error)
    started = await harness.start("counting", {"amount": 5, "recipient": "acme"})
    assert started.status == "failed" and started.error is not None and error in started.error
    assert METRICS.value("approvals_post_failures_total", error=error) == before + 1


async def test_a_transient_failure_is_backed_off_then_posted(harness: Harness) -> None:
    harness.fake.fail("chat.postMessage", 500, count=3)  # the client retries twice
    started = await harness.start("counting", {"amount": 5, "recipient": "acme"})
    assert started.status == "waiting"
    await sweep_once(harness.deps, grace_s=0)  # backed off: not retried at once
    rows = await harness.rows("SELECT post_attempts, message_ts FROM requests")
    assert rows[0]["post_attempts"] == 1 and rows[0]["message_ts"] is None
    await harness.rows("UPDATE requests SET post_lease_until = now() - interval '1 second' "
                       "RETURNING id")  # the backoff has passed
    await sweep_once(harness.deps, grace_s=0)
    rows = await harness.rows("SELECT post_attempts, message_ts, status FROM requests")
    assert rows[0]["message_ts"] is not None and rows[0]["status"] == "pending"


async def test_a_rewrite_refused_for_good_is_not_retried(harness: Harness) -> None:
    started = await harness.start("counting", {"amount": 5, "recipient": "acme"})
    (approval_id,) = await harness.approval_ids(started.thread_id)
    harness.fake.errors["chat.update"] = "is_archived"
    status, _ = await harness.click("approve", approval_id, user="UALICE")
    assert status == 200
    await harness.wait_done(started.thread_id)
    rows = await harness.rows("SELECT render_needed FROM requests")
    assert rows[0]["render_needed"] is False  # the sweeper will not retry it every pass
