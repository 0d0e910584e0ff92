"""What each CLI command does; each takes the settings and the parsed arguments."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from bot.errors import ConfigError
from bot.settings import Settings

log = logging.getLogger(__name__)
Command = Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]


def dump(value: Any) -> str:
    """JSON for the terminal (dates as ISO-8601)."""
    return json.dumps(value, default=str, ensure_ascii=False)


async def serve(settings: Settings, args: argparse.Namespace) -> int:
    """Serve until SIGTERM/SIGINT, then shut down gracefully.

    With ``WEB_CONCURRENCY`` > 1 this process supervises that many workers
    (:mod:`bot.workers`); a worker (``--worker``) shares the port and stays quiet.
    """
    from bot.server import create_app

    second = "slack_app_token" if settings.socket_mode else "slack_signing_secret"
    settings.require("slack_bot_token", second)
    worker = bool(getattr(args, "worker", False))
    if settings.web_concurrency > 1 and not worker:
        from bot.workers import supervise

        return await supervise(settings, start_lines(settings))
    app = create_app(settings, slack_endpoint=not settings.socket_mode, run_migrations=not worker)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    try:
        await _listen(runner, settings, worker=worker)
        await _until_stopped(app, settings, worker=worker)
    finally:
        await runner.cleanup()
    return 0


async def _listen(runner: web.AppRunner, settings: Settings, *, worker: bool) -> None:
    site = web.TCPSite(runner, host=settings.host, port=settings.port, reuse_port=worker or None)
    try:
        await site.start()
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on port {settings.port}: {exc.strerror or exc}. Is another "
            "process using it? Stop it, or set PORT to a free port."
        ) from exc
    if worker:
        from bot.workers import READY

        sys.stdout.buffer.write(READY)  # to the supervisor: this worker listens
        sys.stdout.flush()


async def _until_stopped(app: web.Application, settings: Settings, *, worker: bool) -> None:
    from bot.slack.socket import TimedSocketModeHandler
    from bot.web.keys import BOLT, DEPS

    handler = None
    if settings.socket_mode:
        handler = TimedSocketModeHandler(
            app[BOLT], settings.secret("slack_app_token"), web_client=app[DEPS].slack
        )
        handler.answering = app[DEPS].urgent.answering
        await handler.connect_async()
    for line in [] if worker else start_lines(settings):
        log.info("%s", line)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if worker:
        from bot.workers import orphaned

        lifeline = asyncio.ensure_future(orphaned())
        lifeline.add_done_callback(lambda _: stop.set())
    await stop.wait()
    if not worker:
        log.info("shutting down: finishing in-flight work")
    app[DEPS].inflight.closing = True
    if handler:
        await handler.close_async()


def start_lines(settings: Settings) -> list[str]:
    """What a start says: where it listens, which database, which mode."""
    if settings.host:
        where = f"http://{settings.host}:{settings.port}"
    else:  # aiohttp binds every interface (IPv4 and IPv6) when no host is given
        where = f"port {settings.port} on every interface"
    if settings.socket_mode:
        mode = "Socket Mode (Slack over a WebSocket; no public endpoint needed)"
    else:
        mode = "HTTP (Slack posts to /slack/events)"
    return [
        f"listening on {where} (/healthz, /metrics)",
        f"database: {settings.database_label()}",
        f"mode: {mode}",
    ]


async def run(settings: Settings, args: argparse.Namespace) -> int:
    """Start a run from any process; its requests are resumed by ``serve``."""
    from bot.engine.flow import start_run
    from bot.runtime import open_deps

    settings.require("slack_bot_token")
    channel = args.channel or settings.approvals_channel
    if not channel:
        raise ConfigError("no channel: pass --channel or set APPROVALS_CHANNEL")
    try:
        run_input = json.loads(args.input)
    except json.JSONDecodeError as exc:
        if args.input.lstrip()[:1] in ("{", "["):
            raise ConfigError(f"--input is not valid JSON: {exc}") from None
        run_input = args.input  # plain text: an agent's input
    async with open_deps(settings) as deps:
        started = await start_run(
            deps, args.graph, run_input, channel=channel, requested_by=args.requested_by
        )
    print(dump(started.as_json()) if args.json else started.thread_id)
    for o in started.overrides:
        print(f"note: the graph's {o['source']} block asked {o['field']} = {o['asked']!r}; "
              f"the policy file allows {o['applies']!r}", file=sys.stderr)
    if started.error:
        # The run was recorded (its thread id is printed) but nobody will be asked.
        print(f"error: run {started.thread_id} failed: {started.error}", file=sys.stderr)
        return 3
    return 0


async def pending(settings: Settings, args: argparse.Namespace) -> int:
    """Requests waiting for a decision, oldest first."""
    from bot.audit_view import when
    from bot.engine.inbox import headline_of
    from bot.runtime import open_deps
    from persistence.inbox import pending_requests

    async with open_deps(settings) as deps, deps.pool.connection() as conn:
        rows = await pending_requests(conn)
    for row in rows:
        r: dict[str, object] = {**row, "title": headline_of(row)}
        del r["actions"]
        expires = when(r["expires_at"]) if isinstance(r["expires_at"], datetime) else "never"
        print(
            dump(r)
            if args.json
            else f"{r['id']:>6}  {r['graph']:<12} {r['title']}  "
            f"(thread {r['thread_id']}, expires {expires})"
        )
    if not rows and not args.json:
        print("no pending requests")
    return 0


async def audit(settings: Settings, args: argparse.Namespace) -> int:
    """The trail of one run: every event with actor, time, arguments and reason; or the
    export of every run's (``--since``/``--until``), or ``verify`` (see bot.cli_audit)."""
    from bot.cli_audit import audit_other

    other = await audit_other(settings, args)
    if other is not None:
        return other
    from bot.audit_view import format_trail
    from bot.runtime import open_deps
    from persistence.audit import trail

    try:
        tz = ZoneInfo(args.tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"--tz {args.tz!r} is no time zone: try UTC or Europe/Paris") from None
    async with open_deps(settings) as deps, deps.pool.connection() as conn:
        events = await trail(conn, args.thread_id)
    if not events:
        raise ConfigError(f"no audit events for thread {args.thread_id}")
    text = json.dumps(events, default=str, indent=2) if args.json else format_trail(events, tz=tz)
    print(text)
    return 0


async def migrate(settings: Settings, args: argparse.Namespace) -> int:
    """Apply our migrations and LangGraph's checkpointer setup."""
    from bot.runtime import open_deps

    async with open_deps(settings):
        print("database is up to date")
    return 0


COMMANDS: dict[str, Command] = {
    "serve": serve,
    "run": run,
    "pending": pending,
    "audit": audit,
    "migrate": migrate,
}
