"""Standing approvals: "approve this, and the same again for the next hour".

Where the policy sets ``standing_max_s`` and one approval suffices, an approver may
approve a single-action request *and* grant a standing approval: graph, action, scope
(the exact arguments, or the policy's ``standing_when``), granter, expiry, source. A
later request that matches is decided by the ordinary decision transaction, as the
granter's approval citing the grant: the granter is judged under that request's own
policy (resolved when it was stored, from the file as it is then) exactly as a click of
theirs would be, and the grant is read ``FOR SHARE`` in that transaction, so a
revocation that committed first stops it. Never for an edit, a two-person policy, a
batch, the granter's own request, or a grant past its window.

"Approve for this run" is the same grant scoped to one run (where the action's policy
sets ``always_approve``), granted and used call by call, in a batch too: it lasts until
the run finishes, at most the policy's ``timeout_s``, and each later call of that run is
still judged by its own policy.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.blocks.edit_modal import changed_args
from bot.blocks.standing import used_text
from bot.engine.decide import Conn, Decided, current_version, decide
from bot.engine.deps import Deps
from bot.engine.load import approval_policy, proposed_action, request_model
from bot.engine.standing_rules import choices, for_run, offered, refusal
from bot.errors import ApprovalError, NotAllowed
from bot.metrics import METRICS
from bot.policy import Policy
from bot.policy.book import CONDITION_UNEVALUATED
from bot.slack.client import SLACK_ERRORS
from persistence import audit, standing

log = logging.getLogger(__name__)
Row = dict[str, Any]


NO_WINDOW = (
    "This request cannot be approved for a while (its policy does not allow that window, "
    "or it needs more than one approval). Nothing was changed."
)
NO_RUN = (
    "This call cannot be approved for the rest of its run (its policy does not allow "
    "that, or it needs more than one approval). Nothing was changed."
)


@dataclass(frozen=True)
class Used:
    """What standing approvals decided before a request was posted: the last decision
    (``complete`` when nothing is left for people) and, per action decided, its grant."""

    decided: Decided
    grants: list[tuple[str, Row]]


@dataclass(frozen=True)
class Grant:
    """The decision hook of "Approve & allow for …" and "Approve for this run"
    (``seconds`` None): records the grant with the approval."""

    seconds: int | None
    user: str
    team: str | None
    enterprise: str | None

    async def __call__(
        self, conn: Conn, *, policy: Policy, request: Row, approvals: list[Row],
        approval: Row, requester: str | None, now: datetime,
    ) -> None:
        """Refuse what the policy does not offer; otherwise record the grant."""
        this_run = self.seconds is None
        if this_run and not for_run(policy):
            raise NotAllowed(NO_RUN)
        if not this_run and self.seconds not in choices(policy, actions=len(approvals)):
            raise NotAllowed(NO_WINDOW)
        action = proposed_action(approval)
        if int(approval["round"]) != 1 or changed_args(action.args, approval["args"]):
            raise NotAllowed("Edited arguments are approved once, never for a while or for "
                             "the rest of the run. Nothing was changed.")
        expires = now + timedelta(seconds=self.seconds or policy.timeout_s)
        scope = None if this_run else policy.standing_when
        await standing.insert_grant(
            conn, thread_id=request["thread_id"], action=action.name, args=approval["args"],
            scope_when=scope, granter=self.user, team=self.team, enterprise=self.enterprise,
            granted_at=now, expires_at=expires, request_id=int(request["id"]),
            this_run=this_run,
        )
        detail: dict[str, Any] = {"until": expires.isoformat(), "scope_when": scope}
        if this_run:
            detail["for_the_rest_of_the_run"] = True
        await audit.record(
            conn, "standing_granted", thread_id=request["thread_id"],
            request_id=int(request["id"]), approval_id=int(approval["id"]), actor=self.user,
            detail=detail, policy=policy.model_dump(mode="json"),
        )


@dataclass(frozen=True)
class Use:
    """The decision hook of a standing approval's use: the grant, checked under lock."""

    grant_id: int
    graph: str

    async def __call__(
        self, conn: Conn, *, policy: Policy, request: Row, approvals: list[Row],
        approval: Row, requester: str | None, now: datetime,
    ) -> None:
        """Hold the grant against a revocation and check it again; audit its use."""
        grant = await standing.lock_grant(conn, self.grant_id)
        batch = len(approvals) != 1
        if grant is None or (batch and grant["run_thread_id"] is None):
            raise NotAllowed("That standing approval does not apply here.")
        why = refusal(grant, policy=policy, graph=self.graph, thread_id=request["thread_id"],
                      action=proposed_action(approval), approval=approval,
                      requester=requester, now=now)
        if why is not None:
            raise NotAllowed(f"Standing approval {self.grant_id} not used: {why}.")
        detail = {"standing_approval": self.grant_id, "source_request": grant["request_id"],
                  "until": grant["expires_at"].isoformat()}
        if grant["run_thread_id"] is not None:
            detail["for_the_rest_of_the_run"] = True
        await audit.record(
            conn, "standing_used", thread_id=request["thread_id"],
            request_id=int(request["id"]), approval_id=int(approval["id"]),
            actor=grant["granter"], detail=detail, policy=policy.model_dump(mode="json"),
        )


async def standing_decision(deps: Deps, row: Row, approvals: list[Row]) -> Used | None:
    """Before a request is posted: let live standing approvals decide what they match,
    so that it is posted already decided (no buttons), or, in a batch, with those calls
    decided. None when none did.

    ``row`` is the request (with its run's columns) and ``approvals`` its approval rows,
    as just read to post it. A batch's calls are decided only by grants for this run.
    """
    if row["status"] != "pending":
        return None
    mine = [a for a in approvals if a["status"] == "pending"
            and offered(approval_policy(a, row), actions=len(approvals))]
    if not mine or _unsure(deps, row):
        return None  # the usual case: nothing is read
    used: list[tuple[str, Row]] = []
    decided = None
    for approval in mine:
        found = await _decide_one(deps, row, approval, batch=len(approvals) != 1)
        if found is not None:
            decided, grant = found
            used.append((proposed_action(approval).name, grant))
    return Used(decided, used) if decided is not None else None


async def _decide_one(
    deps: Deps, row: Row, approval: Row, *, batch: bool
) -> tuple[Decided, Row] | None:
    """Decide one action under the first live grant that matches it, if any."""
    policy = approval_policy(approval, row)  # the policy this very action is judged by
    action = proposed_action(approval)
    now, thread_id = deps.clock(), row["thread_id"]
    async with deps.pool.connection() as conn:
        grants = await standing.live_grants(
            conn, graph=row["graph"], action=action.name, thread_id=thread_id, now=now
        )
    for grant in grants:
        if batch and grant["run_thread_id"] is None:
            continue
        if refusal(grant, policy=policy, graph=row["graph"], thread_id=thread_id, action=action,
                   approval=approval, requester=row["requested_by"], now=now) is None:
            decided = await _decide_under(deps, row, approval, grant)
            if decided is not None:
                METRICS.inc("approvals_decisions_total", kind="standing")
                return decided, grant
    return None


async def announce_standing(deps: Deps, posted: Row, used: Used) -> None:
    """Once the request is posted: say which standing approvals decided what, in its
    thread; when nothing is left for people, render and resume it."""
    for action, grant in used.grants:
        await _say_used(deps, posted, grant, action=action)
    from bot.engine.flow import after_decision  # flow imports post: it calls this

    if used.decided.complete:
        deps.inflight.spawn(after_decision(deps, used.decided))


async def _decide_under(deps: Deps, row: Row, approval: Row, grant: Row) -> Decided | None:
    """The granter's approval through the decision transaction, citing ``grant``; None
    when refused there (audited: the request then waits for people)."""
    try:
        return await decide(
            deps, int(approval["id"]), user=grant["granter"], kind="approve",
            version=current_version(approval), team=grant["team"],
            enterprise=grant["enterprise"], hook=Use(int(grant["id"]), row["graph"]),
        )
    except ApprovalError as exc:
        log.info("standing approval %s not used for request %s: %s",
                 grant["id"], row["id"], exc.message)
        return None


def _unsure(deps: Deps, row: Row) -> bool:
    """A rule of the file that cannot be evaluated for these arguments fails closed for
    the fields the combinator knows; standing approvals it may not know: none, then."""
    defaults = Policy(channel=row["run_channel"], timeout_s=deps.settings.approvals_timeout_s)
    resolution = deps.policies.explain(
        defaults=defaults, graph=row["graph"], request=request_model(row)
    )
    return any(w.startswith(CONDITION_UNEVALUATED) for w in resolution.warnings)


async def _say_used(deps: Deps, row: Row, grant: Row, *, action: str) -> None:
    """"✅ Approved under @alice's standing approval (until 15:00)", in the thread."""
    run_of = action if grant["run_thread_id"] is not None else None
    try:
        await deps.slack.chat_postMessage(
            channel=row["channel"], thread_ts=row["message_ts"],
            text=used_text(grant["granter"], grant["expires_at"], run_of=run_of),
        )
    except SLACK_ERRORS:
        log.warning("could not say request %s was approved under a standing approval",
                    row["id"])
