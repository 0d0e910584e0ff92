"""The resolved :class:`Policy` of one approval, and the partial layers that build it.

A :class:`PolicyPatch` is one layer (the file's ``[defaults]``, a graph, an action, a
rule, the interrupt's own ``approval`` block): only the fields it sets override the
layer below. Patches are validated strictly (``"2"`` is not an integer) so that a typo
in a policy file fails at start instead of meaning something else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from graphs.models import ALL_DECISIONS, DecisionKind

# Slack user ids (U…, W… on Enterprise Grid) and user-group ids (S…).
APPROVER_PATTERN = r"^[UWS][A-Z0-9]{2,}$"
ApproverId = Annotated[str, StringConstraints(pattern=APPROVER_PATTERN)]
ChannelRef = Annotated[str, StringConstraints(pattern=r"^\S+$")]
DECISION_ORDER: tuple[DecisionKind, ...] = ("approve", "edit", "reject", "respond")
DEFAULT_TIMEOUT_S = 24 * 60 * 60
Notify = Literal["channel", "dm"]
OnTimeout = Literal["reject", "wait"]


def ordered_decisions(kinds: Iterable[DecisionKind]) -> tuple[DecisionKind, ...]:
    """The distinct ``kinds`` in the canonical order approve, edit, reject, respond."""
    wanted = set(kinds)
    return tuple(kind for kind in DECISION_ORDER if kind in wanted)


def _dedupe(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


class Policy(BaseModel):
    """Who may decide one approval, how many must agree, and how long they have."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: ChannelRef | None = None
    # Empty means anyone in the channel may decide.
    approvers: tuple[ApproverId, ...] = ()
    # A decider must also be on each of these lists: what remains when two layers (the
    # file and the graph, or the request and its edit) both name approvers.
    also_approvers: tuple[tuple[ApproverId, ...], ...] = ()
    required_approvals: int = Field(default=1, ge=1)
    allow_self_approval: bool = False
    # People of other workspaces or organisations (Slack Connect) may decide.
    external_users: bool = False
    timeout_s: int = Field(default=DEFAULT_TIMEOUT_S, gt=0)
    allowed_decisions: tuple[DecisionKind, ...] = Field(default=ALL_DECISIONS, min_length=1)
    # The period between reminders; None: one reminder when three quarters have passed.
    reminder_s: int | None = Field(default=None, gt=0)
    reminders: int = Field(default=1, ge=0)
    # "dm": each eligible approver also gets the request (and its reminders) by DM.
    notify: Notify = "channel"
    escalate_after_s: int | None = Field(default=None, gt=0)
    escalate_to: tuple[ApproverId, ...] = ()
    # "wait": an overdue request stays open instead of being rejected.
    on_timeout: OnTimeout = "reject"
    # Standing approvals (off by default): the longest window an approver may grant, and
    # the CEL condition on the arguments a later request must meet to fall under one
    # (None: only the very same arguments). See bot.engine.standing.
    standing_max_s: int | None = Field(default=None, gt=0)
    standing_when: str | None = None
    # "Approve for the rest of this run" (off by default): later calls of the same action
    # in the same run are approved as the granter's, each under its own policy.
    always_approve: bool = False

    @field_validator("approvers", "escalate_to")
    @classmethod
    def _distinct_approvers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _dedupe(value)

    @field_validator("also_approvers")
    @classmethod
    def _distinct_lists(cls, value: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
        return tuple(dict.fromkeys(_dedupe(group) for group in value if group))

    @field_validator("allowed_decisions")
    @classmethod
    def _canonical_decisions(cls, value: tuple[DecisionKind, ...]) -> tuple[DecisionKind, ...]:
        return ordered_decisions(value)


class PolicyPatch(BaseModel):
    """One layer of policy: every field optional, only the fields set override."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    channel: ChannelRef | None = None
    approvers: list[ApproverId] | None = None
    required_approvals: int | None = Field(default=None, ge=1)
    allow_self_approval: bool | None = None
    timeout_s: int | None = Field(default=None, gt=0)
    allowed_decisions: list[DecisionKind] | None = Field(default=None, min_length=1)
    reminder_s: int | None = Field(default=None, gt=0)
    external_users: bool | None = None
    reminders: int | None = Field(default=None, ge=0)
    notify: Notify | None = None
    escalate_after_s: int | None = Field(default=None, gt=0)
    escalate_to: list[ApproverId] | None = None
    on_timeout: OnTimeout | None = None
    standing_max_s: int | None = Field(default=None, gt=0)
    standing_when: str | None = None
    always_approve: bool | None = None

    def updates(self) -> dict[str, Any]:
        """The fields this layer sets, by name."""
        return {name: getattr(self, name) for name in self.model_fields_set}


POLICY_FIELDS: tuple[str, ...] = tuple(PolicyPatch.model_fields)


def apply_patch(policy: Policy, patch: PolicyPatch) -> Policy:
    """``policy`` with the fields ``patch`` sets replaced (validated again)."""
    updates = patch.updates()
    if not updates:
        return policy
    return Policy.model_validate(policy.model_dump() | updates)


def lenient_patch(raw: Mapping[str, Any], *, source: str) -> tuple[PolicyPatch, list[str]]:
    """A patch from untrusted ``raw`` (a graph's ``approval`` block), field by field.

    Unknown or invalid fields are left out and described in the returned warnings, so
    a graph that sends a bad block still gets an approval under the other layers.
    """
    accepted: dict[str, Any] = {}
    warnings: list[str] = []
    for key, value in raw.items():
        if key not in POLICY_FIELDS:
            warnings.append(f"{source}.{key}: unknown field, ignored")
            continue
        try:
            PolicyPatch.model_validate({key: value})
        except ValidationError as exc:
            reason = exc.errors()[0]["msg"]
            warnings.append(f"{source}.{key}: {reason} (got {value!r}), ignored")
            continue
        accepted[key] = value
    return PolicyPatch.model_validate(accepted), warnings
