"""``.venv/bin/python -m bench [--runs N]``: medians of a bare resume, an ack, a click to done.

Everything runs in one process on one fresh embedded database, so the baseline (a bare
LangGraph ``ainvoke(Command(resume=…))`` of the same graph) shares the machine's noise.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
from aiohttp.test_utils import TestServer
from langgraph.types import Command
from psycopg.conninfo import make_conninfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from bot.engine.flow import start_run  # noqa: E402
from bot.server import create_app  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.web.keys import DEPS  # noqa: E402

from support.fake_slack import FakeSlack, start_fake_slack  # noqa: E402
from support.harness import button_value, click_payload  # noqa: E402
from support.signing import SIGNING_SECRET, interaction_body, sign  # noqa: E402

INPUT = {"amount": 5000, "recipient": "acme"}
APPROVE = {
    "action": "approve",
    "args": {"amount": 5000.0, "recipient": "acme"},
    "reason": None,
    "decided_by": ["U1"],
    "decided_at": "2026-01-01T00:00:00Z",
}


def ms(values: list[float]) -> str:
    """Median and p90 in milliseconds."""
    ordered = sorted(values)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    return f"median {statistics.median(ordered) * 1000:7.1f} ms   p90 {p90 * 1000:7.1f} ms"


async def _bare_interrupted(graph: Any) -> tuple[Command[Any], dict[str, Any]]:
    """A payments run paused at its interrupt, and the command that resumes it."""
    config = {"configurable": {"thread_id": str(uuid.uuid4())}}
    await graph.ainvoke(INPUT, config)
    interrupt = (await graph.aget_state(config)).interrupts[0]
    return Command(resume={interrupt.id: APPROVE}), config


async def bare_resumes(deps: Any, runs: int) -> list[float]:
    """The baseline: LangGraph alone, resuming the payments graph on the same database."""
    graph = deps.graphs.build("payments", deps.checkpointer)
    timings = []
    for _ in range(runs):
        command, config = await _bare_interrupted(graph)
        start = time.perf_counter()
        await graph.ainvoke(command, config)
        timings.append(time.perf_counter() - start)
    return timings


async def _pending_runs(deps: Any, count: int) -> list[tuple[str, int]]:
    started = []
    for _ in range(count):
        run = await start_run(deps, "payments", INPUT, channel="C1", requested_by="UREQ")
        async with deps.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT a.id FROM approvals a JOIN requests r ON r.id = a.request_id "
                "WHERE r.thread_id = %s",
                (run.thread_id,),
            )
            started.append((run.thread_id, (await cur.fetchone())["id"]))
    return started


async def _click_body(deps: Any, approval_id: int) -> str:
    """A click on the approval's current version, as its button carries it."""
    async with deps.pool.connection() as conn:
        value = await button_value(conn, approval_id)
    return interaction_body(click_payload("approve", approval_id, user="UALICE", value=value))


async def clicks(deps: Any, base: str, runs: int) -> tuple[list[float], list[float]]:
    """Through the bot: signed click over HTTP → ack, and → run done in Postgres."""
    acks, done = [], []
    async with aiohttp.ClientSession() as http:
        for thread_id, approval_id in await _pending_runs(deps, runs):
            body = await _click_body(deps, approval_id)
            start = time.perf_counter()
            async with http.post(f"{base}/slack/events", data=body, headers=sign(body)) as resp:
                assert resp.status == 200
            acks.append(time.perf_counter() - start)
            while True:
                async with deps.pool.connection() as conn:
                    cur = await conn.execute(
                        "SELECT status FROM runs WHERE thread_id = %s", (thread_id,)
                    )
                    if (await cur.fetchone())["status"] == "done":
                        break
                await asyncio.sleep(0.001)
            done.append(time.perf_counter() - start)
    return acks, done


async def concurrent_clicks(deps: Any, base: str, count: int) -> float:
    """``count`` runs waiting; one click each, all at once; seconds until every run is done."""
    started = await _pending_runs(deps, count)
    threads = [t for t, _ in started]
    async with aiohttp.ClientSession() as http:

        bodies = {a: await _click_body(deps, a) for _, a in started}

        async def click(approval_id: int) -> None:
            body = bodies[approval_id]
            async with http.post(f"{base}/slack/events", data=body, headers=sign(body)) as r:
                assert r.status == 200

        start = time.perf_counter()
        await asyncio.gather(*(click(a) for _, a in started))
        while True:
            async with deps.pool.connection() as conn:
                cur = await conn.execute(
                    "SELECT count(*) AS n FROM runs WHERE status = 'done' AND thread_id = ANY(%s)",
                    (threads,),
                )
                if (await cur.fetchone())["n"] == count:
                    return time.perf_counter() - start
            await asyncio.sleep(0.005)


async def concurrent_bare(deps: Any, count: int) -> float:
    """The baseline: ``count`` bare LangGraph resumes at once on the same pool."""
    graph = deps.graphs.build("payments", deps.checkpointer)
    resumes = [await _bare_interrupted(graph) for _ in range(count)]
    start = time.perf_counter()
    await asyncio.gather(*(graph.ainvoke(cmd, config) for cmd, config in resumes))
    return time.perf_counter() - start


async def main(runs: int) -> None:
    import pgserver

    data_dir = tempfile.mkdtemp(prefix="approvals-bench-pg-")
    server = pgserver.get_server(data_dir, cleanup_mode="stop")
    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    fake = FakeSlack()
    fake_runner = await start_fake_slack(fake)
    settings = Settings(
        _env_file=None,
        slack_bot_token="xoxb-bench",  # type: ignore[call-arg]
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake.url,
        database_url=make_conninfo(server.get_uri(), dbname=name),
        approvals_sweep_s=3600,
    )
    app = create_app(settings)
    web = TestServer(app, host="127.0.0.1", port=0)
    await web.start_server()
    try:
        deps = app[DEPS]
        await bare_resumes(deps, 3)  # warm up both paths
        await clicks(deps, str(web.make_url("")).rstrip("/"), 3)
        bare = await bare_resumes(deps, runs)
        acks, done = await clicks(deps, str(web.make_url("")).rstrip("/"), runs)
        print(f"runs: {runs} (payments graph, embedded Postgres, fake Slack on loopback)")
        print(f"bare LangGraph resume (baseline)  {ms(bare)}")
        print(f"click → ack (HTTP answer)          {ms(acks)}")
        print(f"click → run done                   {ms(done)}")
        ratio = statistics.median(done) / statistics.median(bare)
        print(f"click → done / bare resume         {ratio:5.1f}x")
        together_bare = await concurrent_bare(deps, runs)
        together = await concurrent_clicks(deps, str(web.make_url("")).rstrip("/"), runs)
        print(f"{runs} bare resumes at once            {together_bare * 1000:7.0f} ms")
        print(
            f"{runs} clicks at once → all done       {together * 1000:7.0f} ms"
            f"   ({together / together_bare:.1f}x)"
        )
    finally:
        await web.close()
        await fake_runner.cleanup()
        server.cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--runs", type=int, default=30)
    asyncio.run(main(parser.parse_args().runs))
