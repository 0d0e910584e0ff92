"""A real ``python -m bot serve`` process: time from start to healthy, and its memory."""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench.scale import command_body, home_body

from support.fake_slack import FakeSlack
from support.procs import bot_env, free_port
from support.signing import sign

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Served:
    """What one serve process measured."""

    start_s: float
    rss_mb: float
    peak_mb: float


def _memory_mb(pid: int) -> tuple[float, float]:
    """Resident and peak resident memory of ``pid`` (Linux ``/proc``), in MB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


async def _healthy(http: aiohttp.ClientSession, url: str) -> bool:
    try:
        async with http.get(f"{url}/healthz") as resp:
            return resp.status == 200
    except aiohttp.ClientError:
        return False


async def serve_and_measure(database_url: str, fake: FakeSlack, *, requests: int = 5) -> Served:
    """Start serve on an existing database, time it to healthy, then ask it for lists
    and App Homes ``requests`` times each and read its memory."""
    port = free_port()
    env = bot_env(database_url, fake, PORT=str(port))
    start = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            while not await _healthy(http, url):
                if proc.returncode is not None or time.perf_counter() - start > 60:
                    raise RuntimeError("serve did not become healthy")
                await asyncio.sleep(0.01)
            start_s = time.perf_counter() - start
            for _ in range(requests):
                for body, kind in ((command_body("UALICE"), "form"), (home_body("UALICE"), "json")):
                    headers = sign(body)
                    if kind == "json":
                        headers["Content-Type"] = "application/json"
                    async with http.post(f"{url}/slack/events", data=body, headers=headers) as r:
                        assert r.status == 200
            await asyncio.sleep(0.5)  # let the App Home publishes finish
            rss, peak = _memory_mb(proc.pid)
    finally:
        if proc.returncode is None:
            proc.terminate()
            await proc.wait()
    return Served(start_s, rss, peak)
