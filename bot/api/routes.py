"""The approvals API's HTTP routes (``Authorization: Bearer $APPROVALS_API_TOKEN``).

Domain errors become JSON ``{"error", "field"?}`` here: 400 (not a JSON object), 401,
404, 409 (a cancel after the decision, a reused idempotency key), 413, 422 (a field).
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.api import view
from bot.api.cancel import cancel_approval
from bot.api.create import KeyReused, create_once
from bot.api.decisions import DECISIONS
from bot.api.parse import parse_create, parse_key
from bot.errors import AlreadyDecided, InvalidInput, NotFound, Unavailable
from bot.web.api import authorized
from bot.web.keys import DEPS
from persistence import api_requests

MAX_BODY = 256 * 1024
PAGE = 50


def _error(message: str, *, status: int, field: str | None = None) -> web.Response:
    body: dict[str, Any] = {"error": message}
    if field is not None:
        body["field"] = field
    return web.json_response(body, status=status)


async def _body(request: web.Request) -> Any:
    """The JSON body (``{}`` when empty); raises InvalidInput / HTTPRequestEntityTooLarge."""
    if (declared := request.content_length or 0) > MAX_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=declared)
    raw = await request.content.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=len(raw))
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput("the body is not JSON", field="body") from exc


def _too_large() -> web.Response:
    return _error(f"the body is larger than {MAX_BODY} bytes", status=413, field="body")


async def handle_create(request: web.Request) -> web.Response:
    """``POST /api/approvals``: 201 with ``id``, ``status`` and ``permalink``."""
    deps = request.app[DEPS]
    if (refused := authorized(request)) is not None:
        return refused
    try:
        key = parse_key(request.headers.get("Idempotency-Key"))
        spec = parse_create(await _body(request))
        created = await create_once(deps, spec, key=key)
    except web.HTTPRequestEntityTooLarge:
        return _too_large()
    except InvalidInput as exc:
        status = 400 if exc.field == "body" else 422
        return _error(exc.message, status=status, field=exc.field)
    except KeyReused as exc:
        return _error(exc.message, status=409, field="Idempotency-Key")
    except Unavailable as exc:
        return _error(exc.message, status=503)
    row = await view.load(deps, created.id)
    assert row is not None
    headers = {"Idempotent-Replayed": "true"} if created.replayed else {}
    return web.json_response(await view.describe(deps, row), status=201, headers=headers)


async def handle_get(request: web.Request) -> web.Response:
    """``GET /api/approvals/{id}[?wait=S]``: the request, after at most S s (≤ 60)."""
    deps = request.app[DEPS]
    if (refused := authorized(request)) is not None:
        return refused
    api_id = request.match_info["id"]
    wait = request.query.get("wait")
    if wait is not None:
        try:
            wait_s = float(wait)
            if not 0 <= wait_s <= view.MAX_WAIT_S:
                raise ValueError(wait)
        except ValueError:
            return _error("wait must be a number of seconds from 0 to 60", status=422,
                          field="wait")
        if await view.load(deps, api_id) is None:
            return _error("no such approval request", status=404, field="id")
        await view.wait_decided(
            deps, api_id, wait_s=wait_s, decisions=request.app.get(DECISIONS)
        )
    row = await view.load(deps, api_id)
    if row is None:
        return _error("no such approval request", status=404, field="id")
    return web.json_response(await view.describe(deps, row))


async def handle_cancel(request: web.Request) -> web.Response:
    """``POST /api/approvals/{id}/cancel`` (body ``{"reason"?}``): 200, or 409 if decided."""
    deps = request.app[DEPS]
    if (refused := authorized(request)) is not None:
        return refused
    api_id = request.match_info["id"]
    try:
        body = await _body(request)
        reason = body.get("reason") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not isinstance(reason, str | None):
            raise InvalidInput("expected {\"reason\": \"…\"} (optional)", field="reason")
        await cancel_approval(deps, api_id, reason=reason)
    except web.HTTPRequestEntityTooLarge:
        return _too_large()
    except InvalidInput as exc:
        return _error(exc.message, status=400 if exc.field == "body" else 422, field=exc.field)
    except NotFound as exc:
        return _error(exc.message, status=404, field="id")
    except AlreadyDecided as exc:
        row = await view.load(deps, api_id)
        assert row is not None
        return web.json_response(
            {"error": exc.message, "approval": await view.describe(deps, row)}, status=409
        )
    row = await view.load(deps, api_id)
    assert row is not None
    return web.json_response(await view.describe(deps, row))


async def handle_list(request: web.Request) -> web.Response:
    """``GET /api/approvals?status=pending&limit=50&cursor=C``: one page, oldest first."""
    deps = request.app[DEPS]
    if (refused := authorized(request)) is not None:
        return refused
    try:
        status, after, limit = _page(request)
    except InvalidInput as exc:
        return _error(exc.message, status=422, field=exc.field)
    async with deps.pool.connection() as conn:
        rows = await api_requests.list_api_requests(
            conn, status=status, after=after, limit=limit + 1
        )
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        {"id": r["id"], "status": r["status"], "title": r["title"], "action": r["action"],
         "created_at": r["created_at"].isoformat()}
        for r in rows
    ]
    cursor = str(rows[-1]["seq"]) if more and rows else None
    return web.json_response({"approvals": items, "next_cursor": cursor})


STATUSES = ("pending", "approved", "rejected", "cancelled", "expired", "failed")


def _page(request: web.Request) -> tuple[str | None, int, int]:
    status = request.query.get("status")
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}", field="status")
    cursor, limit = request.query.get("cursor", "0"), request.query.get("limit", str(PAGE))
    if not cursor.isdigit():
        raise InvalidInput("cursor must be the next_cursor of the previous page",
                           field="cursor")
    if not limit.isdigit() or not 1 <= int(limit) <= 200:
        raise InvalidInput("limit must be from 1 to 200", field="limit")
    return status, int(cursor), int(limit)


def routes() -> list[web.RouteDef]:
    """The API's routes, for the app factory."""
    return [
        web.post("/api/approvals", handle_create),
        web.get("/api/approvals", handle_list),
        web.get("/api/approvals/{id}", handle_get),
        web.post("/api/approvals/{id}/cancel", handle_cancel),
    ]
