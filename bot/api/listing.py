"""``GET /api/approvals``: the requests, one page at a time, oldest first."""

from __future__ import annotations

from aiohttp import web

from bot.api.http import error
from bot.errors import InvalidInput
from bot.web.api import authorized
from bot.web.keys import DEPS
from persistence import api_requests

PAGE = 50
STATUSES = ("pending", "approved", "rejected", "cancelled", "expired", "failed")


async def handle_list(request: web.Request) -> web.Response:
    """``GET /api/approvals?status=pending&limit=50&cursor=C``: one page, oldest first."""
    deps = request.app[DEPS]
    if (refused := authorized(request)) is not None:
        return refused
    try:
        status, after, limit = _page(request)
    except InvalidInput as exc:
        return error(exc.message, status=422, field=exc.field)
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
