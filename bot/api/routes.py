"""The approvals API's HTTP routes (``Authorization: Bearer $APPROVALS_API_TOKEN``).

Domain errors become JSON ``{"error", "field"?}`` here: 400 (not a JSON object), 401,
404, 409 (a cancel after the decision, a reused idempotency key), 413, 422 (a field).
"""

from __future__ import annotations

from aiohttp import web

from bot.api import view
from bot.api.cancel import cancel_approval
from bot.api.create import KeyReused, create_once
from bot.api.decisions import DECISIONS
from bot.api.http import error, read_json, too_large
from bot.api.listing import handle_list
from bot.api.parse import parse_create, parse_key
from bot.errors import AlreadyDecided, InvalidInput, NotFound, Unavailable
from bot.web.api import authorized
from bot.web.keys import DEPS


async def handle_create(request: web.Request) -> web.Response:
    """``POST /api/approvals``: 201 with ``id``, ``status`` and ``permalink``."""
    deps = request.app[DEPS]
    if (refused := authorized(request)) is not None:
        return refused
    try:
        key = parse_key(request.headers.get("Idempotency-Key"))
        spec = parse_create(await read_json(request))
        created = await create_once(deps, spec, key=key)
    except web.HTTPRequestEntityTooLarge:
        return too_large()
    except InvalidInput as exc:
        status = 400 if exc.field == "body" else 422
        return error(exc.message, status=status, field=exc.field)
    except KeyReused as exc:
        return error(exc.message, status=409, field="Idempotency-Key")
    except Unavailable as exc:
        return error(exc.message, status=503)
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
            return error("wait must be a number of seconds from 0 to 60", status=422,
                          field="wait")
        if await view.load(deps, api_id) is None:
            return error("no such approval request", status=404, field="id")
        await view.wait_decided(
            deps, api_id, wait_s=wait_s, decisions=request.app.get(DECISIONS)
        )
    row = await view.load(deps, api_id)
    if row is None:
        return error("no such approval request", status=404, field="id")
    return web.json_response(await view.describe(deps, row))


async def handle_cancel(request: web.Request) -> web.Response:
    """``POST /api/approvals/{id}/cancel`` (body ``{"reason"?}``): 200, or 409 if decided."""
    deps = request.app[DEPS]
    if (refused := authorized(request)) is not None:
        return refused
    api_id = request.match_info["id"]
    try:
        body = await read_json(request)
        reason = body.get("reason") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not isinstance(reason, str | None):
            raise InvalidInput("expected {\"reason\": \"…\"} (optional)", field="reason")
        await cancel_approval(deps, api_id, reason=reason)
    except web.HTTPRequestEntityTooLarge:
        return too_large()
    except InvalidInput as exc:
        return error(exc.message, status=400 if exc.field == "body" else 422, field=exc.field)
    except NotFound as exc:
        return error(exc.message, status=404, field="id")
    except AlreadyDecided as exc:
        row = await view.load(deps, api_id)
        assert row is not None
        return web.json_response(
            {"error": exc.message, "approval": await view.describe(deps, row)}, status=409
        )
    row = await view.load(deps, api_id)
    assert row is not None
    return web.json_response(await view.describe(deps, row))


def routes() -> list[web.RouteDef]:
    """The API's routes, for the app factory."""
    return [
        web.post("/api/approvals", handle_create),
        web.get("/api/approvals", handle_list),
        web.get("/api/approvals/{id}", handle_get),
        web.post("/api/approvals/{id}/cancel", handle_cancel),
    ]
