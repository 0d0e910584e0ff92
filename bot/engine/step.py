"""Applying one decision to a locked approval row, and completing a request.

Called only from inside the decision (or close) transaction, which has already checked
that the click may count; see :mod:`bot.engine.decide`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from bot.blocks.edit_modal import changed_args
from bot.engine.keys import decision_id_of
from bot.engine.load import request_model
from bot.policy import Policy
from graphs.adapters import TemplateFailed, failed_value, resume_value
from graphs.models import ActionDecision, DecisionKind
from persistence import audit, requests

Row = dict[str, Any]
Conn = AsyncConnection[Any]
EVENT = {"approve": "approved", "edit": "edited", "reject": "rejected", "respond": "responded"}


class Step:
    """Applies one decision to a locked approval row; ``written`` is the row afterwards."""

    def __init__(
        self, conn: Conn, now: datetime, request: Row, approval: Row, policy: Policy, user: str
    ) -> None:
        self.conn, self.now, self.request, self.approval = conn, now, request, approval
        self.policy, self.user = policy, user
        self.id = int(approval["id"])
        self.written: Row = approval

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
        round_, voters = int(self.approval["round"]), [v["user_id"] for v in votes]
        if kind in ("reject", "respond"):
            status = "rejected" if kind == "reject" else "responded"
            decision = ActionDecision(
                kind=kind, args=current, reason=reason, decided_by=[self.user], decided_at=self.now
            )
            await self._write(status, decision, current, round_)
            return
        if kind == "edit":
            assert args is not None
            # Every vote is for one exact version: an edit starts a new round, always, so
            # no vote (nor a replayed click) of an earlier round can count for it.
            round_, voters, current = round_ + 1, [], args
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
        await self._write("edited" if edited else "approved", decision, current, round_)

    async def _write(
        self, status: str, decision: ActionDecision | None, args: Any, round_: int
    ) -> None:
        value = decision.model_dump(mode="json") if decision else None
        await requests.update_approval(
            self.conn, self.id, status=status, decision=value, args=args, round_=round_
        )
        self.written = self.approval | {
            "status": status, "decision": value, "args": args, "round": round_
        }

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
            policy=self.policy.model_dump(mode="json"),
        )


async def complete_if_done(conn: Conn, request: Row, approvals: list[Row] | None = None) -> bool:
    """When every action has a decision, compute the resume value and mark it decided.

    ``approvals`` are the request's approval rows as they now stand (read when None).
    """
    if approvals is None:
        approvals = await requests.approvals_of(conn, int(request["id"]))
    if any(a["status"] == "pending" for a in approvals):
        return False
    decisions = [ActionDecision.model_validate(a["decision"]) for a in approvals]
    decision_id = decision_id_of(request)
    try:
        value = resume_value(request_model(request), decisions, decision_id=decision_id)
    except TemplateFailed as exc:
        value = failed_value(str(exc))  # never sent: the resume fails the run, saying why
    return await requests.set_decided(conn, int(request["id"]), resume_value=value)
