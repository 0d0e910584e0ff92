"""What the API answers about a request: its status, its message and its decision."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

from bot.api.decisions import Decisions
from bot.engine.deps import Deps
from bot.slack.permalinks import permalinks
from persistence import api_requests

MAX_WAIT_S = 60.0
POLL_S = 0.2  # without a listener, a long poll re-reads the row this often
LISTENING_POLL_S = 1.0  # with one, only in case a notification was lost


def status_of(row: dict[str, Any]) -> str:
    """``pending`` until decided; ``approved``, ``rejected``, ``cancelled``, ``expired``;
    ``failed`` when its run failed (say Slack refused the post for good)."""
    if row["status"] == "pending" and row.get("run_status") == "failed":
        return "failed"
    return str(row["status"])


def decision_of(row: dict[str, Any]) -> dict[str, Any] | None:
    """The decision as delivered: action, args, reason, who, when, its id and cause."""
    decision = row["decision"]
    if decision is None:
        return None
    return {
        "action": decision["action"],
        "args": decision["args"],
        "reason": decision.get("reason"),
        "decided_by": decision.get("decided_by", []),
        "decided_at": decision.get("decided_at"),
        "decision_id": decision.get("decision_id"),
        "cause": row["cause"],
    }


async def describe(deps: Deps, row: dict[str, Any]) -> dict[str, Any]:
    """The JSON answer for one request row (from :func:`api_requests.get_api_request`)."""
    payload = row["payload"]
    link = None
    if row["message_ts"]:
        link = await permalinks(deps.slack).get(row["channel"], row["message_ts"])
    answer: dict[str, Any] = {
        "id": row["id"],
        "status": status_of(row),
        "title": payload.get("title"),
        "action": payload["action"],
        "args": payload["args"],
        "graph": row["graph"],
        "requested_by": row["requested_by"],
        "channel": row["channel"],
        "permalink": link,
        "created_at": row["created_at"].isoformat(),
        "expires_at": row["expires_at"].isoformat() if row["expires_at"] else None,
        "decision": decision_of(row),
        "callback": _callback(row),
    }
    if answer["status"] == "failed":
        answer["error"] = ((row.get("run_outcome") or {}).get("error")) or "the request failed"
    return answer


def _callback(row: dict[str, Any]) -> dict[str, Any] | None:
    if not row["callback_url"]:
        return None
    return {
        "url": row["callback_url"],
        "status": row["callback_status"] or "waiting",  # waiting: no decision yet
        "attempts": row["callback_attempts"],
    }


async def load(deps: Deps, api_id: str) -> dict[str, Any] | None:
    """One request's row, or None."""
    async with deps.pool.connection() as conn:
        return await api_requests.get_api_request(conn, api_id)


async def wait_decided(
    deps: Deps, api_id: str, *, wait_s: float, decisions: Decisions | None = None
) -> None:
    """Return once the request is no longer pending, or after ``wait_s`` seconds.

    ``decisions`` wakes the wait the moment any instance records the decision; the row
    is read again at least every ``POLL_S`` (every ``LISTENING_POLL_S`` while listening).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + min(wait_s, MAX_WAIT_S)
    with watching(decisions, api_id) as woken:
        while True:
            async with deps.pool.connection() as conn:
                row = await api_requests.get_decision(conn, api_id)
            if row is None or row["status"] != "pending" or row["run_failed"]:
                return
            left = deadline - loop.time()
            if left <= 0 or deps.inflight.closing or (decisions and decisions.closing):
                return  # a shutdown answers waiting polls now
            listening = decisions is not None and decisions.listening.is_set()
            step = min(LISTENING_POLL_S if listening else POLL_S, left)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), timeout=step)
            woken.clear()


@contextlib.contextmanager
def watching(decisions: Decisions | None, api_id: str) -> Iterator[asyncio.Event]:
    """The wake-up event of ``api_id`` (one that never fires without a listener)."""
    if decisions is None:
        yield asyncio.Event()
        return
    with decisions.watch(api_id) as event:
        yield event
