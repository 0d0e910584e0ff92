"""Costs as open requests pile up: a sweeper pass, ``/approvals pending``, App Home, a click.

Requests are seeded in bulk (``support.seed``), each waiting for ``UALICE``; a person with
nothing waiting (``UNOBODY``) is measured too, since their list must look at everything.
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any
from urllib.parse import urlencode

from bench.clicks import Bench, one_click, pending_runs, post, until
from bot.engine.sweeper import sweep_once

from support.seed import seed_pending

REPEAT = 7
SWEEPS = 15  # a pass takes milliseconds: more samples steady its median


def command_body(user: str, text: str = "pending") -> str:
    """``/approvals TEXT`` as Slack posts it."""
    return urlencode({
        "team_id": "T111", "channel_id": "C1", "user_id": user, "command": "/approvals",
        "text": text, "api_app_id": "A111", "trigger_id": "1.2.a",
        "response_url": "https://hooks.slack.com/commands/T111/1/x",
    })


def home_body(user: str) -> str:
    """An ``app_home_opened`` event as Slack posts it."""
    return json.dumps({
        "token": "verification_token", "team_id": "T111", "api_app_id": "A111",
        "type": "event_callback",
        "event_id": "Ev1", "event_time": 1700000000,
        "event": {"type": "app_home_opened", "user": user, "tab": "home",
                  "event_ts": "1700000000.000100"},
    })


async def _median(measure: Any) -> float:
    return statistics.median([await measure() for _ in range(REPEAT)])


async def _home(b: Bench, user: str) -> float:
    from support.signing import sign

    before = len(b.fake.of("views.publish"))
    body = home_body(user)
    start = time.perf_counter()
    headers = {**sign(body), "Content-Type": "application/json"}
    async with b.http.post(f"{b.base}/slack/events", data=body, headers=headers) as resp:
        assert resp.status == 200
    await until(lambda: len(b.fake.of("views.publish")) > before)
    return time.perf_counter() - start


async def _sweep(b: Bench) -> float:
    start = time.perf_counter()
    await sweep_once(b.deps)
    return time.perf_counter() - start


async def measure(b: Bench) -> dict[str, float]:
    """Median seconds of each operation at the current number of open requests."""
    clicks = await pending_runs(b, REPEAT)
    click_times = [(await one_click(b, p))[1] for p in clicks]
    return {
        "sweeper pass": statistics.median([await _sweep(b) for _ in range(SWEEPS)]),
        "/approvals pending": await _median(lambda: post(b, command_body("UALICE"))),
        "/approvals pending, nothing for you": await _median(
            lambda: post(b, command_body("UNOBODY"))
        ),
        "App Home": await _median(lambda: _home(b, "UALICE")),
        "click → done": statistics.median(click_times),
    }


async def grow_to(b: Bench, total: int, *, have: int) -> int:
    """Seed open requests until ``total`` wait; returns the new count."""
    if total > have:
        await seed_pending(b.poll, total - have, prefix=f"seed{have}-", approvers=["UALICE"])
    return max(total, have)
