"""Agents SDK runs on real ``serve`` processes: two instances racing, SIGKILL mid-resume."""

from __future__ import annotations

import asyncio
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.engine.flow import start_run
from graphs.agent_payments import ledger

from support.agents import gate, started
from support.config import TEST_GRAPHS
from support.fake_slack import FakeSlack
from support.harness import eventually
from support.procs import bot_env, engine, procs, run_cli

GRAPHS = (f"{TEST_GRAPHS},payments_agent=graphs.agent_payments:agent,"
          "slow_agent=support.agents:slow_agent")
ENV = {"APPROVALS_GRAPHS": GRAPHS, "OPENAI_AGENTS_DISABLE_TRACING": "1"}


async def _rows(deps: Any, sql: str, *params: Any) -> list[dict[str, Any]]:
    async with deps.pool.connection() as conn:
        cur = await conn.execute(sql, params)
        return list(await cur.fetchall())


async def _start(deps: Any, graph: str) -> tuple[str, int]:
    started = await start_run(deps, graph, "Pay Acme $4,200 for invoice 88",
                              channel="C0APPROVALS", requested_by="UREQ")
    rows = await _rows(deps, "SELECT a.id FROM approvals a JOIN requests r "
                             "ON r.id = a.request_id WHERE r.thread_id = %s", started.thread_id)
    return started.thread_id, int(rows[0]["id"])


async def _status(deps: Any, thread_id: str) -> str:
    rows = await _rows(deps, "SELECT status FROM runs WHERE thread_id = %s", thread_id)
    return str(rows[0]["status"])


async def test_clicks_racing_on_two_instances_run_the_call_once(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    async with engine(database_url, fake_slack, approvals_graphs=GRAPHS) as deps, \
            procs(database_url, fake_slack, tmp_path) as group:
        a, b = await asyncio.gather(group.serve(**ENV), group.serve(**ENV))
        thread_id, approval_id = await _start(deps, "payments_agent")
        statuses = await asyncio.gather(*(
            group.click(a if i % 2 else b, "approve", approval_id, user=f"U{i:03d}")
            for i in range(10)
        ))
        assert statuses == [200] * 10

        async def finished() -> bool:
            done = await _status(deps, thread_id) == "done"
            return done and len(fake_slack.of("chat.postEphemeral")) >= 9

        await eventually(finished, timeout=30)
        assert [e["args"]["amount"] for e in ledger(thread_id)] == [4200.0]
        versions = await _rows(deps, "SELECT version FROM agent_states WHERE thread_id = %s",
                               thread_id)
        assert len(versions) == 2


async def test_sigkill_mid_resume_is_finished_once_by_a_restarted_process(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    async with engine(database_url, fake_slack, approvals_graphs=GRAPHS) as deps, \
            procs(database_url, fake_slack, tmp_path) as group:
        first = await group.serve(APPROVALS_LEASE_S="3", **ENV)
        thread_id, approval_id = await _start(deps, "slow_agent")
        assert await group.click(first, "approve", approval_id, user="UALICE") == 200

        async def paying() -> bool:
            return started(thread_id).exists()

        await eventually(paying)  # the tool is running: it sleeps before it records
        assert await group.stop(first, signal.SIGKILL) == -signal.SIGKILL
        assert ledger(thread_id) == []
        assert await _status(deps, thread_id) != "done"

        await group.serve(APPROVALS_SWEEP_S="0.5", **ENV)

        async def done() -> bool:
            return await _status(deps, thread_id) == "done"

        await eventually(done, timeout=40)
        (entry,) = ledger(thread_id)
        assert entry["args"]["amount"] == 4200.0 and entry["decision_id"]
        rows = await _rows(deps, "SELECT status FROM requests WHERE thread_id = %s", thread_id)
        assert [r["status"] for r in rows] == ["resumed"]
        attempts = await _rows(deps, "SELECT detail FROM audit_log WHERE thread_id = %s "
                                     "AND event = 'resume_started' ORDER BY id", thread_id)
        keys = {a["detail"]["decision_id"] for a in attempts}
        assert len(attempts) == 2 and keys == {entry["decision_id"]}


async def test_cli_runs_an_agent_with_plain_text_input(
    database_url: str, fake_slack: FakeSlack
) -> None:
    env = bot_env(database_url, fake_slack, **ENV)
    code, out, err = await run_cli(
        "run", "payments_agent", "--input", "Pay Acme $4,200 for invoice 88", env=env
    )
    assert code == 0, err
    thread_id = out.strip()
    (post,) = [p for p in fake_slack.of("chat.postMessage") if p.get("blocks")]
    assert "Payments" in str(post["blocks"]) and "Acme" in str(post["blocks"])
    async with engine(database_url, fake_slack, approvals_graphs=GRAPHS) as deps:
        assert await _status(deps, thread_id) == "waiting"
        rows = await _rows(deps, "SELECT pending FROM agent_states WHERE thread_id = %s",
                           thread_id)
    assert [i["tool"] for i in rows[0]["pending"]["items"]] == ["pay"]
    assert ledger(thread_id) == []


@pytest.fixture
def own_postgres() -> Iterator[Any]:
    """A private embedded server this test may stop and start without hurting others."""
    import pgserver

    data_dir = tempfile.mkdtemp(prefix="approvals-agents-pg-")  # postgres runs unprivileged
    server = pgserver.get_server(data_dir, cleanup_mode="stop")
    yield server
    server.cleanup()
    shutil.rmtree(data_dir, ignore_errors=True)


def _pg_stop(server: Any) -> None:
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user,
           timeout=30)


async def test_a_postgres_restart_while_the_tool_runs_ends_in_one_resume(
    own_postgres: Any, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    url = own_postgres.get_uri()
    async with procs(url, fake_slack, tmp_path) as group:
        served = await group.serve(**ENV)
        async with engine(url, fake_slack, approvals_graphs=GRAPHS) as deps:
            thread_id, approval_id = await _start(deps, "slow_agent")
            gate(thread_id, "hold").touch()  # the tool waits for "go" once it has begun
            assert await group.click(served, "approve", approval_id, user="UALICE") == 200

            async def paying() -> bool:
                return started(thread_id).exists()

            await eventually(paying)
        await asyncio.to_thread(_pg_stop, own_postgres)
        try:
            # The tool finishes while Postgres is down: storing its run has to wait.
            gate(thread_id, "go").touch()
            await eventually(lambda: _ledger_of(thread_id), timeout=30)
        finally:
            await asyncio.to_thread(own_postgres.ensure_postgres_running)
        async with engine(url, fake_slack, approvals_graphs=GRAPHS) as deps:

            async def done() -> bool:
                return await _status(deps, thread_id) == "done"

            await eventually(done, timeout=40)
            attempts = await _rows(deps, "SELECT 1 FROM audit_log WHERE thread_id = %s "
                                         "AND event = 'resume_started'", thread_id)
            assert len(attempts) == 1
        assert len(ledger(thread_id)) == 1
        assert served.proc.returncode is None, served.output()
        assert f"storing run {thread_id} failed, retrying" in served.output()


async def _ledger_of(thread_id: str) -> list[dict[str, Any]]:
    return ledger(thread_id)
