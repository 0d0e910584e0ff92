"""Real ``python -m bot serve`` processes for fault tests: start, click, kill, restart."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
from psycopg.rows import dict_row

from bot.engine.deps import Deps
from bot.runtime import open_deps

from support.config import TEST_GRAPHS, make_settings
from support.fake_slack import FakeSlack
from support.graphs import CREATE as CREATE_SIDE_EFFECTS
from support.harness import button_value, click_payload
from support.signing import SIGNING_SECRET, interaction_body, sign

ROOT = Path(__file__).resolve().parent.parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bot_env(database_url: str, fake: FakeSlack, **extra: str) -> dict[str, str]:
    """The environment a deployment gives the bot, pointed at the fakes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "APPROVALS_"))}
    env.update(
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.url,
        DATABASE_URL=database_url,
        APPROVALS_CHANNEL="C0APPROVALS",
        APPROVALS_GRAPHS=TEST_GRAPHS,
        APPROVALS_SWEEP_S="3600",
        PYTHONPATH=f"{ROOT}:{ROOT / 'tests'}",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@asynccontextmanager
async def engine(database_url: str, fake: FakeSlack, **overrides: Any) -> AsyncIterator[Deps]:
    """The engine in this process (to start runs), as ``python -m bot run`` opens it."""
    async with open_deps(make_settings(database_url, fake, **overrides)) as deps:
        async with deps.pool.connection() as conn:
            await conn.execute(CREATE_SIDE_EFFECTS)  # so tests can count effects from the start
        yield deps


@dataclass
class Served:
    """One ``serve`` subprocess."""

    proc: asyncio.subprocess.Process
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Procs:
    """Starts ``serve`` processes and makes sure none outlives the test."""

    database_url: str
    fake: FakeSlack
    log_dir: Path
    http: aiohttp.ClientSession
    started: list[Served] = field(default_factory=list)

    async def serve(self, **env: str) -> Served:
        """Start ``python -m bot serve`` and wait until ``/healthz`` answers 200."""
        port = free_port()
        log = self.log_dir / f"serve-{len(self.started)}-{port}.log"
        with log.open("wb") as out:
            proc = await asyncio.create_subprocess_exec(
                str(PYTHON), "-m", "bot", "serve", cwd=ROOT, stdout=out, stderr=out,
                env=bot_env(self.database_url, self.fake, PORT=str(port), **env),
            )
        served = Served(proc, port, log)
        self.started.append(served)
        await self.wait_healthy(served)
        return served

    async def wait_healthy(self, served: Served, *, within_s: float = 30.0) -> None:
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            if served.proc.returncode is not None:
                raise AssertionError(f"serve exited early:\n{served.output()}")
            if await self.health(served) == 200:
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"serve never became healthy:\n{served.output()}")

    async def health(self, served: Served) -> int:
        """The status of ``GET /healthz`` (0 when nothing answers)."""
        try:
            async with self.http.get(f"{served.url}/healthz") as resp:
                return resp.status
        except aiohttp.ClientError:
            return 0

    async def click(self, served: Served, kind: str, approval_id: int, *, user: str) -> int:
        """A signed button click (on the current version) sent to ``served``; returns the
        HTTP status."""
        value: str | None
        try:
            async with await psycopg.AsyncConnection.connect(
                self.database_url, row_factory=dict_row
            ) as conn:
                value = await button_value(conn, approval_id)
        except psycopg.OperationalError:  # Postgres is down: the button the message shows
            value = self.fake.button_value(approval_id)
        body = interaction_body(click_payload(kind, approval_id, user=user, value=value))
        async with self.http.post(
            f"{served.url}/slack/events", data=body.encode(), headers=sign(body)
        ) as resp:
            return resp.status

    async def stop(self, served: Served, sig: int = signal.SIGTERM, within_s: float = 30) -> int:
        """Signal ``served`` and wait for it to exit; returns the exit code."""
        if served.proc.returncode is None:
            served.proc.send_signal(sig)
        return await asyncio.wait_for(served.proc.wait(), within_s)

    async def close(self) -> None:
        for served in self.started:
            if served.proc.returncode is None:
                served.proc.kill()
                await served.proc.wait()


@asynccontextmanager
async def procs(database_url: str, fake: FakeSlack, log_dir: Path) -> AsyncIterator[Procs]:
    """A :class:`Procs` whose processes are killed on the way out."""
    async with aiohttp.ClientSession() as http:
        group = Procs(database_url, fake, log_dir, http)
        try:
            yield group
        finally:
            await group.close()


async def run_cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    """Run ``python -m bot ARGS``; returns (exit code, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        str(PYTHON), "-m", "bot", *args, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


__all__ = ["Procs", "Served", "bot_env", "engine", "procs", "run_cli"]
