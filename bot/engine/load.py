"""Read a stored request back as models: the normalized request, its policy, its view."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from bot.blocks.view import ActionView, RequestView, Vote
from bot.engine.standing_rules import choices, for_run
from bot.policy import Policy, PolicyBook, describe_approvers, escalated, meet
from bot.settings import Settings
from graphs.models import Action, ApprovalRequest
from persistence import requests, views

Row = dict[str, Any]

def request_model(row: Row) -> ApprovalRequest:
    """The normalized request stored with a request row."""
    return ApprovalRequest.model_validate(row["request"])


def policy_model(row: Row) -> Policy:
    """The request's policy as it stands (an edit may have tightened it since the post)."""
    return Policy.model_validate(row["policy"])


def governing_policy(
    book: PolicyBook, settings: Settings, context: Row, approval_id: int, args: dict[str, Any]
) -> Policy:
    """The policy for one action of the request with the new ``args``: what the file
    and the graph's block say for those very arguments, met with the policy the action
    was posted with (:func:`meet`: never weaker than either, and only reject when the
    new arguments belong in another channel where anyone there may decide).

    ``context`` is a row of ``approval_context``: the stored request, graph and channel.
    """
    stored = request_model(context)
    ids = [int(entry["id"]) for entry in context["args_of"]]
    action = stored.actions[ids.index(approval_id)].model_copy(update={"args": args})
    defaults = Policy(
        channel=context["run_channel"],
        timeout_s=settings.approvals_timeout_s,
        reminder_s=settings.approvals_reminder_s,
    )
    resolved = book.resolve_action(
        defaults=defaults, graph=context["graph"], action=action, approval=stored.approval
    )
    floor = Policy.model_validate(context["policy_initial"] or context["policy"])
    named = book.names_approvers(defaults=defaults, graph=context["graph"], action=action)
    both = meet(floor, resolved, channel="must_match", named=named)
    return escalated(both) if _escalated_for(both, context) else both


def _escalated_for(policy: Policy, context: Row) -> bool:
    """Whether the request was escalated no sooner than ``policy`` itself escalates."""
    at, posted = context.get("escalated_at"), context.get("created_at")
    if at is None or policy.escalate_after_s is None or posted is None:
        return False
    return (at - posted).total_seconds() >= policy.escalate_after_s


def action_as_it_stands(approval: Row) -> Action:
    """The action with its arguments as approved so far (what an edit starts from)."""
    return proposed_action(approval).model_copy(update={"args": current_args(approval)})


def proposed_action(approval: Row) -> Action:
    """The action as the graph proposed it, its arguments and schema in the graph's order."""
    action = Action.model_validate(approval["action"])
    order = _order_of(approval)
    schema = action.args_schema
    if schema is not None and isinstance(schema.get("properties"), dict):
        schema = {**schema, "properties": in_order(schema["properties"], order)}
    return action.model_copy(update={"args": in_order(action.args, order), "args_schema": schema})


def current_args(approval: Row) -> dict[str, Any]:
    """The arguments as they stand (edited so far), in the graph's order."""
    return in_order(approval["args"], _order_of(approval))


def in_order(values: dict[str, Any], order: list[str]) -> dict[str, Any]:
    """``values`` with the keys named in ``order`` first, in that order, then the rest."""
    first = {k: values[k] for k in order if k in values}
    return first | {k: v for k, v in values.items() if k not in first}


def _order_of(approval: Row) -> list[str]:
    order = (approval["action"] or {}).get(requests.ARG_ORDER)
    return [k for k in order if isinstance(k, str)] if isinstance(order, list) else []


def _action_view(approval: Row, votes: list[Vote], own: Policy, requester: str | None
                 ) -> ActionView:
    decision = approval["decision"] or {}
    if approval["status"] in ("rejected", "responded", "expired", "cancelled"):
        at = datetime.fromisoformat(decision["decided_at"])
        votes = [Vote(user=u, at=at) for u in decision.get("decided_by", [])]
    return ActionView(
        approval_id=int(approval["id"]),
        action=proposed_action(approval),
        args=current_args(approval),
        status=approval["status"],
        votes=votes,
        # a reject's reason, or the text of a response; a cancel's "by" names who did it
        reason=None if approval["status"] == "cancelled" else decision.get("reason"),
        round=int(approval["round"]),
        required=own.required_approvals,
        # who can still approve: never the requester, never those who already did
        deciders=describe_approvers(own, exclude=[requester, *(v.user for v in votes)]),
        for_run=for_run(own) and int(approval["round"]) == 1,  # never for edited arguments
    )


def _reasoning_key(context: Row) -> str | None:
    """A generic payload's ``reasoning``, when it is text."""
    said = context.get("reasoning")
    return said if isinstance(said, str) and said.strip() else None


def approval_policy(approval: Row, request: Row) -> Policy:
    """The policy one action is judged by (rows stored before it had one: the request's)."""
    return Policy.model_validate(approval.get("policy") or request["policy"])


def _standing_choices(row: Row, approvals: list[Row]) -> tuple[int, ...]:
    """The windows "Approve & allow for …" offers: only for one action, by its policy."""
    if len(approvals) != 1:
        return ()
    return choices(approval_policy(approvals[0], row), actions=1)


async def load_view(
    conn: AsyncConnection[Any], request_id: int
) -> tuple[RequestView, Row, list[Row]] | None:
    """The request's view model, its row (with run columns) and its approval rows."""
    read = await views.request_view(conn, request_id)
    if read is None:
        return None
    row, approvals, vote_rows = read
    votes: dict[int, list[Vote]] = {}
    for v in vote_rows:
        votes.setdefault(v["approval_id"], []).append(Vote(user=v["user_id"], at=v["at"]))
    request = request_model(row)
    policy = policy_model(row)
    who = row["requested_by"]
    edited = [approval_policy(a, row) for a in approvals if a.get("policy_initial") is not None]
    note = None
    if row["status"] == "failed":
        note = f"{row['last_error'] or 'unknown error'}. The run could not be resumed."
    elif row["status"] == "decided" and row.get("last_error"):
        note = f"{row['last_error']}. Trying again."
    said = request.reasoning or _reasoning_key(request.context)
    view = RequestView(
        request_id=request_id,
        title=request.title,
        description=request.description,
        requested_by=row["requested_by"],
        graph=row["graph"],
        actions=[
            _action_view(a, votes.get(int(a["id"]), []), approval_policy(a, row), who)
            for a in approvals
        ],
        required_approvals=max(
            [policy.required_approvals, *(approval_policy(a, row).required_approvals
                                          for a in approvals)]
        ),
        expires_at=row["expires_at"],
        note=note,
        deciders=describe_approvers(edited[0], exclude=who) if edited else None,
        escalated=row.get("escalated_at") is not None,
        escalated_to=policy.escalate_to,
        waits=policy.on_timeout == "wait",
        overdue=row.get("overdue_at") is not None,
        claimed_by=row.get("claimed_by"),
        context={k: v for k, v in request.context.items() if k != "reasoning" or not said},
        reasoning=said,
        failed=row["status"] == "failed",
        standing_choices=_standing_choices(row, approvals),
    )
    return view, row, approvals
