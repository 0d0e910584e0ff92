"""``WEB_CONCURRENCY``: several worker processes share one port, and are supervised."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.engine.flow import start_run

from support.fake_slack import FakeSlack
from support.harness import button_value, click_payload, eventually
from support.procs import Procs, Served, bot_env, engine, procs, run_cli
from support.signing import interaction_body, sign


def _workers(served: Served) -> set[int]:
    """The pids of the supervisor's live worker processes."""
    pid = served.proc.pid
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return {int(child) for child in text.split()}


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (an exited one may linger as a zombie until reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


async def _until_workers(served: Served, check: Any) -> None:
    async def ok() -> bool:
        return bool(check(_workers(served)))

    await eventually(ok, timeout=30)


async def _all_listening(served: Served) -> None:
    """The supervisor says so once every worker has said ``ready``."""

    async def said() -> bool:
        return "workers: 2 processes" in served.output()

    await eventually(said, timeout=60)


async def _click_on_a_new_connection(group: Procs, served: Served, deps: Any) -> str:
    started = await start_run(deps, "counting", {"amount": 5, "recipient": "acme"},
                              channel="C0APPROVALS", requested_by="UREQ")
    async with deps.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT a.id FROM approvals a JOIN requests r ON r.id = a.request_id "
            "WHERE r.thread_id = %s", (started.thread_id,))
        approval_id = int((await cur.fetchone())["id"])
        value = await button_value(conn, approval_id)
    body = interaction_body(click_payload("approve", approval_id, user="UALICE", value=value))
    # A new connection each time, as from many Slack hosts: the kernel picks the worker.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:
        async with http.post(f"{served.url}/slack/events", data=body, headers=sign(body)) as r:
            assert r.status == 200, await r.text()
    return started.thread_id


async def _rows(deps: Any, sql: str, *params: Any) -> list[dict[str, Any]]:
    async with deps.pool.connection() as conn:
        cur = await conn.execute(sql, params)
        return list(await cur.fetchall())


async def _all_done(deps: Any, threads: list[str]) -> None:
    async def done() -> bool:
        rows = await _rows(deps, "SELECT count(*) AS n FROM runs WHERE status = 'done' "
                                 "AND thread_id = ANY(%s)", threads)
        return int(rows[0]["n"]) == len(threads)

    await eventually(done, timeout=30)


@asynccontextmanager
async def _two_workers(
    database_url: str, fake: FakeSlack, log_dir: Path
) -> AsyncIterator[tuple[Any, Procs, Served]]:
    """An engine to start runs with, and a serve of two workers, all of them listening."""
    async with engine(database_url, fake) as deps, procs(database_url, fake, log_dir) as group:
        served = await group.serve(WEB_CONCURRENCY="2")
        await _all_listening(served)
        yield deps, group, served


async def test_workers_share_the_port_and_each_decides_and_resumes(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    async with _two_workers(database_url, fake_slack, tmp_path) as (deps, group, served):
        threads = [await _click_on_a_new_connection(group, served, deps) for _ in range(16)]
        await _all_done(deps, threads)
        rows = await _rows(
            deps, "SELECT detail->>'owner' AS owner FROM audit_log "
                  "WHERE event = 'resume_started' AND thread_id = ANY(%s)", threads)
        owners = {r["owner"] for r in rows}
        assert len(rows) == 16  # each run resumed once
        assert len(owners) == 2, owners  # by both workers (16 connections, spread by the kernel)
        effects = await _rows(deps, "SELECT count(*) AS n FROM side_effects "
                                    "WHERE thread_id = ANY(%s)", threads)
        assert effects[0]["n"] == 16
        # Whichever worker takes a scrape answers for both.
        for _ in range(6):
            async with aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(force_close=True)
            ) as http, http.get(f"{served.url}/metrics") as resp:
                text = await resp.text()
            assert "\napprovals_resumes_total 16.0\n" in text, text[:2000]
            assert "\napprovals_pending_requests 0.0\n" in text
        lines = served.output()
        assert "workers: 2 processes" in lines
        assert lines.count("listening on") == 1  # the workers start quietly


async def test_a_killed_worker_is_replaced_and_sigterm_stops_them_all(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    async with _two_workers(database_url, fake_slack, tmp_path) as (deps, group, served):
        before = _workers(served)
        victim = min(before)
        os.kill(victim, signal.SIGKILL)
        # The pid may be reused only after many others: wait for a new one beside the old.
        await _until_workers(served, lambda w: len(w) == 2 and victim not in w)
        assert (before - {victim}) < _workers(served)
        assert "exited (code -9): starting another" in served.output()
        await group.wait_healthy(served)
        thread_id = await _click_on_a_new_connection(group, served, deps)
        await _all_done(deps, [thread_id])
        workers = _workers(served)
        assert await group.stop(served, signal.SIGTERM) == 0
        assert not any(_alive(pid) for pid in workers)  # each was stopped and reaped


@pytest.mark.parametrize("workers", ["1", "2"])
async def test_a_port_in_use_is_a_clear_error_and_stops_the_supervisor(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path, workers: str
) -> None:
    async with procs(database_url, fake_slack, tmp_path) as group:
        first = await group.serve()  # one plain serve holds the port, without SO_REUSEPORT
        env = bot_env(database_url, fake_slack, PORT=str(first.port), WEB_CONCURRENCY=workers)
        code, out, err = await asyncio.wait_for(run_cli("serve", env=env), 60)
        assert code == 2 and out == ""
        assert f"error: cannot listen on port {first.port}: " in err
        assert "Stop it, or set PORT to a free port." in err
        if workers == "2":
            assert "exited at its start (code 2): stopping" in err
        assert await group.health(first) == 200


async def test_socket_mode_refuses_several_workers(
    database_url: str, fake_slack: FakeSlack
) -> None:
    env = bot_env(database_url, fake_slack, SLACK_APP_TOKEN="xapp-1", WEB_CONCURRENCY="2")
    code, out, err = await run_cli("serve", env=env)
    assert code == 2 and out == ""
    assert err.strip() == ("error: WEB_CONCURRENCY > 1 needs HTTP mode: in Socket Mode, run "
                           "one process per connection instead (see README, 'Production').")


async def test_workers_do_not_outlive_a_killed_supervisor(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    async with procs(database_url, fake_slack, tmp_path) as group:
        served = await group.serve(WEB_CONCURRENCY="2")
        await _all_listening(served)
        workers = _workers(served)
        assert await group.stop(served, signal.SIGKILL) == -signal.SIGKILL

        async def gone() -> bool:
            return not any(_alive(pid) for pid in workers)

        await eventually(gone, timeout=30)
