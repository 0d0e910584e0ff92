"""``.venv/bin/python -m bench.server [--runs N] [--poll-s S] [--waiting N,N…]``: the
LangGraph Server path (with ``--waiting``, discovery at scale: ``bench/server_scale.py``).

A real ``langgraph dev`` serves the tests' ``server_pay`` graph; the bot runs in this
process on a fresh embedded database with a fake Slack on loopback. Three figures:
an interrupt on the server → its message posted, with the run's webhook and with polling
only; and a click → the server's run finished (the thread idle with the answer in it).
The interrupt's moment is the server's own ``state_updated_at`` for the thread.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
from aiohttp.test_utils import TestServer
from langgraph_sdk.client import LangGraphClient
from psycopg.conninfo import make_conninfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from bench.__main__ import ms  # noqa: E402
from bot.server import create_app  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.web.keys import DEPS  # noqa: E402

from support.fake_slack import FakeSlack, start_fake_slack  # noqa: E402
from support.harness import click_payload  # noqa: E402
from support.langgraph_dev import (  # noqa: E402
    GRAPH,
    WEBHOOK_SECRET,
    LangGraphDev,
    emptied,
    start_langgraph_dev,
)
from support.signing import SIGNING_SECRET, interaction_body, sign  # noqa: E402

INPUT = {"amount": 5000, "recipient": "acme"}


@asynccontextmanager
async def bot(pg_uri: str, lg: LangGraphDev, *, poll_s: float) -> AsyncIterator[Any]:
    """The bot on a fresh database, pointed at the server; yields (base url, deps, fake)."""
    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_uri, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    fake = FakeSlack()
    fake_runner = await start_fake_slack(fake)
    settings = Settings(
        _env_file=None,
        slack_bot_token="xoxb-bench",  # type: ignore[call-arg]
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake.url,
        database_url=make_conninfo(pg_uri, dbname=name),
        approvals_channel="C1",
        approvals_sweep_s=3600,
        langgraph_api_url=lg.url,
        langgraph_poll_s=poll_s,
        langgraph_webhook_secret=WEBHOOK_SECRET,
    )
    web = TestServer(create_app(settings), host="127.0.0.1", port=0)
    await web.start_server()
    try:
        yield str(web.make_url("")).rstrip("/"), web.app[DEPS], fake
    finally:
        await web.close()
        await fake_runner.cleanup()


async def _posted(fake: FakeSlack, count: int) -> float:
    while len(fake.of("chat.postMessage")) < count:  # noqa: ASYNC110 - the fake has no event
        await asyncio.sleep(0.002)
    return time.time()


async def to_post(
    client: LangGraphClient, fake: FakeSlack, runs: int, *, webhook: str | None, jitter_s: float,
    before: int = 0,
) -> list[float]:
    """Seconds from the interrupt (server time) to the message in the fake Slack."""
    timings = []
    for n in range(before + 1, before + runs + 1):
        # Without a random pause each run would start just after a poll tick.
        await asyncio.sleep(random.uniform(0, jitter_s))
        thread = await client.threads.create()
        run = await client.runs.create(thread["thread_id"], GRAPH, input=INPUT, webhook=webhook)
        posted = await _posted(fake, n)
        await client.runs.join(thread["thread_id"], run["run_id"])
        found: Any = await client.threads.get(thread["thread_id"])
        interrupted = datetime.fromisoformat(found["state_updated_at"]).timestamp()
        timings.append(posted - interrupted)
    return timings


async def click_to_finished(
    client: LangGraphClient, base: str, deps: Any, runs: int
) -> list[float]:
    """Seconds from a signed click over HTTP to the server's thread idle with the answer."""
    rows = await _fetch(deps, "SELECT a.id, r.thread_id FROM approvals a JOIN requests r "
                        "ON r.id = a.request_id WHERE r.status = 'pending' ORDER BY a.id")
    timings = []
    async with aiohttp.ClientSession() as http:
        for row in rows[:runs]:
            body = interaction_body(click_payload("approve", row["id"], user="UALICE"))
            start = time.perf_counter()
            async with http.post(f"{base}/slack/events", data=body, headers=sign(body)) as resp:
                assert resp.status == 200
            while True:
                thread: Any = await client.threads.get(row["thread_id"])
                if thread["status"] == "idle" and thread["values"].get("status") == "paid":
                    break
                await asyncio.sleep(0.005)
            timings.append(time.perf_counter() - start)
    return timings


async def bare_resumes(client: LangGraphClient, runs: int) -> list[float]:
    """The baseline: ``runs.wait`` of a resume command straight through the SDK."""
    timings = []
    for _ in range(runs):
        thread = await client.threads.create()
        await client.runs.wait(thread["thread_id"], GRAPH, input=INPUT)
        state: Any = await client.threads.get_state(thread["thread_id"])
        command = {"resume": {state["interrupts"][0]["id"]: {"action": "approve"}}}
        start = time.perf_counter()
        await client.runs.wait(thread["thread_id"], GRAPH, command=command)
        timings.append(time.perf_counter() - start)
    return timings


async def _fetch(deps: Any, sql: str) -> list[dict[str, Any]]:
    async with deps.pool.connection() as conn:
        cur = await conn.execute(sql)
        return list(await cur.fetchall())


async def main(runs: int, poll_s: float, waiting: list[int]) -> None:
    import pgserver

    data_dir = tempfile.mkdtemp(prefix="approvals-bench-pg-")
    pg = pgserver.get_server(data_dir, cleanup_mode="stop")
    if waiting:
        from bench.server_scale import scale

        try:
            await scale(pg.get_uri(), waiting, poll_s=poll_s, runs=runs)
        finally:
            pg.cleanup()
            shutil.rmtree(data_dir, ignore_errors=True)
        return
    lg = await asyncio.to_thread(start_langgraph_dev)
    try:
        client = await emptied(lg)
        async with bot(pg.get_uri(), lg, poll_s=3600) as (base, deps, fake):
            await asyncio.sleep(0.5)  # the start-up poll of the empty server
            hook = f"{base}/langgraph/webhook"
            hooked = await to_post(client, fake, runs, webhook=hook, jitter_s=0)
            clicked = await click_to_finished(client, base, deps, runs)
        client = await emptied(lg)
        async with bot(pg.get_uri(), lg, poll_s=poll_s) as (base, deps, fake):
            polled = await to_post(client, fake, runs, webhook=None, jitter_s=poll_s)
        bare = await bare_resumes(client, runs)
        print(f"runs: {runs} ({GRAPH} on langgraph dev, embedded Postgres, fake Slack)")
        print(f"interrupt → posted, webhook          {ms(hooked)}")
        print(f"interrupt → posted, poll every {poll_s:g} s  {ms(polled)}")
        print(f"bare SDK resume, runs.wait (baseline) {ms(bare)}")
        print(f"click → server run finished         {ms(clicked)}")
    finally:
        await asyncio.to_thread(lg.stop)
        shutil.rmtree(lg.workdir, ignore_errors=True)
        pg.cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.server")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--poll-s", type=float, default=None,
                        help="LANGGRAPH_POLL_S (default 1, or 5 with --waiting)")
    parser.add_argument("--waiting", default="",
                        help="e.g. 1000,10000,100000: discovery with that many waiting")
    args = parser.parse_args()
    sizes = [int(n) for n in args.waiting.split(",") if n.strip()]
    poll_s = args.poll_s if args.poll_s is not None else (5.0 if sizes else 1.0)
    asyncio.run(main(args.runs, poll_s, sizes))
