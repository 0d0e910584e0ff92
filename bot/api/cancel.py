"""Cancel a request through the API: the engine closes it, as a requester's cancel does."""

from __future__ import annotations

from bot.engine.close import close_request
from bot.engine.deps import Deps
from bot.engine.flow import after_decision
from bot.errors import AlreadyDecided, NotFound
from persistence import api_requests

DEFAULT_REASON = "cancelled by the caller"


async def cancel_approval(deps: Deps, api_id: str, *, reason: str | None) -> None:
    """Close the request as cancelled and record the decision (``cause: cancel``).

    Raises :class:`NotFound`, or :class:`AlreadyDecided` when a decision (a person's,
    an expiry) got there first: the request's row lock orders the two.
    """
    async with deps.pool.connection() as conn:
        row = await api_requests.get_api_request(conn, api_id)
    if row is None:
        raise NotFound("no such approval request")
    if row["request_id"] is None or row["status"] != "pending":
        raise AlreadyDecided("this request was already decided; nothing was changed")
    decided = await close_request(
        deps, int(row["request_id"]), status="cancelled", actor=None,
        reason=reason or DEFAULT_REASON, requester_only=False,
    )
    if decided is None:
        raise AlreadyDecided("this request was already decided; nothing was changed")
    await after_decision(deps, decided)
