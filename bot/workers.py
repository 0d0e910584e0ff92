"""``WEB_CONCURRENCY`` > 1: serve from several worker processes sharing one port.

One Python process answers its clicks one CPU at a time, so a burst of clicks queues
behind itself. The supervisor starts the embedded Postgres when ``DATABASE_URL`` is unset
and runs the migrations once, then starts ``WEB_CONCURRENCY`` workers (``serve --worker``).
Each worker is a whole instance, like the N instances of "Production": its own pool,
sweeper and lease owner. All bind the port with ``SO_REUSEPORT``, so the kernel spreads
Slack's connections over them. A worker says ``ready`` on its stdout once it listens.
A worker that dies after that is started again; one that dies before (a port taken, a
bad setting) stops them all, since starting it again would fail the same way. SIGTERM
and SIGINT are passed on to every worker, each of which finishes its in-flight work.
A worker's stdin is a pipe from the supervisor that is never written: if the supervisor
dies (even by SIGKILL), the pipe closes and the worker shuts down as on SIGTERM, so no
worker outlives it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import sys
import tempfile

from prometheus_client import multiprocess

from bot.errors import ConfigError
from bot.metrics import MULTIPROC_ENV
from bot.settings import Settings

log = logging.getLogger(__name__)
READY = b"ready\n"  # what a worker prints on its stdout once it listens
READY_S = 60.0  # how long a worker may take to start
RESTART_S = 1.0  # pause before starting a worker again; doubled while workers keep dying
MAX_RESTART_S = 30.0
STABLE_S = 60.0  # a worker that lived this long resets the pause
STOP_S = 30.0  # how long a worker may take to finish its in-flight work on SIGTERM


class WorkerFailed(Exception):
    """A worker exited (or hung) before it listened: the exit code to stop with."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


async def _spawn(env: dict[str, str]) -> asyncio.subprocess.Process:
    """Start a worker and wait until it listens; :class:`WorkerFailed` if it never does."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", "--worker", env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        said = await asyncio.wait_for(proc.stdout.readline(), READY_S)
    except TimeoutError:
        said = b""
    if said != READY:
        if proc.returncode is None:
            proc.kill()
        code = await proc.wait()
        log.error("worker %s exited at its start (code %s): stopping", proc.pid, code)
        raise WorkerFailed(code or 1)
    return proc


async def orphaned() -> None:
    """In a worker: return once the supervisor is gone (its stdin pipe was closed)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    await reader.read()


async def _migrate(url: str) -> None:
    from persistence.checkpointer import open_checkpointer
    from persistence.migrations import migrate
    from persistence.pool import open_pool

    pool = await open_pool(url, max_size=2)
    try:
        await pool.wait(timeout=30)
        await migrate(pool)
        await open_checkpointer(pool, setup=True)
    finally:
        await pool.close()


async def supervise(settings: Settings, start_lines: list[str]) -> int:
    """Run ``settings.web_concurrency`` workers until SIGTERM/SIGINT; returns the exit code."""
    from bot.runtime import database_url

    if settings.socket_mode:
        raise ConfigError(
            "WEB_CONCURRENCY > 1 needs HTTP mode: in Socket Mode, run one process per "
            "connection instead (see README, 'Production')."
        )
    url, server = database_url(settings)
    metrics_dir = tempfile.mkdtemp(prefix="approvals-metrics-")  # see bot.metrics
    env = {**os.environ, "DATABASE_URL": url, MULTIPROC_ENV: metrics_dir}
    try:
        return await _supervise(settings, env, start_lines)
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
        del server  # the embedded server stops with its last user


async def _supervise(settings: Settings, env: dict[str, str], start_lines: list[str]) -> int:
    await _migrate(env["DATABASE_URL"])
    workers: list[asyncio.subprocess.Process] = []
    try:
        for _ in range(settings.web_concurrency):
            workers.append(await _spawn(env))
    except WorkerFailed as exc:
        await _stop_all(workers)
        return exc.code
    for line in start_lines:
        log.info("%s", line)
    log.info("workers: %d processes on the one port", len(workers))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        return await _watch(workers, env, stop)
    finally:
        await _stop_all(workers)


async def _watch(
    workers: list[asyncio.subprocess.Process], env: dict[str, str], stop: asyncio.Event
) -> int:
    """Start workers again as they die, until ``stop`` is set (0) or one cannot start."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.ensure_future(stop.wait())
    born = {w.pid: loop.time() for w in workers}
    quick = 0  # workers that died in a row before STABLE_S
    try:
        while True:
            exits = {asyncio.ensure_future(w.wait()): w for w in workers}
            done, _ = await asyncio.wait([stopping, *exits], return_when=asyncio.FIRST_COMPLETED)
            for future in exits:
                future.cancel()
            if stopping in done:
                log.info("shutting down: every worker finishes its in-flight work")
                return 0
            for future in done:
                dead = exits[future]
                log.error("worker %s exited (code %s): starting another", dead.pid,
                          dead.returncode)
                multiprocess.mark_process_dead(dead.pid, env[MULTIPROC_ENV])
                quick = quick + 1 if loop.time() - born.pop(dead.pid) < STABLE_S else 0
                await asyncio.sleep(min(RESTART_S * 2 ** max(quick - 1, 0), MAX_RESTART_S))
                if stop.is_set():
                    break
                try:
                    fresh = await _spawn(env)
                except WorkerFailed as exc:
                    return exc.code
                workers[workers.index(dead)] = fresh
                born[fresh.pid] = loop.time()
    finally:
        stopping.cancel()


async def _stop_all(workers: list[asyncio.subprocess.Process]) -> None:
    for worker in workers:
        if worker.returncode is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            await asyncio.wait_for(worker.wait(), STOP_S)
        except TimeoutError:
            log.error("worker %s did not stop within %.0f s: killed", worker.pid, STOP_S)
            worker.kill()
            await worker.wait()
