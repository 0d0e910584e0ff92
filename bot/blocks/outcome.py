"""What a reviewer reads first: the outcome as the headline, and who must act next."""

from __future__ import annotations

from bot.blocks.edit_modal import changed_args
from bot.blocks.fields import label_of
from bot.blocks.format import clip, date_token, escape, mention
from bot.blocks.values import arg_value
from bot.blocks.view import DECIDED_ICONS, ActionView, RequestView

HEADLINE_WORDS = {
    "approved": "Approved",
    "edited": "Approved with edits",
    "rejected": "Rejected",
    "responded": "Answered",
    "expired": "Expired",
    "cancelled": "Cancelled",
}
COLLAPSED_ARGS = 4  # a decided action keeps this many arguments in view (edited ones first)


def outcome_of(view: RequestView) -> str | None:
    """``✅ Approved``, ``❌ Rejected``, ``⏱ Expired``… for a decided (or failed) request;
    None while any action waits. A batch decided both ways counts its approvals."""
    if view.failed:
        return "⚠️ Failed"
    if view.pending:
        return None
    statuses = [a.status for a in view.actions]
    kinds = set(statuses)
    if kinds <= {"approved", "edited"}:
        return f"✅ {HEADLINE_WORDS['edited' if 'edited' in kinds else 'approved']}"
    if len(kinds) == 1:
        return f"{DECIDED_ICONS[statuses[0]]} {HEADLINE_WORDS[statuses[0]]}"
    approved = sum(s in ("approved", "edited") for s in statuses)
    return f"☑️ {approved} of {len(statuses)} approved"


def headline_text(view: RequestView, title: str) -> str:
    """The header (plain text): the outcome first once decided, then the title."""
    outcome = outcome_of(view)
    if outcome:
        return f"{outcome} · {title}"
    return f"✏️ Edited · {title}" if title != view.title else title


def notification_text(view: RequestView, title: str) -> str:
    """The message's fallback text, which notifications show: the outcome, or the ask."""
    outcome = outcome_of(view)
    return f"{outcome} · {title}" if outcome else f"Approval needed: {title}"


def waiting_line(view: ActionView, required: int) -> str:
    """``⏳ Waiting for <@C> or <@D>``, or ``*1 of 2 approvals* · waiting for one more of
    …`` with who approved when. ``view.deciders`` already leaves out the requester and
    everyone who approved."""
    who = view.deciders or "anyone in the channel"
    done = view.approvals
    if not done:
        return f"⏳ Waiting for {who}"
    left = max(required - len(done), 1)
    more = "one more" if left == 1 else f"{left} more"
    given = ", ".join(f"✅ {mention(v.user)} {date_token(v.at)}" for v in done)
    return f"*{len(done)} of {required} approvals* · waiting for {more} of {who} — {given}"


def collapsed_args(view: ActionView) -> str | None:
    """A decided action's arguments on a line or two: the edited ones (old → new) first,
    then the rest, up to :data:`COLLAPSED_ARGS`, and how many more there are."""
    proposed = view.action.args
    changed = [k for k, _, _ in changed_args(proposed, view.args) if k in view.args]
    keys = changed + [k for k in view.args if k not in changed]
    parts = []
    for key in keys[:COLLAPSED_ARGS]:
        value = arg_value(view.action, key, view.args[key], limit=120, inline=True)
        if key in changed:
            old = arg_value(view.action, key, proposed.get(key), limit=60, inline=True)
            value = f"{old} → {value}"
        parts.append(f"*{escape(label_of(view.action, key))}* {value}")
    if len(keys) > COLLAPSED_ARGS:
        parts.append(f"+{len(keys) - COLLAPSED_ARGS} more")
    return clip(" · ".join(parts), 2900) if parts else None


def waiting_for(view: RequestView) -> str | None:
    """Who can still approve what waits (each waiting action's people, once each)."""
    who = [a.deciders for a in view.actions if a.pending and a.deciders]
    return "; ".join(dict.fromkeys(who)) if who else None
