"""Create a request through the API: an ``external`` run, then the engine's own post.

Everything that can be refused is checked first (the body, the requester's email, a
channel to post in, a callback secret), so a refused request leaves no row and posts
nothing. The run and its API row are written in one transaction; the engine's
``sync_run`` then stores the request under its policy and posts it, as for any graph.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from slack_sdk.errors import SlackApiError

from bot.api.parse import ApiSpec
from bot.engine.deps import Deps
from bot.engine.post import sync_run
from bot.errors import ApprovalError, InvalidInput, Unavailable
from bot.policy import Policy
from bot.slack.client import SLACK_ERRORS
from graphs.adapters import normalize
from persistence import api_requests, audit, requests, runs

log = logging.getLogger(__name__)


class KeyReused(ApprovalError):
    """The ``Idempotency-Key`` was used before with a different body."""


class _Raced(Exception):  # noqa: N818 - private: another create took the key first
    """Raised inside the create transaction to roll it back."""


@dataclass(frozen=True)
class Created:
    """The request's id, and whether it already existed (an idempotent replay)."""

    id: str
    replayed: bool


async def create_approval(deps: Deps, spec: ApiSpec, *, key: str | None) -> Created:
    """Store and post the request once per idempotency key; the request's id."""
    if key is not None and (found := await _existing(deps, key, spec)) is not None:
        return found
    spec = await _checked(deps, spec)
    thread_id = deps.new_id()
    async with deps.pool.connection() as conn, conn.transaction():
        await runs.insert_run(
            conn, thread_id, graph=spec.graph, input=spec.payload, channel=spec.channel or "",
            requested_by=spec.requested_by, runner="external",
        )
        inserted = await api_requests.insert_api_request(
            conn, thread_id, key=key, body_hash=spec.body_hash, payload=spec.payload,
            response_schema=spec.response_schema, callback_url=spec.callback_url,
        )
        if not inserted:  # the same key raced this create: roll back, answer the other one
            raise _Raced
        await audit.record(
            conn, "started", thread_id=thread_id, actor=spec.requested_by,
            detail={"graph": spec.graph, "input": spec.payload, "via": "api"},
        )
    await sync_run(deps, thread_id)
    return Created(thread_id, replayed=False)


async def create_once(deps: Deps, spec: ApiSpec, *, key: str | None) -> Created:
    """:func:`create_approval`, answering a create that lost a race for its key."""
    try:
        return await create_approval(deps, spec, key=key)
    except _Raced:
        assert key is not None
        found = await _existing(deps, key, spec)
        assert found is not None
        return found


async def _existing(deps: Deps, key: str, spec: ApiSpec) -> Created | None:
    """The request created with ``key``; its post is finished if a crash cut it short."""
    async with deps.pool.connection() as conn:
        row = await api_requests.by_key(conn, key)
        if row is None:
            return None
        if row["body_hash"] != spec.body_hash:
            raise KeyReused("this Idempotency-Key was used with a different body")
        stored = await requests.open_requests(conn, str(row["id"]))
        run = await runs.get_run(conn, str(row["id"]))
    if not stored and run is not None and run["status"] == "running":
        await sync_run(deps, str(row["id"]))
    return Created(str(row["id"]), replayed=True)


async def _checked(deps: Deps, spec: ApiSpec) -> ApiSpec:
    """The spec with its requester resolved and its channel known, or InvalidInput."""
    if spec.callback_url and not deps.settings.approvals_callback_secret:
        raise InvalidInput("callback_url needs APPROVALS_CALLBACK_SECRET set on the bot "
                           "(callbacks are always signed)", field="callback_url")
    if (email := spec.requester_email) is not None:
        spec = replace(spec, requested_by=await _lookup(deps, email))
    channel = spec.channel or deps.settings.approvals_channel
    request = normalize(spec.payload, response_schema=spec.response_schema)
    defaults = Policy(channel=channel, timeout_s=deps.settings.approvals_timeout_s)
    policy = deps.policies.explain(defaults=defaults, graph=spec.graph, request=request).policy
    if not (policy.channel or channel):
        raise InvalidInput("no channel: pass one, set APPROVALS_CHANNEL, or name one in the "
                           "policy file", field="channel")
    return replace(spec, channel=channel or policy.channel)


async def _lookup(deps: Deps, email: str) -> str:
    """The Slack user id of ``email`` (``users.lookupByEmail``)."""
    try:
        resp = await deps.slack.users_lookupByEmail(email=email)
    except SLACK_ERRORS as exc:
        error = exc.response.get("error") if isinstance(exc, SlackApiError) else None
        if error in ("users_not_found", "invalid_email"):
            raise InvalidInput(f"no Slack user has the email {email}",
                               field="requested_by") from exc
        raise Unavailable(f"Slack could not look up {email}: {exc}") from exc
    return str(resp["user"]["id"])
