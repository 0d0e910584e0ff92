"""Record one person's decision in one transaction that locks the request and approval."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from bot.blocks.edit_modal import changed_args
from bot.engine.deps import Deps
from bot.engine.load import policy_model, request_model
from bot.errors import AlreadyDecided, ApprovalError, NotAllowed, NotFound, Unavailable
from bot.policy import Policy, check_can_decide
from bot.slack.client import SLACK_ERRORS
from graphs.adapters import resume_value
from graphs.models import ActionDecision, DecisionKind
from persistence import audit, requests

log = logging.getLogger(__name__)
Row = dict[str, Any]
Conn = AsyncConnection[Any]
EVENT = {"approve": "approved", "edit": "edited", "reject": "rejected", "respond": "responded"}


@dataclass(frozen=True)
class Decided:
    """What a decision changed: ``complete`` means the request is ready to resume."""

    request_id: int
    thread_id: str
    complete: bool


def _already(approval: Row) -> str:
    """Why a click on a closed request changes nothing, naming who closed it."""
    status = approval["status"]
    if status == "pending":  # another action of the batch closed the request
        return "This request is no longer open: it was already answered. Nothing was changed."
    if status == "expired":
        return "This request expired before anyone decided. Nothing was changed."
    decision = approval["decision"] or {}
    who = ", ".join(f"<@{u}>" for u in decision.get("decided_by", []))
    return f"This request was already {status}{f' by {who}' if who else ''}. Nothing was changed."


async def decide(
    deps: Deps,
    approval_id: int,
    *,
    user: str,
    kind: DecisionKind,
    args: dict[str, Any] | None = None,
    reason: str | None = None,
) -> Decided:
    """Decide one approval; raise an :class:`ApprovalError` the clicker is told about."""
    if not user:
        raise NotAllowed("Slack did not say who clicked, so nothing was changed.")
    async with deps.pool.connection() as conn:
        context = await requests.approval_context(conn, approval_id)
    if context is None:
        raise NotFound("This approval request does not exist (any more).")
    policy = policy_model(context)
    eligible = await eligible_users(deps, policy)  # Slack call: before any lock
    try:
        async with deps.pool.connection() as conn, conn.transaction():
            locked = await requests.lock_approval(conn, approval_id)
            assert locked is not None
            request, approval = locked
            if approval["status"] != "pending" or request["status"] != "pending":
                raise AlreadyDecided(_already(approval))
            votes = await requests.votes_of(conn, approval_id, int(approval["round"]))
            check_can_decide(
                policy,
                user=user,
                requester=context["requested_by"],
                decision=kind,
                eligible_users=eligible,
                already_approved_by=[v["user_id"] for v in votes],
            )
            step = _Step(conn, deps.clock(), request, approval, policy, user)
            await step.apply(kind, votes=votes, args=args, reason=reason)
            complete = await _complete_if_done(conn, request)
    except ApprovalError as exc:
        await _record_refusal(deps, context, user=user, kind=kind, reason=exc.message)
        raise
    return Decided(int(request["id"]), request["thread_id"], complete)


async def eligible_users(deps: Deps, policy: Policy) -> set[str] | None:
    """Who may decide under ``policy`` (groups expanded through Slack); None means anyone.

    Raises :class:`Unavailable` when Slack cannot list a group's members: nobody is let
    through on a guess.
    """
    try:
        return await deps.approvers.expand(policy.approvers)
    except SLACK_ERRORS as exc:
        log.warning("expanding approvers %s failed: %s", policy.approvers, exc)
        raise Unavailable(
            "Slack could not tell who may approve this request right now. "
            "Nothing was recorded: please try again in a minute."
        ) from exc


async def _record_refusal(deps: Deps, context: Row, *, user: str, kind: str, reason: str) -> None:
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


class _Step:
    """Applies one decision to a locked approval row."""

    def __init__(
        self, conn: Conn, now: datetime, request: Row, approval: Row, policy: Policy, user: str
    ) -> None:
        self.conn, self.now, self.request, self.approval = conn, now, request, approval
        self.policy, self.user = policy, user
        self.id = int(approval["id"])

    async def apply(
        self,
        kind: DecisionKind,
        *,
        votes: list[Row],
        args: dict[str, Any] | None,
        reason: str | None,
    ) -> None:
        current = self.approval["args"]
        if kind == "edit" and (args is None or not changed_args(current, args)):
            kind = "approve"
        await self._audit(
            EVENT[kind], before=current, after=args if kind == "edit" else None, reason=reason
        )
        if kind in ("reject", "respond"):
            status = "rejected" if kind == "reject" else "responded"
            decision = ActionDecision(
                kind=kind, args=current, reason=reason, decided_by=[self.user], decided_at=self.now
            )
            await self._write(status, decision, current, int(self.approval["round"]))
            return
        round_, voters = int(self.approval["round"]), [v["user_id"] for v in votes]
        if kind == "edit":
            assert args is not None
            # Every approval is of one exact argument set: a later edit restarts the count.
            round_, voters, current = (round_ + 1 if voters else round_), [], args
        await requests.insert_vote(
            self.conn, self.id, round_=round_, user_id=self.user, kind=kind, args=current
        )
        voters.append(self.user)
        if len(voters) < self.policy.required_approvals:
            await self._write("pending", None, current, round_)
            return
        edited = bool(changed_args(self.approval["action"].get("args", {}), current))
        decision = ActionDecision(
            kind="edit" if edited else "approve",
            args=current,
            edited=edited,
            decided_by=voters,
            decided_at=self.now,
        )
        status = "edited" if edited else "approved"
        await self._write(status, decision, current, round_)

    async def _write(
        self, status: str, decision: ActionDecision | None, args: Any, round_: int
    ) -> None:
        value = decision.model_dump(mode="json") if decision else None
        await requests.update_approval(
            self.conn, self.id, status=status, decision=value, args=args, round_=round_
        )

    async def _audit(self, event: str, *, before: Any, after: Any, reason: str | None) -> None:
        await audit.record(
            self.conn,
            event,
            thread_id=self.request["thread_id"],
            request_id=int(self.request["id"]),
            approval_id=self.id,
            actor=self.user,
            args_before=before,
            args_after=after,
            reason=reason,
            detail={"round": self.approval["round"]},
        )


async def _complete_if_done(conn: Conn, request: Row) -> bool:
    """When every action has a decision, compute the resume value and mark it decided."""
    approvals = await requests.approvals_of(conn, int(request["id"]))
    if any(a["status"] == "pending" for a in approvals):
        return False
    decisions = [ActionDecision.model_validate(a["decision"]) for a in approvals]
    value = resume_value(request_model(request), decisions)
    return await requests.set_decided(conn, int(request["id"]), resume_value=value)
