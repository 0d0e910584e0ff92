"""Clicks through the bot against bare LangGraph resumes of the same graph and database.

A click is a signed ``block_actions`` POST to ``/slack/events``; it is *done* once its run
is ``done`` in Postgres and its message has been rewritten in (fake) Slack. The baselines
resume on a plain ``AsyncPostgresSaver`` (LangGraph's own, with its one lock).
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from dataclasses import dataclass
from typing import Any

import aiohttp
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.types import Command

from bot.engine.flow import start_run

from support import roundtrips as counting
from support.fake_slack import FakeSlack
from support.harness import button_value, click_payload
from support.signing import interaction_body, sign

INPUT = {"amount": 5000, "recipient": "acme"}
APPROVE = {
    "action": "approve",
    "args": {"amount": 5000.0, "recipient": "acme"},
    "reason": None,
    "decided_by": ["U1"],
    "decided_at": "2026-01-01T00:00:00Z",
}
SELECT_PENDING_RUN = """
SELECT a.id, r.message_ts, run.slack_thread_ts FROM approvals a
JOIN requests r ON r.id = a.request_id JOIN runs run ON run.thread_id = r.thread_id
WHERE r.thread_id = %s
"""
FINISHED = "🏁"  # how the bot's reply in a run's Slack thread starts once the run is done
SELECT_DONE = "SELECT count(*) AS n FROM runs WHERE status = 'done' AND thread_id = ANY(%s)"


@dataclass(frozen=True)
class Pending:
    """A run waiting at its interrupt, and the click that approves it."""

    thread_id: str
    approval_id: int
    message_ts: str
    slack_thread_ts: str
    body: str


class Waits:
    """What the fake Slack signals as calls arrive, so bench waits instead of polling (a
    poll would spend the very CPU it measures): a message rewritten, a run's finished
    reply, which the bot sends only after the run is marked done in Postgres."""

    def __init__(self, fake: FakeSlack) -> None:
        self.rewritten: dict[str, asyncio.Future[None]] = {}
        self.finished: dict[str, asyncio.Future[None]] = {}
        fake.watchers.append(self.seen)

    def expect(self, p: Pending) -> list[asyncio.Future[None]]:
        loop = asyncio.get_running_loop()
        self.rewritten[p.message_ts] = loop.create_future()
        self.finished[p.slack_thread_ts] = loop.create_future()
        return [self.rewritten[p.message_ts], self.finished[p.slack_thread_ts]]

    def seen(self, method: str, params: dict[str, Any]) -> None:
        future = None
        if method == "chat.update":
            future = self.rewritten.pop(str(params.get("ts")), None)
        elif method == "chat.postMessage" and str(params.get("text", "")).startswith(FINISHED):
            future = self.finished.pop(str(params.get("thread_ts")), None)
        if future is not None and not future.done():
            future.set_result(None)


@dataclass
class Bench:
    """What every measurement needs: the app's deps, its URL, the fake, an HTTP client,
    bench's own connection for polling (left out of the round-trip counts) and the
    baseline's pool."""

    deps: Any
    base: str
    fake: FakeSlack
    http: aiohttp.ClientSession
    poll: Any
    bare_pool: Any
    waits: Waits

    async def done(self, threads: list[str]) -> bool:
        cur = await self.poll.execute(SELECT_DONE, (threads,))
        return int((await cur.fetchone())["n"]) == len(threads)

    def all_done(self, runs: list[Pending]) -> asyncio.Future[Any]:
        """Done once each run is done and its message rewritten (expected from now on)."""
        return asyncio.gather(*(future for p in runs for future in self.waits.expect(p)))


async def pending_runs(b: Bench, count: int) -> list[Pending]:
    """``count`` payments runs started through the bot, posted and waiting."""
    started = []
    for _ in range(count):
        run = await start_run(b.deps, "payments", INPUT, channel="C1", requested_by="UREQ")
        cur = await b.poll.execute(SELECT_PENDING_RUN, (run.thread_id,))
        row = await cur.fetchone()
        value = await button_value(b.poll, int(row["id"]))
        body = interaction_body(click_payload("approve", row["id"], user="UALICE", value=value))
        assert row["slack_thread_ts"], "the run's messages have a Slack thread"
        started.append(
            Pending(run.thread_id, int(row["id"]), row["message_ts"], row["slack_thread_ts"], body)
        )
    return started


async def post(b: Bench, body: str) -> float:
    """POST one signed interaction; seconds until the HTTP answer."""
    start = time.perf_counter()
    async with b.http.post(f"{b.base}/slack/events", data=body, headers=sign(body)) as resp:
        assert resp.status == 200, await resp.text()
    return time.perf_counter() - start


async def until(check: Any, *, every_s: float = 0.001) -> None:
    """Poll ``check`` (sync or async) until it is true."""
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        await asyncio.sleep(every_s)


async def one_click(b: Bench, p: Pending) -> tuple[float, float]:
    """One click: (seconds to the ack, seconds until run done and message rewritten)."""
    done = b.all_done([p])
    start = time.perf_counter()
    ack = await post(b, p.body)
    await done
    elapsed = time.perf_counter() - start
    assert await b.done([p.thread_id])
    return ack, elapsed


async def clicks(b: Bench, runs: int) -> tuple[list[float], list[float]]:
    """``runs`` clicks one after another: their ack and done times."""
    timings = [await one_click(b, p) for p in await pending_runs(b, runs)]
    return [a for a, _ in timings], [d for _, d in timings]


async def round_trips(b: Bench, runs: int) -> tuple[list[int], list[int]]:
    """Round trips and pool checkouts of single clicks, until all their work is over."""
    trips, checkouts = [], []
    for p in await pending_runs(b, runs):
        with counting.counting() as counts:
            await one_click(b, p)
            await b.deps.inflight.drain(30)
        trips.append(counts.round_trips)
        checkouts.append(counts.checkouts)
    return trips, checkouts


async def concurrent_clicks(b: Bench, count: int) -> tuple[float, list[float]]:
    """``count`` clicks at once: seconds until all are done and rewritten, and each ack."""
    started = await pending_runs(b, count)
    done = b.all_done(started)
    start = time.perf_counter()
    acks = await asyncio.gather(*(post(b, p.body) for p in started))
    await done
    elapsed = time.perf_counter() - start
    assert await b.done([p.thread_id for p in started])
    return elapsed, list(acks)


async def _bare_interrupted(graph: Any) -> tuple[Command[Any], dict[str, Any]]:
    config = {"configurable": {"thread_id": str(uuid.uuid4())}}
    await graph.ainvoke(INPUT, config)
    interrupt = (await graph.aget_state(config)).interrupts[0]
    return Command(resume={interrupt.id: APPROVE}), config


def naive_graph(b: Bench) -> Any:
    """The payments graph on LangGraph's own saver, on a plain pool of its own (psycopg's
    defaults, as LangGraph's docs open one), so the baseline owes nothing to the bot's."""
    return b.deps.graphs.build("payments", AsyncPostgresSaver(b.bare_pool))


async def bare_resumes(b: Bench, runs: int) -> list[float]:
    """The baseline: LangGraph alone, resuming the payments graph, one after another."""
    graph = naive_graph(b)
    timings = []
    for _ in range(runs):
        command, config = await _bare_interrupted(graph)
        start = time.perf_counter()
        await graph.ainvoke(command, config)
        timings.append(time.perf_counter() - start)
    return timings


async def concurrent_bare(b: Bench, count: int) -> float:
    """The baseline: ``count`` bare resumes at once on one saver."""
    graph = naive_graph(b)
    resumes = [await _bare_interrupted(graph) for _ in range(count)]
    start = time.perf_counter()
    await asyncio.gather(*(graph.ainvoke(cmd, config) for cmd, config in resumes))
    return time.perf_counter() - start


ROUNDS = 3  # bursts of each kind, alternated


async def bursts(b: Bench, clicked: Bench, count: int) -> tuple[float, float, list[float]]:
    """``ROUNDS`` rounds, each ``count`` bare resumes at once (on ``b``) and then ``count``
    clicks at once (on ``clicked``): the median seconds of each kind, and every ack.

    Alternated rounds share whatever else the machine is doing; a single burst of each
    can land one in a busy moment and the other in a quiet one.
    """
    bare, together, acks = [], [], []
    for _ in range(ROUNDS):
        bare.append(await concurrent_bare(b, count))
        elapsed, round_acks = await concurrent_clicks(clicked, count)
        together.append(elapsed)
        acks += round_acks
    return statistics.median(bare), statistics.median(together), acks
