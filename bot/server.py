"""The aiohttp app: Slack events, health, metrics and the runs API."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot.api.callbacks import deliver_soon
from bot.api.decisions import DECISIONS, Decisions, release_polls
from bot.api.routes import routes as api_routes
from bot.app import build_bolt_app
from bot.engine.deps import Inflight
from bot.engine.prompts import PromptedReads
from bot.metrics import METRICS, slack_kind
from bot.runtime import open_deps
from bot.settings import Settings
from bot.web.api import handle_start_run
from bot.web.audit_api import handle_audit
from bot.web.health import handle_health, handle_metrics
from bot.web.keys import BOLT, DEPS, MIGRATE, SETTINGS
from bot.web.langgraph import READS, handle_langgraph_webhook

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024  # Slack payloads are far smaller; anything bigger is refused (413)


# What a payload of the wrong shape raises inside Bolt, which reads ids from the body
# (before and after verifying it) without checking types.
MALFORMED = (ValueError, TypeError, AttributeError, KeyError, IndexError)


def _malformed() -> web.Response:
    return web.json_response({"error": "malformed body"}, status=400)


async def handle_slack(request: web.Request) -> web.StreamResponse:
    """Verify and dispatch one Slack request, timing it to the HTTP answer (the ack)."""
    start = time.perf_counter()
    kind: list[str] = []
    async with request.app[DEPS].urgent.answering():
        response = await _dispatch(request, kind)
    seconds = time.perf_counter() - start
    METRICS.observe("approvals_ack_seconds", seconds, type=kind[0] if kind else "other")
    return response


async def _dispatch(request: web.Request, kind: list[str]) -> web.StreamResponse:
    """Bolt answers 401 to a bad signature; a body of the wrong shape gets 400."""
    deps = request.app[DEPS]
    if deps.inflight.closing:
        return web.json_response({"error": "shutting down"}, status=503)
    try:
        bolt_request = await to_bolt_request(request)  # bad JSON or UTF-8: ValueError
    except MALFORMED:
        return _malformed()
    if not isinstance(bolt_request.body, dict):
        return _malformed()
    kind.append(slack_kind(bolt_request.body))
    try:
        bolt_response = await request.app[BOLT].async_dispatch(bolt_request)
    except MALFORMED:
        log.warning("refused a Slack request of the wrong shape", exc_info=True)
        return _malformed()
    if bolt_response.status >= 500:
        # Bolt answers 500 when its own parsing of a signed body of the wrong shape raised,
        # or when a listener raised before acking (already logged with its traceback by the
        # app's error handler). Neither gets better on a retry, so Slack is told 400.
        log.warning("Slack request not dispatched (Bolt answered %s)", bolt_response.status)
        return _malformed()
    return await to_aiohttp_response(bolt_response)


def track_listeners(bolt: AsyncApp, inflight: Inflight) -> None:
    """Run every Bolt listener as tracked in-flight work, so a graceful shutdown waits.

    Bolt runs a listener in its own task and answers Slack as soon as it acks, so the
    rest of the listener's work is invisible to the HTTP server; this makes it visible.
    """
    for listener in bolt._async_listeners:
        function = getattr(listener, "ack_function", None)
        if function is None:
            continue

        async def tracked(*args: Any, __function: Any = function, **kwargs: Any) -> Any:
            return await asyncio.shield(inflight.spawn(__function(*args, **kwargs)))

        listener.ack_function = tracked


async def _resources(app: web.Application) -> AsyncIterator[None]:
    from bot.engine.discover import run_poller
    from bot.engine.sweeper import run_sweeper

    async with open_deps(app[SETTINGS], run_migrations=app[MIGRATE]) as deps:
        app[DEPS] = deps
        app[BOLT] = build_bolt_app(deps)
        track_listeners(app[BOLT], deps.inflight)
        conninfo = deps.pool.conninfo
        assert isinstance(conninfo, str)  # the pool is opened with the database URL
        decisions = Decisions(conninfo, on_callback=lambda: deliver_soon(deps))
        app[DECISIONS] = decisions
        loops = [asyncio.ensure_future(run_sweeper(deps)), asyncio.ensure_future(decisions.run())]
        if deps.runners.polls:
            loops.append(asyncio.ensure_future(run_poller(deps)))
        yield
        # Graceful shutdown: stop taking work, finish every listener's work and every
        # in-flight resume, then close.
        deps.inflight.closing = True
        for loop in loops:
            loop.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        await deps.inflight.drain(timeout_s=25)


def create_app(
    settings: Settings, *, slack_endpoint: bool = True, run_migrations: bool = True
) -> web.Application:
    """The app factory: resources open in ``cleanup_ctx`` and close on shutdown."""
    app = web.Application(client_max_size=MAX_BODY)
    app[SETTINGS] = settings
    app[MIGRATE] = run_migrations
    app.cleanup_ctx.append(_resources)
    app.on_shutdown.append(release_polls)
    app[READS] = PromptedReads()
    routes: list[Any] = [
        web.get("/healthz", handle_health),
        web.get("/metrics", handle_metrics),
        web.post("/api/runs", handle_start_run),
        web.get("/api/audit", handle_audit),
        web.post("/langgraph/webhook", handle_langgraph_webhook),
        *api_routes(),
    ]
    if slack_endpoint:
        routes.append(web.post("/slack/events", handle_slack))
    app.add_routes(routes)
    return app
