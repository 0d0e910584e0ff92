"""The one combinator: every layer over the operator's file goes through :func:`meet`.

The policy file is a floor set by whoever runs the bot. Every other layer (an
interrupt's ``approval`` block, server metadata, an edit's new arguments, a rule whose
condition cannot be evaluated, escalation) is combined with it here, and the result is
never laxer than the file for that action and those arguments. Field by field:

- the people who may decide are a subset (a decider must be on every list);
- ``required_approvals`` never goes down;
- ``allowed_decisions`` is a subset; nothing in common means reject only;
- self-approval and external users only where both sides allow them;
- escalation only where both escalate, to people both name, never sooner;
- waiting past the timeout only where both wait; the timeout never longer;
- the channel is the floor's; another only where the file pins none;
- standing approvals only where both allow them, for the shorter window, and only
  where both say the same of what "similar" means (else none); approval for the rest
  of a run only where both allow it.

Where two layers cannot be ordered (two approver lists with nobody on both), the result
needs people who satisfy both, and may be satisfiable by nobody: then only reject is
allowed, never "any of them". :func:`escalated` is the one place escalation widens who
may decide, and only to the people the stored policy (already combined) names.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from bot.policy.model import Policy, PolicyPatch, apply_patch, ordered_decisions
from graphs.models import DecisionKind

REFUSE_ONLY: tuple[DecisionKind, ...] = ("reject",)
# Fields whose value decides who may decide what, and until when: never laxer.
GUARDED = (
    "channel", "approvers", "required_approvals", "allow_self_approval", "external_users",
    "timeout_s", "allowed_decisions", "escalate_after_s", "escalate_to", "on_timeout",
    "standing_max_s", "standing_when", "always_approve",
)
ChannelRule = Literal["floor", "must_match"]


class Override(BaseModel):
    """A field a layer asked for that the floor did not let through as asked."""

    model_config = ConfigDict(frozen=True)

    source: str
    field: str
    asked: Any
    applies: Any


def _is_group(approver: str) -> bool:
    return approver.startswith("S")


def narrow_approvers(
    policy: Policy, extra: Iterable[str]
) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """``approvers`` and ``also_approvers`` once deciders must also be on ``extra``.

    An empty ``extra`` (anyone) narrows nothing. Plain user lists are intersected
    directly; with a group on either side, or when nobody is on both, the lists are
    kept side by side so that eligibility is their intersection (possibly nobody).
    """
    new = tuple(dict.fromkeys(extra))
    if not new:
        return policy.approvers, policy.also_approvers
    if not policy.approvers:
        return new, policy.also_approvers
    if set(new) == set(policy.approvers):
        return policy.approvers, policy.also_approvers
    plain = not any(_is_group(a) for a in (*new, *policy.approvers))
    common = tuple(a for a in new if a in policy.approvers)
    if plain and common:
        return common, policy.also_approvers
    return new, (*policy.also_approvers, policy.approvers)


def decisions_both(
    a: Iterable[DecisionKind], b: Iterable[DecisionKind]
) -> tuple[DecisionKind, ...]:
    """The decisions both sides allow; reject alone when they share none."""
    return ordered_decisions(set(a) & set(b)) or REFUSE_ONLY


def _escalation(floor: Policy, other: Policy) -> dict[str, Any]:
    """Escalate only where both do, to the people both name, at the later time."""
    if floor.escalate_after_s is None or other.escalate_after_s is None:
        return {"escalate_after_s": None, "escalate_to": ()}
    return {
        "escalate_after_s": max(floor.escalate_after_s, other.escalate_after_s),
        "escalate_to": tuple(a for a in floor.escalate_to if a in other.escalate_to),
    }


def _standing(floor: Policy, other: Policy) -> dict[str, Any]:
    """A standing approval only where both allow one, and judge "similar" alike."""
    windows = (floor.standing_max_s, other.standing_max_s)
    if None in windows or floor.standing_when != other.standing_when:
        return {"standing_max_s": None, "standing_when": None}
    return {"standing_max_s": min(w for w in windows if w is not None),
            "standing_when": floor.standing_when}


def meet(
    floor: Policy, other: Policy, *, channel: ChannelRule = "floor", named: bool | None = None
) -> Policy:
    """Both policies at once: nobody decides who does not satisfy each of them.

    ``floor`` is the layer whose channel stands (where the message is, or the file's
    unconditional choice). With ``channel="must_match"``, an ``other`` that belongs in
    another channel where anyone there may decide cannot be satisfied here: only reject.
    ``named`` says whether the file itself names ``other``'s approvers (default: whether
    ``other`` does); a block's approvers never stand in for the file's channel.
    """
    approvers, also = narrow_approvers(floor, other.approvers)
    allowed = decisions_both(floor.allowed_decisions, other.allowed_decisions)
    moved = other.channel is not None and other.channel != floor.channel
    if channel == "must_match" and moved and not (other.approvers if named is None else named):
        allowed = REFUSE_ONLY
    reminders = [r for r in (floor.reminder_s, other.reminder_s) if r is not None]
    out = floor.model_dump() | {
        "approvers": approvers,
        "also_approvers": (*also, *other.also_approvers),
        "required_approvals": max(floor.required_approvals, other.required_approvals),
        "allow_self_approval": floor.allow_self_approval and other.allow_self_approval,
        "external_users": floor.external_users and other.external_users,
        "timeout_s": min(floor.timeout_s, other.timeout_s),
        "allowed_decisions": allowed,
        "reminder_s": min(reminders) if reminders else None,
        "reminders": max(floor.reminders, other.reminders),
        "notify": "dm" if "dm" in (floor.notify, other.notify) else "channel",
        "on_timeout": "wait" if floor.on_timeout == other.on_timeout == "wait" else "reject",
        **_escalation(floor, other),
        "always_approve": floor.always_approve and other.always_approve,
        **_standing(floor, other),
    }
    return reminder_fits(Policy.model_validate(out))


def reminder_fits(policy: Policy) -> Policy:
    """A reminder not sooner than the timeout is dropped, unless the request waits."""
    late = policy.reminder_s is not None and policy.reminder_s >= policy.timeout_s
    if late and policy.on_timeout != "wait":
        return policy.model_copy(update={"reminder_s": None})
    return policy


def tighten(
    policy: Policy, patch: PolicyPatch, *, pinned_channel: bool, source: str = "approval"
) -> tuple[Policy, list[Override]]:
    """``policy`` with an untrusted ``patch`` (a block, server metadata) applied only where
    it is stricter, and what the patch asked that does not apply as asked.

    ``pinned_channel`` says the file chose the channel: the patch may not move it. The
    patch's reminder period and ``notify`` are taken as asked: they reach people sooner
    or louder but widen nobody.
    """
    asked = patch.updates()
    if not asked:
        return policy, []
    wanted = apply_patch(policy, patch)
    both = meet(policy, wanted)
    quiet: dict[str, Any] = {}
    if "reminder_s" in asked:
        quiet["reminder_s"] = wanted.reminder_s
    if "notify" in asked and asked["notify"] == "channel":
        quiet["notify"] = policy.notify
    if "channel" in asked and not pinned_channel:
        quiet["channel"] = wanted.channel
    result = reminder_fits(both.model_copy(update=quiet))
    return result, overrides_of(source, asked, result)


def overrides_of(source: str, asked: dict[str, Any], result: Policy) -> list[Override]:
    """The fields of ``asked`` whose value ``result`` does not carry as asked."""
    found = []
    for field, value in asked.items():
        applies = getattr(result, field)
        same = set(value) == set(applies) if isinstance(value, list) else value == applies
        if field == "approvers" and result.also_approvers:
            same = False  # narrowed to people on both lists
        if not same:
            found.append(Override(source=source, field=field, asked=value, applies=_plain(applies)))
    return found


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def escalated(policy: Policy) -> Policy:
    """``policy`` once escalated: ``escalate_to`` may decide too (anyone stays anyone).

    ``policy`` is a stored, already combined policy, so its ``escalate_to`` holds only
    people every layer agreed to. They join every list a decider must be on; the number
    of approvals needed is unchanged.
    """
    if not policy.escalate_to or not policy.approvers:
        return policy
    return policy.model_copy(
        update={
            "approvers": tuple(dict.fromkeys((*policy.approvers, *policy.escalate_to))),
            "also_approvers": tuple(
                tuple(dict.fromkeys((*group, *policy.escalate_to)))
                for group in policy.also_approvers
            ),
        }
    )
