"""A click is acked only once its decision is committed; SIGTERM never drops one."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import psycopg

from bot.engine.flow import start_run
from bot.listeners.actions.decide import RECORDED, STILL_RECORDING

from support.fake_slack import FakeSlack
from support.harness import eventually
from support.procs import engine, procs


async def _rows(deps: Any, sql: str, *params: Any) -> list[dict[str, Any]]:
    async with deps.pool.connection() as conn:
        return list(await (await conn.execute(sql, params)).fetchall())


async def _told(fake: FakeSlack) -> list[str]:
    return [t["text"] for t in fake.of("chat.postEphemeral")]


async def test_sigterm_between_a_click_and_its_commit_loses_nothing(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.txt"
    async with engine(database_url, fake_slack) as deps, \
            procs(database_url, fake_slack, tmp_path) as group:
        served = await group.serve()
        started = await start_run(deps, "ledger", {"amount": 9, "ledger": str(ledger)},
                                  channel="C0APPROVALS", requested_by="UREQ")
        approval = await _rows(deps, "SELECT a.id, a.request_id FROM approvals a JOIN "
                                     "requests r ON r.id = a.request_id WHERE r.thread_id = %s",
                               started.thread_id)
        request_id = int(approval[0]["request_id"])
        # Hold the request's row lock, so the decision's transaction waits to commit.
        async with await psycopg.AsyncConnection.connect(database_url) as blocker:
            await blocker.execute("SELECT id FROM requests WHERE id = %s FOR UPDATE",
                                  (request_id,))
            click = asyncio.ensure_future(
                group.click(served, "approve", int(approval[0]["id"]), user="UALICE")
            )

            async def waiting() -> bool:
                rows = await _rows(deps, "SELECT 1 FROM pg_locks l JOIN pg_stat_activity a "
                                         "USING (pid) WHERE NOT l.granted "
                                         "AND a.datname = current_database()")
                return bool(rows)

            await eventually(waiting)  # the decision is blocked before its commit
            served.proc.send_signal(signal.SIGTERM)
            assert await click == 200  # acked (still recording) within Slack's 3 s
            told = await eventually(lambda: _told(fake_slack))
            assert told == [STILL_RECORDING]
            await asyncio.sleep(0.5)
            assert served.proc.returncode is None  # shutdown waits for the commit
            await blocker.rollback()
        assert await group.stop(served) == 0, served.output()
        rows = await _rows(deps, "SELECT status FROM requests WHERE id = %s", request_id)
        assert rows[0]["status"] == "resumed"
        run = await _rows(deps, "SELECT status FROM runs WHERE thread_id = %s",
                          started.thread_id)
        assert run[0]["status"] == "done"
        assert (await asyncio.to_thread(ledger.read_text)).count(started.thread_id) == 1
        assert await _told(fake_slack) == [STILL_RECORDING, RECORDED]
