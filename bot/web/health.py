"""``GET /healthz`` (with the database state) and ``GET /metrics`` (Prometheus)."""

from __future__ import annotations

import asyncio

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.engine.discovery import discovery_state
from bot.metrics import METRICS
from bot.web.keys import DEPS
from persistence import audit_chain, status


async def database_ok(request: web.Request) -> bool:
    """True when a pooled connection answers within two seconds."""
    try:
        async with asyncio.timeout(2):
            async with request.app[DEPS].pool.connection(timeout=2) as conn:
                await status.ping(conn)
    except Exception:  # any failure means "down" here; the cause is in the pool's log
        return False
    return True


async def _discovery(request: web.Request) -> str:
    """Whether discovery on the server keeps up (``unknown`` when the database is down)."""
    try:
        async with asyncio.timeout(2):
            return await discovery_state(request.app[DEPS])
    except Exception:  # the database check above says why
        return "unknown"


async def handle_health(request: web.Request) -> web.Response:
    """200 when the database answers, 503 (and why) when it does not; the server's state."""
    ok, server, discovery = await asyncio.gather(
        database_ok(request), request.app[DEPS].runners.server_state(), _discovery(request)
    )
    body = {
        "status": "ok" if ok and server != "down" else "degraded",
        "database": "up" if ok else "down",
        "langgraph": server,
        "discovery": discovery,
    }
    # A LangGraph Server outage degrades but does not fail the check: local graphs and
    # decisions go on, and server resumes wait until it is back.
    return web.json_response(body, status=200 if ok else 503)


async def handle_metrics(request: web.Request) -> web.Response:
    """Counters of this process, plus the pending-request gauge from the database."""
    gauges: dict[str, float] = {}
    try:
        async with asyncio.timeout(2):
            async with request.app[DEPS].pool.connection(timeout=2) as conn:
                gauges["approvals_pending_requests"] = float(await status.count_pending(conn))
                verified, broken = await audit_chain.count_verified(conn)
                gauges["approvals_audit_chains_verified"] = float(verified)
                gauges["approvals_audit_chains_broken"] = float(broken)
        gauges["approvals_database_up"] = 1.0
    except Exception:  # the gauge says the database is down; nothing to log per scrape
        gauges["approvals_database_up"] = 0.0
    return web.Response(body=METRICS.render(gauges), headers={"Content-Type": CONTENT_TYPE_LATEST})
