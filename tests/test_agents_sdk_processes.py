"""Agents SDK runs on real ``serve`` processes: two instances racing, SIGKILL mid-resume."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

from bot.engine.flow import start_run
from graphs.agent_payments import ledger

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

        async def resuming() -> bool:
            rows = await _rows(deps, "SELECT 1 FROM audit_log WHERE thread_id = %s "
                                     "AND event = 'resume_started'", thread_id)
            return bool(rows)

        await eventually(resuming)
        await asyncio.sleep(0.3)  # the tool is running: it sleeps before it records
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
