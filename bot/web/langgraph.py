"""``POST /langgraph/webhook``: a LangGraph Server's run webhook, a prompt to look.

The body is never trusted as data: only its ``thread_id`` is read, and the thread is then
read back from the server. With ``LANGGRAPH_WEBHOOK_SECRET`` set, the request must carry
it in ``X-Approvals-Webhook-Secret`` (the server's webhook ``headers`` config sends it).
"""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web

from bot.engine.prompts import PromptedReads
from bot.web.keys import DEPS
from graphs.remote import is_thread_id

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Approvals-Webhook-Secret"
READS = web.AppKey("langgraph_reads", PromptedReads)  # set by the app factory


async def handle_langgraph_webhook(request: web.Request) -> web.Response:
    """202 and a background read of the named thread (one per thread at a time, a bounded
    number in all); 400/401/404 say what is wrong."""
    deps = request.app[DEPS]
    if not deps.runners.polls:
        return web.json_response({"error": "LANGGRAPH_API_URL is not set"}, status=404)
    secret = deps.settings.secret("langgraph_webhook_secret")
    given = request.headers.get(SECRET_HEADER, "")
    if secret and not hmac.compare_digest(given.encode(), secret.encode()):
        return web.json_response({"error": f"bad or missing {SECRET_HEADER}"}, status=401)
    try:
        body = await request.json()
        thread_id = body.get("thread_id")
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        thread_id = None
    if not is_thread_id(thread_id):
        return web.json_response({"error": 'expected {"thread_id": "<uuid>", ...}'}, status=400)
    outcome = request.app[READS].ask(deps, str(thread_id))
    return web.json_response({"accepted": thread_id, "read": outcome}, status=202)
