"""The approvals API's HTTP edge: JSON errors naming the field, and bounded JSON bodies."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.errors import InvalidInput

MAX_BODY = 256 * 1024


def error(message: str, *, status: int, field: str | None = None) -> web.Response:
    """``{"error": message, "field"?: field}`` with ``status``."""
    body: dict[str, Any] = {"error": message}
    if field is not None:
        body["field"] = field
    return web.json_response(body, status=status)


async def read_json(request: web.Request) -> Any:
    """The JSON body (``{}`` when empty); raises InvalidInput / HTTPRequestEntityTooLarge."""
    if (declared := request.content_length or 0) > MAX_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=declared)
    raw = b""
    while chunk := await request.content.read(MAX_BODY + 1 - len(raw)):
        raw += chunk
        if len(raw) > MAX_BODY:  # a chunked body says no length up front
            raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=len(raw))
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput("the body is not JSON", field="body") from exc


def too_large() -> web.Response:
    """The 413 answer."""
    return error(f"the body is larger than {MAX_BODY} bytes", status=413, field="body")
