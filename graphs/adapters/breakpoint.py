"""Static breakpoints (``interrupt_before`` / ``interrupt_after``) as approval requests.

A run paused at a breakpoint has no interrupt value: the request shows the state the
next node reads, as editable arguments. Approve continues the run (``invoke(None)``);
Edit writes the changed values with ``update_state``, then continues; Reject ends the
run as rejected without continuing it, so the paused node never runs.
"""

from __future__ import annotations

from typing import Any

from graphs.models import Action, ActionDecision, ApprovalRequest

BREAKPOINT_PREFIX = "breakpoint:"
STOP_KEY = "__approvals_stop__"


def breakpoint_id(checkpoint_id: str) -> str:
    """The id of the pause at ``checkpoint_id`` (a button's version is this checkpoint)."""
    return f"{BREAKPOINT_PREFIX}{checkpoint_id}"


def is_breakpoint_id(interrupt_id: str) -> bool:
    """Whether ``interrupt_id`` names a breakpoint rather than an ``interrupt()`` call."""
    return interrupt_id.startswith(BREAKPOINT_PREFIX)


def normalize_breakpoint(values: Any, *, node: str) -> ApprovalRequest:
    """The state at a breakpoint before ``node``, every key an editable argument."""
    args = values if isinstance(values, dict) else {"value": values}
    action = Action(name=node, args=dict(args), allowed=("approve", "edit", "reject"))
    return ApprovalRequest(
        dialect="breakpoint",
        title=f"Paused before `{node}`",
        description=f"The run stopped at a breakpoint before `{node}`; below is the state "
        "it reads. Approve continues, Edit changes the state first, Reject ends the run.",
        actions=[action],
    )


def resume_breakpoint(action: Action, decision: ActionDecision) -> dict[str, Any]:
    """What a runner does at a breakpoint: continue, write ``update`` then continue, or stop."""
    if decision.kind == "reject":
        return stop_value(decision.reason)
    if decision.kind == "edit":
        update = {k: v for k, v in decision.args.items() if action.args.get(k) != v}
        return {"action": "edit", "update": update}
    return {"action": "approve"}


def stop_value(reason: str | None) -> dict[str, Any]:
    """A decision that ends the run as rejected instead of resuming it."""
    return {STOP_KEY: "rejected", "reason": reason}


def is_stop(value: Any) -> bool:
    """Whether a stored resume value means "end the run, do not resume it"."""
    return isinstance(value, dict) and value.get(STOP_KEY) == "rejected"
