"""Postgres stopped and started under a running bot: clicks are refused, then work again."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.engine.flow import start_run
from bot.listeners.common import DB_DOWN_TEXT

from support.fake_slack import FakeSlack
from support.harness import eventually
from support.procs import engine, procs


@pytest.fixture
def own_postgres() -> Iterator[Any]:
    """A private embedded server this test may stop and start without hurting others."""
    import pgserver

    data_dir = tempfile.mkdtemp(prefix="approvals-fault-pg-")  # postgres runs unprivileged
    server = pgserver.get_server(data_dir, cleanup_mode="stop")
    yield server
    server.cleanup()
    shutil.rmtree(data_dir, ignore_errors=True)


def _pg_ctl(server: Any, *args: str) -> None:
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

    pg_ctl(["-w", *args], pgdata=server.pgdata, user=server.system_user, timeout=30)


async def test_clicks_during_an_outage_are_refused_then_work(
    own_postgres: Any, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    url = own_postgres.get_uri()
    async with procs(url, fake_slack, tmp_path) as group:
        # A click cut short by the outage is finished by the sweeper: keep it quick here.
        served = await group.serve(APPROVALS_SWEEP_S="0.5")
        async with engine(url, fake_slack) as deps:
            started = await start_run(deps, "counting", {"amount": 5, "recipient": "acme"},
                                      channel="C0APPROVALS", requested_by="UREQ")
            async with deps.pool.connection() as conn:
                cur = await conn.execute("SELECT id FROM approvals")
                approval_id = int((await cur.fetchone())["id"])  # type: ignore[index]

        await asyncio.to_thread(_pg_ctl, own_postgres, "-m", "fast", "stop")
        try:
            assert await group.health(served) == 503
            async with group.http.get(f"{served.url}/healthz") as resp:
                assert (await resp.json())["database"] == "down"
            assert await group.click(served, "approve", approval_id, user="UALICE") == 200
            # Waiting for a connection outlasts the ack budget: "still recording", then this.
            told = await eventually(lambda: _told_down(fake_slack), timeout=30)
            assert told[-1]["user"] == "UALICE"
        finally:
            await asyncio.to_thread(own_postgres.ensure_postgres_running)
        assert own_postgres.get_uri() == url

        async def healthy() -> bool:
            return await group.health(served) == 200

        await eventually(healthy, timeout=30)
        assert await group.click(served, "approve", approval_id, user="UALICE") == 200
        async with engine(url, fake_slack) as deps:

            async def done() -> bool:
                async with deps.pool.connection() as conn:
                    cur = await conn.execute("SELECT status FROM runs WHERE thread_id = %s",
                                             (started.thread_id,))
                    row = await cur.fetchone()
                return bool(row and row["status"] == "done")

            await eventually(done, timeout=30)
            async with deps.pool.connection() as conn:
                cur = await conn.execute("SELECT count(*) AS n FROM side_effects")
                assert (await cur.fetchone())["n"] == 1  # type: ignore[index]
        assert served.proc.returncode is None  # the same process all along


async def _told(fake: FakeSlack) -> list[dict[str, Any]]:
    return fake.of("chat.postEphemeral")


async def _told_down(fake: FakeSlack) -> list[dict[str, Any]]:
    return [t for t in fake.of("chat.postEphemeral") if t["text"] == DB_DOWN_TEXT]
