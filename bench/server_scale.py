"""``python -m bench.server --waiting 1000,10000``: discovery with N threads waiting.

For each N, a fresh ``langgraph dev`` gets N interrupted threads, created concurrently
through the SDK, and the bot (polling every ``--poll-s``, default 5 s as deployed)
posts them all. Then, against its target:
- interrupt → posted by polling alone (runs started after a random pause);
- a quiet tick (nothing changed since the last one): wall time, the bot's CPU, threads
  and bytes read from the server; the poll loops are held off meanwhile;
- a burst of 500 new interrupts: the last one's interrupt → all 500 posted;
- interrupt → posted with the run's webhook.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import time
from typing import Any

import httpx
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient

from bench.__main__ import goal
from bench.server import _posted, bot, to_post
from bot.engine.discovery import tick

from support.fake_slack import FakeSlack
from support.langgraph_dev import LangGraphDev, start_langgraph_dev
from support.server_seed import seed_interrupted

QUIET_TICKS = 5
HOLD = "UPDATE remote_polls SET next_at = now() + interval '1 hour'"
RELEASE = "UPDATE remote_polls SET next_at = now()"


async def _sql(deps: Any, sql: str) -> None:
    async with deps.pool.connection() as conn:
        await conn.execute(sql)


async def quiet_ticks(deps: Any) -> list[tuple[float, float, int, int]]:
    """(wall s, bot CPU s, threads read, bytes read) of ticks with nothing new."""
    read = [0]

    async def count(response: httpx.Response) -> None:
        await response.aread()
        read[0] += len(response.content)

    http = deps.runners.remote.client.http.client
    await _sql(deps, HOLD)  # the bot's own loops wait while bench ticks
    await asyncio.sleep(1.0)  # a turn under way ends
    http.event_hooks["response"].append(count)
    found = []
    try:
        for _ in range(QUIET_TICKS):
            read[0] = 0
            wall, cpu = time.perf_counter(), time.process_time()
            scan = await tick(deps)
            found.append((time.perf_counter() - wall, time.process_time() - cpu, scan.read,
                          read[0]))
    finally:
        http.event_hooks["response"].remove(count)
        await _sql(deps, RELEASE)
    return found


async def burst(client: LangGraphClient, fake: FakeSlack, size: int) -> tuple[float, float]:
    """Seconds from the last of ``size`` new interrupts (and from the first) to all posted."""
    before = len(fake.of("chat.postMessage"))
    began = time.time()
    await seed_interrupted(client, size, concurrency=32)
    seeded = time.time()
    done = await _posted(fake, before + size)
    return done - seeded, done - began


async def one_size(
    client: LangGraphClient, deps: Any, fake: FakeSlack, hook: str, *, n: int, poll_s: float,
    runs: int, margin_s: float,
) -> dict[str, Any]:
    """Every figure at ``n`` waiting, printed as it is measured."""
    began = time.time()
    await seed_interrupted(client, n, concurrency=32)
    seeded = time.time() - began
    await _posted(fake, n)
    print(f"N={n}: seeded in {seeded:.0f} s; all {n} posted {time.time() - began:.0f} s "
          "after the seeding began", flush=True)
    polled = await to_post(client, fake, runs, webhook=None, jitter_s=poll_s, before=n)
    goal("interrupt → posted, polling only (max)", f"{max(polled):.2f} s", max(polled),
         poll_s + 1, " s")
    await asyncio.sleep(margin_s + 1)  # what changed lately is behind the margin now
    quiet = await quiet_ticks(deps)
    wall = statistics.median(q[0] for q in quiet)
    cpu = statistics.median(q[1] for q in quiet)
    print(f"  quiet tick: median {wall * 1000:.1f} ms wall, {cpu * 1000:.1f} ms bot CPU, "
          f"{quiet[0][2]} threads, {quiet[0][3] / 1024:.1f} KB read", flush=True)
    last, first = await burst(client, fake, 500)
    goal("500 at once: last interrupt → all posted", f"{last:.1f} s", last, 30, " s")
    print(f"  … from the first of the 500 created: {first:.1f} s", flush=True)
    posts = len(fake.of("chat.postMessage"))
    hooked = await to_post(client, fake, runs, webhook=hook, jitter_s=0, before=posts)
    goal("interrupt → posted, webhook (max)", f"{max(hooked) * 1000:.0f} ms",
         max(hooked) * 1000, 250, " ms")
    return {"n": n, "polled": polled, "quiet_wall": wall, "quiet_cpu": cpu, "burst": last,
            "hooked": hooked}


async def scale(pg_uri: str, sizes: list[int], *, poll_s: float, runs: int) -> None:
    """Each size on a fresh server and a fresh database; then the quiet tick's growth."""
    results = []
    for n in sizes:
        lg: LangGraphDev = await asyncio.to_thread(start_langgraph_dev)
        try:
            client = get_client(url=lg.url, api_key=None)
            async with bot(pg_uri, lg, poll_s=poll_s) as (base, deps, fake):
                hook = f"{base}/langgraph/webhook"
                results.append(await one_size(
                    client, deps, fake, hook, n=n, poll_s=poll_s, runs=runs,
                    margin_s=deps.settings.langgraph_margin_s,
                ))
        finally:
            await asyncio.to_thread(lg.stop)
            shutil.rmtree(lg.workdir, ignore_errors=True)
    if len(results) > 1:
        small, large = results[0], results[-1]
        ratio = large["quiet_wall"] / small["quiet_wall"]
        goal(f"quiet tick wall, {large['n']} / {small['n']}", "", ratio, 2.0)
        goal(f"quiet tick CPU, {large['n']} / {small['n']}", "",
             large["quiet_cpu"] / small["quiet_cpu"], 2.0)
