"""A fixed set of requests in every state, to render each builder's output (see
:mod:`bot.blocks.preview`). Deterministic: fixed ids, times and values."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bot.blocks.view import ActionView, RequestView, Vote
from graphs.adapters.breakpoint import normalize_breakpoint
from graphs.models import Action

AT = datetime(2026, 12, 7, 17, 30, tzinfo=UTC)
PAY_SCHEMA = {"type": "object", "properties": {
    "amount": {"type": "number", "title": "Amount (USD)"},
    "recipient": {"type": "string", "title": "Recipient"},
    "memo": {"type": "string", "title": "Memo"}}}
PAY = Action(name="pay", args={"amount": 2500.0, "recipient": "acme", "memo": "INV-2024-118"},
             args_schema=PAY_SCHEMA)
WHO = "<@UCAROL> or <@UDAVE>"
EMAIL_BODY = "Hello Bob,\n\n" + "We have paid the invoice in full and thank you. " * 80


def _act(action: Action, status: str = "pending", *, i: int = 1, votes: tuple[str, ...] = (),
         args: dict[str, Any] | None = None, reason: str | None = None) -> ActionView:
    return ActionView(approval_id=100 + i, action=action, args=args or dict(action.args),
                      status=status, votes=[Vote(u, AT) for u in votes], reason=reason,
                      deciders=WHO)


def _req(*actions: ActionView, title: str = "Pay $2,500.00 to acme", **kw: Any) -> RequestView:
    base = RequestView(request_id=1, title=title, description="Payments over $1,000 need "
                       "approval.", requested_by="UALICE", graph="payments",
                       actions=list(actions), expires_at=AT)
    return replace(base, **kw)


def _email() -> Action:
    return Action(name="send_email", args={"to": "bob@example.com", "subject": "Paid",
                                           "body": EMAIL_BODY})


def cases() -> dict[str, RequestView]:
    """Every state a reviewer meets, by name."""
    edited = {**PAY.args, "amount": 1800}
    wide = Action(name="configure", args={f"option_{i:02d}": [i, i + 1] if i % 5 == 0 else i * 1.5
                                          for i in range(30)})
    stop = normalize_breakpoint({"plan": "drop table users", "dry_run": False}, node="migrate")
    return {
        "pending": _req(_act(PAY)),
        "one_of_two": _req(_act(PAY, votes=("UBOB",)), required_approvals=2),
        "approved": _req(_act(PAY, "approved", votes=("UBOB",))),
        "edited": _req(_act(PAY, "edited", votes=("UBOB",), args=edited)),
        "rejected": _req(_act(PAY, "rejected", votes=("UBOB",), reason="wrong vendor")),
        "expired": _req(_act(PAY, "expired")),
        "failed": _req(_act(PAY, "approved", votes=("UBOB",)), failed=True,
                       note="the run raised KeyError. The run could not be resumed."),
        "batch": _req(_act(PAY), _act(_email(), i=2), title="Agent wants to pay and email",
                      reasoning="The task asks me to pay acme and tell Bob <!channel>."),
        "breakpoint": _req(_act(stop.actions[0]), title=stop.title, description=None),
        "long_text": _req(_act(_email()), title="Send email to bob@example.com",
                          description=EMAIL_BODY),
        "thirty_args": _req(_act(wide), title="Configure the cluster", description=None),
    }
