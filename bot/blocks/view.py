"""The view model a request message is drawn from: plain data, built from stored rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from graphs.models import Action

DECIDED_ICONS = {
    "approved": "✅",
    "edited": "✏️",
    "rejected": "❌",
    "responded": "💬",
    "expired": "⏱",
    "cancelled": "🚫",
}


@dataclass(frozen=True)
class Vote:
    """One person's decision at one time."""

    user: str
    at: datetime


@dataclass(frozen=True)
class ActionView:
    """One action of a request as it stands."""

    approval_id: int
    action: Action  # as the graph proposed it
    args: dict[str, Any]  # as it stands (edited so far)
    status: str  # pending | approved | edited | rejected | responded | expired | cancelled
    votes: list[Vote] = field(default_factory=list)  # approvals so far, or the deciders
    reason: str | None = None
    round: int = 1  # with ``args``, the version the buttons name
    required: int | None = None  # by its own policy (None: as many as the request)
    deciders: str | None = None  # who may decide it, as mrkdwn (the bot's own mentions)
    # "Approve for this run" is offered (its policy sets always_approve, one approval)
    for_run: bool = False

    @property
    def pending(self) -> bool:
        """Still waiting for a decision."""
        return self.status == "pending"

    def needs(self, request_required: int) -> int:
        """How many approvals this action needs (its own policy's, else the request's)."""
        return self.required if self.required is not None else request_required

    @property
    def approvals(self) -> list[Vote]:
        """The approvals given (a rejection's or a cancellation's deciders are none)."""
        return self.votes if self.status in ("pending", "approved", "edited") else []


@dataclass(frozen=True)
class RequestView:
    """Everything one Slack message about one interrupt shows."""

    request_id: int
    title: str
    description: str | None
    requested_by: str | None
    graph: str
    actions: list[ActionView]
    required_approvals: int = 1
    expires_at: datetime | None = None
    note: str | None = None  # e.g. "the run failed to resume: …"
    # Who may decide, as mrkdwn, when an edit changed it (the bot's own mentions).
    deciders: str | None = None
    escalated_to: tuple[str, ...] = ()  # set once the request was escalated
    escalated: bool = False
    waits: bool = False  # on_timeout = "wait": past expires_at it is overdue, not rejected
    overdue: bool = False
    # Who a server thread's metadata says started it: shown as a claim, never trusted.
    claimed_by: str | None = None
    context: dict[str, Any] = field(default_factory=dict)  # read-only keys of the payload
    reasoning: str | None = None  # the agent's words before it asked (shown as such)
    failed: bool = False  # the run could not be resumed: the request's outcome is a failure
    # The windows "Approve & allow for …" offers (seconds); empty: no such menu.
    standing_choices: tuple[int, ...] = ()

    @property
    def pending(self) -> bool:
        """Any action still waiting."""
        return any(a.pending for a in self.actions)


@dataclass(frozen=True)
class Waiting:
    """One open request a person may decide, for their pending list and App Home."""

    request_id: int
    title: str
    channel: str
    message_ts: str
    expires_at: datetime | None
    link: str | None = None  # the message's permalink, from Slack (None when unknown)
    requested_by: str | None = None
    args_line: str | None = None  # its key arguments, as mrkdwn (escaped)
    progress: str | None = None  # "1 of 2 approvals" once someone approved
    decide: tuple[int, str] | None = None  # one action: its id and its buttons' value


@dataclass(frozen=True)
class InboxPage:
    """One page of what waits for a person, oldest first.

    ``first`` is the 1-based position of ``items[0]`` in the whole list; ``more`` says a
    later page holds more; ``total_open`` counts every open request, for anyone.
    """

    items: list[Waiting]
    page: int
    first: int
    more: bool
    total_open: int
