"""``POST /api/runs``: start a run over HTTP (bearer token), as ``python -m bot run`` does."""

from __future__ import annotations

import hmac
import json

from aiohttp import web

from bot.engine.flow import start_run
from bot.errors import ApprovalError, Unavailable
from bot.web.keys import DEPS


async def handle_start_run(request: web.Request) -> web.Response:
    """Body ``{"graph", "input", "channel"?, "requested_by"?}``; answers 201 with the thread id."""
    deps = request.app[DEPS]
    token = deps.settings.secret("approvals_api_token")
    if not token:
        return web.json_response({"error": "APPROVALS_API_TOKEN is not set"}, status=404)
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        return web.json_response({"error": "bad or missing bearer token"}, status=401)
    try:
        body = await request.json()
        graph, run_input = body["graph"], body.get("input", {})
        channel = body.get("channel") or deps.settings.approvals_channel
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
        return web.json_response({"error": 'expected {"graph": ..., "input": {...}}'}, status=400)
    if not channel:
        return web.json_response(
            {"error": "no channel: pass one or set APPROVALS_CHANNEL"}, status=400
        )
    try:
        started = await start_run(
            deps, graph, run_input, channel=channel, requested_by=body.get("requested_by")
        )
    except ApprovalError as exc:
        status = 503 if isinstance(exc, Unavailable) else 404
        return web.json_response({"error": exc.message}, status=status)
    return web.json_response(started.as_json(), status=201)
