"""Record one person's decision in one transaction that locks the request and approvals.

This transaction is where the approval guarantee lives: an action resumes only with the
arguments that every required, eligible person approved, before the request expired.
Every click is checked here, whatever path it came by: the request is open and not past
its expiry, the click names the approval's current version (round and argument digest),
the clicker is of this workspace (unless the policy admits others) and eligible, and an
edit is judged by the policy its own arguments resolve to, never a weaker one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from psycopg import AsyncConnection

from bot.blocks.edit_modal import changed_args
from bot.blocks.format import link, mention
from bot.blocks.version import Version
from bot.engine.deps import Deps
from bot.engine.load import approval_policy, governing_policy, policy_model
from bot.engine.step import Step, complete_if_done
from bot.errors import AlreadyDecided, ApprovalError, NotAllowed, NotFound, Stale, Unavailable
from bot.policy import Policy, check_can_decide
from bot.slack.permalinks import permalinks
from bot.slack.usergroups import Both, Eligible, NotCached
from graphs.models import DecisionKind
from persistence import audit, requests
from persistence.pipelines import one_sync

log = logging.getLogger(__name__)
GONE = "This approval request does not exist (any more)."
CHANGED = (
    "This request changed since you saw it, so nothing was recorded; "
    "decide on its current version."
)
Row = dict[str, Any]
Conn = AsyncConnection[Any]


@dataclass(frozen=True)
class Decided:
    """What a decision changed: ``complete`` means the request is ready to resume."""

    request_id: int
    thread_id: str
    complete: bool


class Hook(Protocol):
    """More checks and writes inside the decision's transaction, after the clicker was
    judged eligible: a standing approval granted or used (see bot.engine.standing).
    ``approval`` is the row decided, one of the request's ``approvals``."""

    async def __call__(
        self, conn: Conn, *, policy: Policy, request: Row, approvals: list[Row],
        approval: Row, requester: str | None, now: datetime,
    ) -> None: ...


@dataclass(frozen=True)
class Click:
    """Who decided what, about which version: everything a decision is judged on."""

    user: str
    kind: DecisionKind
    version: Version | None
    args: dict[str, Any] | None = None
    reason: str | None = None
    team: str | None = None
    enterprise: str | None = None
    hook: Hook | None = None


def _already(approval: Row) -> str:
    """Why a click on a closed request changes nothing, naming who closed it."""
    status = approval["status"]
    if status == "pending":  # another action of the batch closed the request
        return "This request is no longer open: it was already answered. Nothing was changed."
    if status == "expired":
        return "This request expired before anyone decided. Nothing was changed."
    decision = approval["decision"] or {}
    who = ", ".join(mention(u) for u in decision.get("decided_by", []))
    return f"This request was already {status}{f' by {who}' if who else ''}. Nothing was changed."


async def decide(
    deps: Deps,
    approval_id: int,
    *,
    user: str,
    kind: DecisionKind,
    version: Version | None,
    args: dict[str, Any] | None = None,
    reason: str | None = None,
    team: str | None = None,
    enterprise: str | None = None,
    hook: Hook | None = None,
) -> Decided:
    """Decide one approval at ``version``; raise an :class:`ApprovalError` the clicker is
    told about. ``team``/``enterprise`` are the clicker's, as Slack signed them."""
    click = Click(user, kind, version, args, reason, team, enterprise, hook)
    if not user:
        raise NotAllowed("Slack did not say who clicked, so nothing was changed.")
    seen: dict[str, Row] = {}
    try:
        try:  # at once, when nothing needs Slack: the context is read with the locks
            return await _decide(deps, approval_id, click, seen)
        except NotCached:  # rolled back: ask Slack first, then take the locks again
            return await _decide(deps, approval_id, click, seen)
    except Stale as exc:  # the link is looked up only now, outside the transaction
        stale = Stale(await changed_text(deps, exc.channel, exc.ts), channel=None, ts=None)
        await _record_refusal(deps, seen, user=user, kind=kind, reason=stale.message)
        raise stale from None
    except ApprovalError as exc:
        await _record_refusal(deps, seen, user=user, kind=kind, reason=exc.message)
        raise


async def _judge(
    deps: Deps, approval_id: int, context: Row, click: Click, *, cached: bool
) -> tuple[Policy, Eligible | None, bool]:
    """The policy the click is judged by, who may decide under it, and whether the
    clicker is external. ``cached`` raises :class:`NotCached` where Slack must be asked."""
    current = {int(e["id"]): e["args"] for e in context["args_of"]}
    expected = _policy(deps, context, current, approval_id, click)
    eligible = await eligible_users(deps, expected, cached=cached)
    external = not expected.external_users and await deps.workspace.is_external(
        deps.slack, team=click.team, enterprise=click.enterprise, cached=cached
    )
    return expected, eligible, external


async def _decide(deps: Deps, approval_id: int, click: Click, seen: dict[str, Row]) -> Decided:
    """One attempt. With no context in ``seen`` yet, the context is read with the locks
    and the click is judged from caches alone (:class:`NotCached`, which rolls the
    transaction back, where Slack must be asked); with one, Slack is asked first, before
    any lock is taken."""
    context = seen.get("context")
    judged = None if context is None else await _judge(
        deps, approval_id, context, click, cached=False
    )
    # One transaction in one pipeline (see one_sync): the context, locks and votes go out
    # together, then the writes with the completing update and the commit, two round trips
    # in all. A refusal raised below rolls it all back.
    async with deps.pool.connection() as conn, one_sync(conn):
        try:
            read, (request, approvals, votes) = await requests.context_and_lock(
                conn, approval_id, with_context=context is None
            )
        except LookupError:
            raise NotFound(GONE) from None
        if context is None:
            if read is None:
                raise NotFound(GONE)
            seen["context"] = context = read
            judged = await _judge(deps, approval_id, context, click, cached=True)
        assert judged is not None
        expected, eligible, external = judged
        approval = next(a for a in approvals if int(a["id"]) == approval_id)
        now = deps.clock()
        _check_open(deps, request, approval, click, now=now)
        locked = {int(a["id"]): a["args"] for a in approvals}
        own = approval_policy(approval, request)
        stored = {
            "policy": own.model_dump(mode="json"),
            "policy_initial": approval["policy_initial"],
            "escalated_at": request["escalated_at"],
            "created_at": request["created_at"],
        }
        policy = _policy(deps, context | stored, locked, approval_id, click)
        if _who(policy) != _who(expected):
            raise Unavailable("This request changed just now. Nothing was recorded: try again.")
        expires = _expiry(request, own, policy, now=now)
        check_can_decide(
            policy,
            user=click.user,
            requester=context["requested_by"],
            decision=click.kind,
            eligible_users=eligible,
            already_approved_by=[v["user_id"] for v in votes],
            external=external,
        )
        if click.hook is not None:  # a standing approval's grant or use
            await click.hook(conn, policy=policy, request=request, approvals=approvals,
                             approval=approval, requester=context["requested_by"], now=now)
        step = Step(conn, now, request, approval, policy, click.user)
        await step.apply(click.kind, votes=votes, args=click.args, reason=click.reason)
        if policy != own:
            await requests.set_policy(
                conn, approval_id, policy=policy.model_dump(mode="json"),
                request_id=int(request["id"]), expires_at=expires,
            )
        approvals = [step.written if int(a["id"]) == approval_id else a for a in approvals]
        complete = await complete_if_done(conn, request, approvals)
    return Decided(int(request["id"]), request["thread_id"], complete)


def _is_edit(approval_args: dict[str, Any], click: Click) -> bool:
    return click.kind == "edit" and click.args is not None and bool(
        changed_args(approval_args, click.args)
    )


def _policy(
    deps: Deps, context: Row, args_of: dict[int, Any], approval_id: int, click: Click
) -> Policy:
    """The action's own stored policy, or for an edit the policy its new arguments
    resolve to, met with the one it was posted with."""
    if not _is_edit(args_of[approval_id], click):
        return policy_model(context)
    assert click.args is not None
    return governing_policy(deps.policies, deps.settings, context, approval_id, click.args)


def _expiry(request: Row, own: Policy, policy: Policy, *, now: datetime) -> datetime | None:
    """When the request expires under ``policy``: sooner if an edit shortened the timeout
    of the action's policy ``own``; None when it does not move."""
    expires: datetime | None = request["expires_at"]
    shorter = own.timeout_s - policy.timeout_s
    if shorter <= 0:
        return None
    if expires is not None:
        expires -= timedelta(seconds=shorter)
        if expires <= now and policy.on_timeout != "wait":
            raise AlreadyDecided(
                "These arguments must be decided sooner than that; the request has expired. "
                "Nothing was changed."
            )
    return expires


def _who(policy: Policy) -> tuple[Any, ...]:
    return (policy.approvers, policy.also_approvers, policy.external_users)


def _check_open(deps: Deps, request: Row, approval: Row, click: Click, *, now: datetime) -> None:
    """Refuse a click on a closed or expired request, or on a version it no longer shows."""
    if approval["status"] != "pending" or request["status"] != "pending":
        raise AlreadyDecided(_already(approval))
    waits = policy_model(request).on_timeout == "wait"  # overdue, still open
    if request["expires_at"] is not None and request["expires_at"] <= now and not waits:
        raise AlreadyDecided("This request expired before anyone decided. Nothing was changed.")
    if click.version != current_version(approval):
        raise Stale(CHANGED, channel=request["channel"], ts=request["message_ts"])


def current_version(approval: Row) -> Version:
    """The version an approval row is at: what its buttons must name."""
    return Version.of(int(approval["round"]), approval["args"])


async def changed_text(deps: Deps, channel: str | None, ts: str | None) -> str:
    """Why a click on an older version changed nothing, with a link to the request."""
    url = await permalinks(deps.slack).get(channel, ts) if channel and ts else None
    linked = link(url, "the request as it is now")
    return f"{CHANGED} See {linked}." if linked else CHANGED


async def eligible_users(
    deps: Deps, policy: Policy, *, cached: bool = False
) -> Eligible | None:
    """Who may decide under ``policy`` (groups expanded through Slack); None means anyone.

    Someone must be on ``approvers`` and on each list of ``also_approvers``. Users listed
    by id are known without Slack; asking about anyone else while a group cannot be
    listed raises :class:`Unavailable` (see :class:`Eligible`): nobody is let through on
    a guess.
    """
    users = await deps.approvers.expand(policy.approvers, cached=cached)
    for group in policy.also_approvers:
        also = await deps.approvers.expand(group, cached=cached) or Eligible()
        users = also if users is None else Both(users, also)
    return users


async def _record_refusal(
    deps: Deps, seen: dict[str, Row], *, user: str, kind: str, reason: str
) -> None:
    context = seen.get("context")
    if context is None:  # refused before the approval was found: nothing to file it under
        return
    async with deps.pool.connection() as conn:
        await audit.record(
            conn,
            "refused",
            thread_id=context["thread_id"],
            request_id=int(context["request_id"]),
            approval_id=int(context["approval_id"]),
            actor=user,
            reason=reason,
            detail={"decision": kind},
        )
