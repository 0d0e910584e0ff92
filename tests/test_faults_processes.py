"""Real ``serve`` processes on one database: racing clicks, SIGKILL mid-resume, SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

from bot.engine.flow import start_run

from support.fake_slack import FakeSlack
from support.harness import eventually
from support.procs import engine, procs


async def _rows(deps: Any, sql: str, *params: Any) -> list[dict[str, Any]]:
    async with deps.pool.connection() as conn:
        cur = await conn.execute(sql, params)
        return list(await cur.fetchall())


async def _start(deps: Any, **extra: Any) -> tuple[str, int]:
    started = await start_run(
        deps, "counting", {"amount": 5, "recipient": "acme", **extra},
        channel="C0APPROVALS", requested_by="UREQ",
    )
    rows = await _rows(deps, "SELECT a.id FROM approvals a JOIN requests r "
                             "ON r.id = a.request_id WHERE r.thread_id = %s", started.thread_id)
    return started.thread_id, int(rows[0]["id"])


async def _effects(deps: Any, thread_id: str) -> int:
    rows = await _rows(deps, "SELECT count(*) AS n FROM side_effects WHERE thread_id = %s",
                       thread_id)
    return int(rows[0]["n"])


async def _status(deps: Any, thread_id: str) -> str:
    rows = await _rows(deps, "SELECT status FROM runs WHERE thread_id = %s", thread_id)
    return str(rows[0]["status"])


async def _decided(deps: Any, thread_id: str) -> None:
    """Wait until the run's request is decided (committed, not yet resumed)."""

    async def check() -> bool:
        rows = await _rows(deps, "SELECT status FROM requests WHERE thread_id = %s", thread_id)
        return rows[0]["status"] == "decided"

    await eventually(check)


async def test_thirty_racing_clicks_on_two_processes_decide_once(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    async with engine(database_url, fake_slack) as deps, \
            procs(database_url, fake_slack, tmp_path) as group:
        a, b = await asyncio.gather(group.serve(), group.serve())
        thread_id, approval_id = await _start(deps)
        statuses = await asyncio.gather(*(
            group.click(a if i % 2 else b, "approve", approval_id, user=f"U{i:03d}")
            for i in range(30)
        ))
        assert statuses == [200] * 30

        async def finished() -> bool:
            done = await _status(deps, thread_id) == "done"
            return done and len(fake_slack.of("chat.postEphemeral")) >= 29

        await eventually(finished, timeout=30)
        assert await _effects(deps, thread_id) == 1
        decided = await _rows(deps, "SELECT status FROM approvals WHERE id = %s", approval_id)
        assert decided[0]["status"] == "approved"
        votes = await _rows(deps, "SELECT user_id FROM votes WHERE approval_id = %s", approval_id)
        assert len(votes) == 1
        told = fake_slack.of("chat.postEphemeral")
        assert len(told) == 29
        assert all("already" in t["text"] for t in told)
        assert {t["user"] for t in told} | {votes[0]["user_id"]} == {
            f"U{i:03d}" for i in range(30)
        }


async def test_sigkill_mid_resume_is_finished_by_a_restarted_process(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    async with engine(database_url, fake_slack) as deps, \
            procs(database_url, fake_slack, tmp_path) as group:
        first = await group.serve(APPROVALS_LEASE_S="3")
        thread_id, approval_id = await _start(deps, delay_s=3)
        assert await group.click(first, "approve", approval_id, user="UALICE") == 200
        await _decided(deps, thread_id)
        await asyncio.sleep(0.3)  # the resume has started: the graph sleeps in its action
        assert await group.stop(first, signal.SIGKILL) == -signal.SIGKILL
        assert await _effects(deps, thread_id) == 0
        assert await _status(deps, thread_id) != "done"

        # The dead process's lease lapses after APPROVALS_LEASE_S; only then is it taken.
        await group.serve(APPROVALS_SWEEP_S="0.5")

        async def done() -> bool:
            return await _status(deps, thread_id) == "done"

        await eventually(done, timeout=30)
        assert await _effects(deps, thread_id) == 1
        rows = await _rows(deps, "SELECT status FROM requests WHERE thread_id = %s", thread_id)
        assert rows[0]["status"] == "resumed"


async def test_sigterm_finishes_the_resume_in_flight_then_exits_zero(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    async with engine(database_url, fake_slack) as deps, \
            procs(database_url, fake_slack, tmp_path) as group:
        served = await group.serve()
        thread_id, approval_id = await _start(deps, delay_s=2)
        assert await group.click(served, "approve", approval_id, user="UALICE") == 200
        await _decided(deps, thread_id)
        assert await _effects(deps, thread_id) == 0  # still sleeping in the action
        assert await group.stop(served, signal.SIGTERM) == 0, served.output()
        assert await _status(deps, thread_id) == "done"
        assert await _effects(deps, thread_id) == 1
