"""``GET /api/audit``: the audit export over HTTP (bearer token), one page at a time.

Query: ``since``, ``until`` (ISO 8601, UTC when no zone is given; default everything up
to now), ``graph``, ``after`` (the ``next_after`` of the page before) and ``limit``
(1–1000, default 500). Answers ``{"events": [...], "heads": [...], "next_after": id}``:
``heads`` are those of the page's chains, and ``next_after`` is null on the last page.
"""

from __future__ import annotations

import hmac
import json
from datetime import UTC, datetime

from aiohttp import web

from bot.audit_export import EPOCH, event_record, head_record, parse_time
from bot.errors import ConfigError
from bot.web.keys import DEPS
from persistence import audit_chain

MAX_LIMIT = 1000


def _refusal(request: web.Request) -> web.Response | None:
    """401/404 unless the request carries the API's bearer token."""
    token = request.app[DEPS].settings.secret("approvals_api_token")
    if not token:
        return web.json_response({"error": "APPROVALS_API_TOKEN is not set"}, status=404)
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    given = given.strip() if scheme.lower() == "bearer" else ""
    if not hmac.compare_digest(given.encode(), token.encode()):
        return web.json_response({"error": "bad or missing bearer token"}, status=401)
    return None


def _window(query: dict[str, str]) -> tuple[datetime, datetime, int, int]:
    """``since``, ``until``, ``after`` and ``limit``; raises ConfigError naming the field."""
    since = parse_time(query["since"], name="since") if "since" in query else EPOCH
    until = parse_time(query["until"], name="until") if "until" in query else datetime.now(UTC)
    try:
        after = int(query.get("after", "0"))
        limit = int(query.get("limit", "500"))
    except ValueError:
        raise ConfigError("after and limit must be whole numbers") from None
    if not 1 <= limit <= MAX_LIMIT or after < 0:
        raise ConfigError(f"limit must be 1–{MAX_LIMIT} and after at least 0")
    return since, until, after, limit


async def handle_audit(request: web.Request) -> web.Response:
    """One page of events in log order, with the heads of their chains."""
    refused = _refusal(request)
    if refused is not None:
        return refused
    try:
        since, until, after, limit = _window(dict(request.query))
    except ConfigError as exc:
        return web.json_response({"error": exc.message}, status=400)
    graph = request.query.get("graph") or None
    async with request.app[DEPS].pool.connection() as conn:
        page = await audit_chain.export_page(
            conn, since=since, until=until, graph=graph, after=after, limit=limit
        )
        chains = sorted({row["chain"] for row in page if row["chain"] is not None})
        heads = await audit_chain.heads(conn, chains)
    body = {
        "events": [event_record(row) for row in page],
        "heads": [head_record(h) for h in heads],
        "next_after": int(page[-1]["id"]) if len(page) == limit else None,
    }
    return web.json_response(body, dumps=_dumps)


def _dumps(value: object) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)
