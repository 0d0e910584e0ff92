"""Signed callbacks: POST each decision to its ``callback_url`` until a 2xx.

A sweeper chore on every instance claims due callbacks (``SKIP LOCKED`` and a lease, so
one instance makes each attempt), POSTs the decision signed as Slack signs its requests
(:mod:`bot.api.signing`), and records the outcome: delivered, or retried after
``APPROVALS_CALLBACK_RETRY_S`` doubling up to an hour, until
``APPROVALS_CALLBACK_DEADLINE_S`` after the decision. The state is in Postgres, so a
restart loses nothing. Every attempt is in the audit log. The body is the same on every
attempt, with the same ``decision_id``: receivers deduplicate on it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta
from typing import Any

import aiohttp

from bot.api.signing import signed_headers
from bot.api.view import decision_of
from bot.engine.deps import Deps
from persistence import api_requests, audit
from persistence.pool import DB_DOWN

log = logging.getLogger(__name__)
LEASE_S = 60.0  # an attempt (at most TIMEOUT_S) is this instance's for this long
TIMEOUT_S = 10.0
MAX_BACKOFF_S = 3600.0
ATTEMPT_HEADER = "X-Approvals-Delivery-Attempt"


def callback_body(row: dict[str, Any]) -> bytes:
    """The JSON body POSTed for a decided request: the same bytes on every attempt."""
    body = {
        "type": "approval.decided",
        "id": row["id"],
        "status": row["status"],
        "decision": decision_of(row),
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def deliver_soon(deps: Deps) -> None:
    """Make the callback attempts due now in the background (a decision just landed)."""
    if not deps.inflight.closing:
        deps.inflight.spawn(deliver_callbacks(deps))


async def deliver_callbacks(deps: Deps, grace_s: float = 0.0) -> None:
    """Make every callback attempt that is due now (a sweeper chore).

    Each attempt runs as tracked work: a shutdown waits for it to be recorded rather
    than cutting it between the POST and its record.
    """
    async with deps.pool.connection() as conn:
        due = await api_requests.claim_callbacks(conn, now=deps.clock(), lease_s=LEASE_S)
    for row in due:
        try:
            await asyncio.shield(deps.inflight.spawn(_attempt(deps, row)))
        except (asyncio.CancelledError, *DB_DOWN):
            raise
        except Exception:
            log.exception("callback of approval %s: attempt failed unexpectedly", row["id"])


async def _attempt(deps: Deps, row: dict[str, Any]) -> None:
    attempt = int(row["callback_attempts"]) + 1
    decision = decision_of(row) or {}
    code, error = await _post(deps, row, attempt=attempt)
    detail: dict[str, Any] = {
        "attempt": attempt, "url": row["callback_url"], "status_code": code,
        "decision_id": decision.get("decision_id"), "by": deps.owner,
    }
    async with deps.pool.connection() as conn, conn.transaction():
        if error is None:
            await api_requests.callback_delivered(conn, row["id"], attempt=attempt)
            detail["outcome"] = "delivered"
        else:
            first = deps.settings.approvals_callback_retry_s
            delay = min(MAX_BACKOFF_S, first * 2 ** (attempt - 1))
            detail["outcome"] = await api_requests.callback_failed(
                conn, row["id"], attempt=attempt, error=error,
                retry_at=deps.clock() + timedelta(seconds=delay),
            )
        await audit.record(conn, "callback", thread_id=row["thread_id"], reason=error,
                           detail=detail)
    if error is not None:
        log.warning("callback of approval %s failed (attempt %s, %s): %s",
                    row["id"], attempt, detail["outcome"], error)


async def _post(
    deps: Deps, row: dict[str, Any], *, attempt: int
) -> tuple[int | None, str | None]:
    """POST the signed body once: the HTTP status, and an error unless it was a 2xx."""
    secret = deps.settings.secret("approvals_callback_secret")
    if not secret:
        return None, "APPROVALS_CALLBACK_SECRET is not set: callbacks are never sent unsigned"
    body = callback_body(row)
    decision_id = (row["decision"] or {}).get("decision_id", "")
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": str(decision_id),
        ATTEMPT_HEADER: str(attempt),
        **signed_headers(secret, body),
    }
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as http,
            http.post(row["callback_url"], data=body, headers=headers) as resp,
        ):
            await resp.read()
            ok = 200 <= resp.status < 300
            return resp.status, None if ok else f"HTTP {resp.status}"
    except (aiohttp.ClientError, TimeoutError) as exc:
        return None, f"{type(exc).__name__}: {exc}"
