"""``POST /api/runs``: start a run over HTTP (bearer token), as ``python -m bot run`` does.

The body comes from another program: every field is checked for its type before any
row is written (a bad one gets 400), and an input the graph itself fails on gets 422 and
leaves no run behind; either answer is JSON naming the field.
"""

from __future__ import annotations

import hmac
import json
import re
from typing import Any

from aiohttp import web

from bot.engine.flow import start_run
from bot.errors import ApprovalError, InvalidInput, NotFound, Unavailable
from bot.web.keys import DEPS

USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
CHANNEL = re.compile(r"\S{1,80}")


def _bad(message: str, *, field: str | None = None, status: int = 422) -> web.Response:
    body: dict[str, Any] = {"error": message}
    if field is not None:
        body["field"] = field
    return web.json_response(body, status=status)


def _bearer(request: web.Request) -> str | None:
    """The token of ``Authorization: Bearer <token>``; None for any other header."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _optional(body: dict[str, Any], field: str, pattern: re.Pattern[str], what: str) -> str | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise InvalidInput(f"{field} must be {what}", field=field)
    return value


def _parse(body: Any) -> tuple[str, Any, str | None, str | None]:
    """``graph``, ``input``, ``channel`` and ``requested_by``; raises InvalidInput."""
    if not isinstance(body, dict):
        raise InvalidInput('expected a JSON object {"graph": ..., "input": {...}}', field="body")
    graph = body.get("graph")
    if not isinstance(graph, str) or not graph:
        raise InvalidInput("graph must be the name of a graph (a string)", field="graph")
    run_input = body.get("input", {})
    if not isinstance(run_input, dict | str):  # a string is an agent's input
        raise InvalidInput("input must be a JSON object or a string", field="input")
    channel = _optional(body, "channel", CHANNEL, "a Slack channel id or name")
    requested_by = _optional(body, "requested_by", USER_ID, "a Slack user id (U… or W…)")
    return graph, run_input, channel, requested_by


def authorized(request: web.Request) -> web.Response | None:
    """None when the request carries ``Authorization: Bearer $APPROVALS_API_TOKEN``;
    else the answer: 404 when no token is set (the API is off), 401 otherwise."""
    token = request.app[DEPS].settings.secret("approvals_api_token")
    if not token:
        return web.json_response({"error": "APPROVALS_API_TOKEN is not set"}, status=404)
    given = _bearer(request) or ""
    if not hmac.compare_digest(given.encode(), token.encode()):
        return web.json_response({"error": "bad or missing bearer token"}, status=401)
    return None


async def handle_start_run(request: web.Request) -> web.Response:
    """Body ``{"graph", "input", "channel"?, "requested_by"?}``; answers 201 with the thread id."""
    deps = request.app[DEPS]
    if (refused := authorized(request)) is not None:
        return refused
    try:
        graph, run_input, channel, requested_by = _parse(await request.json())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _bad("the body is not JSON", field="body", status=400)
    except InvalidInput as exc:
        return _bad(exc.message, field=exc.field, status=400)
    channel = channel or deps.settings.approvals_channel
    if not channel:
        return _bad("no channel: pass one or set APPROVALS_CHANNEL", field="channel", status=400)
    try:
        started = await start_run(
            deps, graph, run_input, channel=channel, requested_by=requested_by
        )
    except InvalidInput as exc:
        return _bad(exc.message, field=exc.field)
    except NotFound as exc:
        return _bad(exc.message, field="graph", status=404)
    except ApprovalError as exc:
        return _bad(exc.message, status=503 if isinstance(exc, Unavailable) else 400)
    return web.json_response(started.as_json(), status=201)
