"""What a standing approval may decide: pure rules over a grant, a policy and a request.

A grant (a row of ``standing_approvals``) may decide an approval only while it is not
revoked and not expired, for its own graph and action, on arguments never edited, for
someone other than its granter, under a policy (the request's own, resolved from the file
as it is now) that still offers standing approvals, one approval and a window at least as
long as the grant's; and the arguments must be within the grant's scope and the policy's.

A grant for the rest of a run (``run_thread_id`` set) decides only requests of that run,
whatever their arguments, but each only where its own policy sets ``always_approve``
(with one approval): the file's rules on the arguments still choose which calls ask.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from bot.blocks.edit_modal import changed_args
from bot.policy import ConditionError, Policy, parse_conditions
from bot.policy.cel import CelCondition
from graphs.models import Action

Row = dict[str, Any]
WINDOWS = (15 * 60, 60 * 60, 4 * 3600, 8 * 3600, 24 * 3600)


def choices(policy: Policy, *, actions: int) -> tuple[int, ...]:
    """The windows (seconds) an approver may grant under ``policy``: none unless standing
    approvals are on, one approval suffices, the request has one action and may be
    approved; otherwise the usual ones shorter than ``standing_max_s``, and it."""
    top = policy.standing_max_s
    if top is None or policy.required_approvals != 1 or actions != 1:
        return ()
    if "approve" not in policy.allowed_decisions:
        return ()
    return (*(w for w in WINDOWS if w < top), top)


def for_run(policy: Policy) -> bool:
    """Whether an approver may approve an action for the rest of its run under ``policy``
    (in a batch too, call by call): only where it sets ``always_approve``, one approval
    suffices and it may be approved."""
    return (policy.always_approve and policy.required_approvals == 1
            and "approve" in policy.allowed_decisions)


def offered(policy: Policy, *, actions: int) -> bool:
    """Whether any standing approval could decide an action of a request of ``actions``
    under ``policy`` (in a batch, only one for the rest of the run)."""
    return bool(choices(policy, actions=actions)) or for_run(policy)


@lru_cache(maxsize=256)
def _conditions(source: str) -> tuple[CelCondition, ...] | None:
    try:
        return parse_conditions(source)
    except ConditionError:
        return None


def _holds(source: str | None, args: dict[str, Any], exact: Any) -> bool:
    """``args`` are within a scope: ``source``'s conditions all true (one that cannot be
    evaluated is not), or with no condition, the very arguments ``exact``."""
    if source is None:
        return bool(args == exact)
    conditions = _conditions(source)
    return conditions is not None and all(c.evaluate(args) is True for c in conditions)


def refusal(
    grant: Row, *, policy: Policy, graph: str, thread_id: str, action: Action, approval: Row,
    requester: str | None, now: datetime,
) -> str | None:
    """Why ``grant`` may not decide ``approval`` (of ``graph``'s run ``thread_id``,
    proposing ``action``, under the request's ``policy``) at ``now``; None when it may.
    Whether the granter is eligible under that policy is the decision's own check, as for
    any click of theirs."""
    if grant["revoked_at"] is not None:
        return "it was revoked"
    if grant["expires_at"] <= now:
        return "it has expired"
    if (grant["graph"], grant["action"]) != (graph, action.name):
        return "it is for another action"
    if int(approval["round"]) != 1 or changed_args(action.args, approval["args"]):
        return "the arguments were edited"
    if requester is not None and grant["granter"] == requester:
        return "the granter requested this"
    if grant.get("run_thread_id") is not None:
        return _run_refusal(grant, policy=policy, thread_id=thread_id)
    if not choices(policy, actions=1) or policy.standing_max_s is None:
        return "this request's policy allows no standing approval"
    if grant["expires_at"] - grant["granted_at"] > timedelta(seconds=policy.standing_max_s):
        return "its window is longer than the policy now allows"
    args = approval["args"]
    if not _holds(grant["scope_when"], args, grant["args"]):
        return "the arguments are outside its scope"
    if not _holds(policy.standing_when, args, grant["args"]):
        return "the arguments are outside what the policy now allows"
    return None


def _run_refusal(grant: Row, *, policy: Policy, thread_id: str) -> str | None:
    """Why a grant for the rest of a run may not decide this request of ``thread_id``."""
    if grant["run_thread_id"] != thread_id:
        return "it is for another run"
    if not for_run(policy):
        return "this request's policy does not allow approving for the rest of the run"
    return None
