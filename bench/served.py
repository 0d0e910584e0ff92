"""The click path against real ``python -m bot serve`` processes, as a deployment runs it.

In-process figures (``bench.clicks``) charge the bot with the CPU of bench's own HTTP
client and of the fake Slack, which share its one process. Here the bot is a ``serve``
process (``WEB_CONCURRENCY`` workers of it) on the same database, clicked over loopback,
while the fake Slack and the baseline stay in bench's process. Runs are started and the
fake Slack's signals are waited on exactly as in ``bench.clicks``.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

from bench.clicks import Bench, bare_resumes, bursts, clicks, concurrent_clicks

from support.procs import bot_env, free_port

ROOT = Path(__file__).resolve().parent.parent
READY_LINE = {1: b"mode: ", 2: b"workers: "}  # what serve says once every worker listens


@asynccontextmanager
async def serving(b: Bench, database_url: str, workers: int) -> AsyncIterator[Bench]:
    """A ``serve`` with ``workers`` workers on ``database_url``; ``b`` pointed at it."""
    port = free_port()
    env = bot_env(database_url, b.fake, PORT=str(port), HOST="127.0.0.1",
                  WEB_CONCURRENCY=str(workers))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stderr is not None
    marker = READY_LINE[min(workers, 2)]
    while marker not in (line := await asyncio.wait_for(proc.stderr.readline(), 60)):
        if not line:
            raise RuntimeError("serve exited before it listened")
    drain = asyncio.ensure_future(proc.stderr.read())  # keep the pipe from filling up
    try:
        yield replace(b, base=f"http://127.0.0.1:{port}")
    finally:
        proc.terminate()
        await proc.wait()
        await drain


async def served_click_path(b: Bench, database_url: str, runs: int, workers: int) -> None:
    """Latency, concurrency and ack of a ``serve`` with ``workers`` workers, each against
    its baseline from this same run."""
    from bench.__main__ import goal, ms

    async with serving(b, database_url, workers) as served:
        await clicks(served, 3)  # warm up every worker's pool (connections are spread)
        await concurrent_clicks(served, min(runs, 20))
        bare = await bare_resumes(b, runs)
        acks, done = await clicks(served, runs)
        together_bare, together, together_acks = await bursts(b, served, runs)
    name = f"serve, WEB_CONCURRENCY={workers}"
    print(f"{name}:")
    print(f"  bare LangGraph resume (baseline)     {ms(bare)}")
    print(f"  click → ack                           {ms(acks)}")
    print(f"  click → run done, message rewritten   {ms(done)}")
    print(f"  {runs} bare at once {together_bare * 1000:.0f} ms; {runs} clicks at once "
          f"{together * 1000:.0f} ms; each ack {ms(together_acks)}")
    ratio = statistics.median(done) / statistics.median(bare)
    goal(f"latency ({name})", f"{statistics.median(done) * 1000:.1f} ms", ratio, 1.5)
    goal(f"concurrency ({name})", f"{together * 1000:.0f} ms", together / together_bare, 1.0)
    p99 = sorted(together_acks)[int(0.99 * (len(together_acks) - 1))] * 1000
    goal(f"ack p99, {runs} at once ({name})", f"{p99:.1f} ms", p99, 50, " ms")
