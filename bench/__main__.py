"""``.venv/bin/python -m bench [--runs N]``: every figure of the click path, with its goal.

Everything runs on one fresh embedded database with a fake Slack on loopback, and each
figure is printed next to its baseline measured in the same run (a bare LangGraph
``ainvoke(Command(resume=…))`` of the same graph on LangGraph's own saver), so both share
whatever else the machine is doing.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

import aiohttp
import psycopg
from aiohttp.test_utils import TestServer
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from bench.clicks import (  # noqa: E402
    ROUNDS,
    Bench,
    Waits,
    bare_resumes,
    bursts,
    clicks,
    round_trips,
)
from bench.process import serve_and_measure  # noqa: E402
from bench.scale import grow_to, measure  # noqa: E402
from bench.served import served_click_path  # noqa: E402
from bot.server import create_app  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.web.keys import DEPS  # noqa: E402

from support import roundtrips as counting  # noqa: E402
from support.fake_slack import FakeSlack, start_fake_slack  # noqa: E402
from support.signing import SIGNING_SECRET  # noqa: E402


def ms(values: list[float]) -> str:
    """Median, p90 and p99 in milliseconds."""
    ordered = sorted(values)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    p99 = ordered[int(0.99 * (len(ordered) - 1))]
    return (f"median {statistics.median(ordered) * 1000:7.1f} ms   p90 {p90 * 1000:7.1f} ms"
            f"   p99 {p99 * 1000:7.1f} ms")


def goal(name: str, value: str, ratio: float, limit: float, unit: str = "x") -> None:
    """One figure, its ratio (or value) against its goal, and whether it is met."""
    verdict = "met" if ratio <= limit else "NOT MET"
    print(f"  {name:<44} {value:>22}   {ratio:7.2f}{unit} (goal ≤ {limit:g}{unit})  {verdict}")


async def click_path(b: Bench, runs: int) -> None:
    """Latency, concurrency, ack and round trips, each against its baseline."""
    await bare_resumes(b, 3)  # warm up both paths
    await clicks(b, 3)
    bare = await bare_resumes(b, runs)
    acks, done = await clicks(b, runs)
    trips, checkouts = await round_trips(b, 5)
    print(f"runs: {runs} (payments graph, embedded Postgres, fake Slack on loopback)")
    print(f"bare LangGraph resume (baseline)       {ms(bare)}")
    print(f"click → ack (HTTP answer)               {ms(acks)}")
    print(f"click → run done, message rewritten     {ms(done)}")
    print(f"round trips to Postgres per click       median {statistics.median(trips):.0f} "
          f"(min {min(trips)}, max {max(trips)}); "
          f"pool checkouts {statistics.median(checkouts):.0f}")
    together_bare, together, together_acks = await bursts(b, b, runs)
    print(f"{runs} bare resumes at once, one saver     {together_bare * 1000:7.0f} ms"
          f"   (median of {ROUNDS}, alternated with the clicks)")
    print(f"{runs} clicks at once → all done           {together * 1000:7.0f} ms")
    print(f"{runs} clicks at once, each ack            {ms(together_acks)}")
    print("goals:")
    ratio = statistics.median(done) / statistics.median(bare)
    goal("latency: click → done / bare resume", f"{statistics.median(done) * 1000:.1f} ms",
         ratio, 1.5)
    goal(f"concurrency: {runs} clicks / {runs} bare at once", f"{together * 1000:.0f} ms",
         together / together_bare, 1.0)
    p99 = sorted(together_acks)[int(0.99 * (len(together_acks) - 1))] * 1000
    goal(f"ack p99 with {runs} clicks at once", f"{p99:.1f} ms", p99, 50, " ms")


async def scale(b: Bench, database_url: str, fake: FakeSlack, largest: int) -> None:
    """Each operation at 1k and at ``largest`` open requests; memory and start at 10k."""
    have = await grow_to(b, 1000, have=0)
    small = await measure(b)
    have = await grow_to(b, 10_000, have=have)
    served = await serve_and_measure(database_url, fake)
    have = await grow_to(b, largest, have=have)
    large = await measure(b)
    print(f"scale: {len(small)} operations at 1k and at {largest // 1000}k open requests")
    for name, at_small in small.items():
        value = f"{at_small * 1000:.1f} → {large[name] * 1000:.1f} ms"
        goal(f"{name}", value, large[name] / at_small, 2.0)
    print("memory and start of a serve process, 10k open requests:")
    goal("RSS after lists and App Homes", f"peak {served.peak_mb:.0f} MB", served.rss_mb, 200,
         " MB")
    goal("start → /healthz 200, existing database", "", served.start_s, 2.0, " s")


async def main(runs: int, largest: int, workers: list[int]) -> None:
    import pgserver

    counting.install()
    data_dir = tempfile.mkdtemp(prefix="approvals-bench-pg-")
    server = pgserver.get_server(data_dir, cleanup_mode="stop")
    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    database_url = make_conninfo(server.get_uri(), dbname=name)
    fake = FakeSlack()
    fake_runner = await start_fake_slack(fake)
    settings = Settings(
        _env_file=None,
        slack_bot_token="xoxb-bench",  # type: ignore[call-arg]
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake.url,
        database_url=database_url,
        approvals_sweep_s=3600,
    )
    app = create_app(settings)
    web = TestServer(app, host="127.0.0.1", port=0)
    await web.start_server()
    poll = await psycopg.AsyncConnection.connect(
        database_url, autocommit=True, row_factory=dict_row
    )
    bare_pool = AsyncConnectionPool(
        database_url, max_size=20, open=False,
        kwargs={"autocommit": True, "row_factory": dict_row, "prepare_threshold": 0},
    )
    await bare_pool.open(wait=True)
    try:
        async with aiohttp.ClientSession() as http:
            base = str(web.make_url("")).rstrip("/")
            b = Bench(app[DEPS], base, fake, http, poll, bare_pool, Waits(fake))
            await click_path(b, runs)
            for count in workers:
                await served_click_path(b, database_url, runs, count)
            if largest:
                await scale(b, database_url, fake, largest)
    finally:
        await bare_pool.close()
        await poll.close()
        await web.close()
        await fake_runner.cleanup()
        server.cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--pending", type=int, default=100_000,
                        help="open requests of the scale figures (0 skips them)")
    parser.add_argument("--workers", default="1,2",
                        help="WEB_CONCURRENCY values of the serve figures ('' skips them)")
    cli = parser.parse_args()
    asyncio.run(main(cli.runs, cli.pending, [int(w) for w in cli.workers.split(",") if w]))
