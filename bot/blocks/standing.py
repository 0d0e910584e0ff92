"""Standing approvals in Slack: the "Approve & allow for …" menu, the compact line a use
posts, and the list (App Home, ``/approvals standing``) with its Revoke buttons."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from bot.blocks.format import clip, date_token, escape, mention
from bot.blocks.parts import context
from bot.blocks.version import Ref, encode_ref, parse_ref
from bot.blocks.view import RequestView

ACTION_ID = "approve_standing"
REVOKE_ID = "standing_revoke"
_CHOICE = re.compile(r"^(.+):([0-9]{1,7})$")


def window_text(seconds: int) -> str:
    """``15 min``, ``1 h``, ``1 day``; an odd window in the largest unit that divides it."""
    for unit, word in ((86400, "day"), (3600, "h"), (60, "min")):
        if seconds % unit == 0:
            count = seconds // unit
            return f"{count} {word}{'s' if word == 'day' and count > 1 else ''}"
    return f"{seconds} s"


def standing_block(view: RequestView) -> dict[str, Any] | None:
    """The menu, on a pending single-action request whose policy offers windows.

    Each option names the approval at the version shown, and a window: the decision
    checks both, as for the Approve button, and the window against the policy.
    """
    if not view.standing_choices or len(view.actions) != 1 or not view.actions[0].pending:
        return None
    action = view.actions[0]
    ref = encode_ref(action.approval_id, action.round, action.args)
    options = [
        {"text": {"type": "plain_text", "text": f"Approve & allow for {window_text(s)}"},
         "value": f"{ref}:{s}"}
        for s in view.standing_choices
    ]
    return {
        "type": "actions",
        "block_id": f"standing:{action.approval_id}",
        "elements": [{
            "type": "static_select",
            "action_id": ACTION_ID,
            "placeholder": {"type": "plain_text", "text": "Approve & allow for …"},
            "options": options,
        }],
    }


def parse_choice(raw: object) -> tuple[Ref, int] | None:
    """The approval, version and window an option names; None unless well formed."""
    if not isinstance(raw, str):
        return None
    found = _CHOICE.match(raw)
    ref = parse_ref(found[1]) if found else None
    return (ref, int(found[2])) if ref is not None and found is not None else None


def used_text(granter: str, until: datetime, *, run_of: str | None = None) -> str:
    """✅ Approved under @alice's standing approval (until …); with ``run_of`` (the
    action's name), ✅ `pay` approved under @alice's approval for the rest of this run."""
    if run_of is not None:
        return (f"✅ `{escape(clip(run_of, 80))}` approved under {mention(granter)}'s approval "
                "for the rest of this run")
    return f"✅ Approved under {mention(granter)}'s standing approval (until {date_token(until)})"


def _scope(grant: dict[str, Any]) -> str:
    if grant.get("run_thread_id"):
        return f"for the rest of run `{escape(clip(grant['run_thread_id'], 80))}`"
    if grant["scope_when"]:
        return f"when `{escape(clip(grant['scope_when'], 200))}`"
    args = json.dumps(grant["args"], ensure_ascii=False, sort_keys=True, default=str)
    return f"with exactly `{escape(clip(args, 300))}`"


def build_standing_list(
    grants: list[dict[str, Any]], *, limit: int = 40
) -> tuple[str, list[dict[str, Any]]]:
    """Live standing approvals, each with a Revoke button (at most ``limit`` of them)."""
    if not grants:
        text = "No standing approvals are live that you could revoke."
        return text, [context(text)]
    blocks: list[dict[str, Any]] = [{
        "type": "section",
        "text": {"type": "mrkdwn", "text": "*Standing approvals you can revoke*"},
    }]
    for grant in grants[:limit]:
        line = (f"*{escape(grant['action'])}* of `{escape(grant['graph'])}` "
                f"{_scope(grant)} · by {mention(grant['granter'])} "
                f"· until {date_token(grant['expires_at'])}")
        blocks.append({
            "type": "section",
            "text": {"type": "mrkdwn", "text": clip(line, 3000)},
            "accessory": {
                "type": "button", "action_id": REVOKE_ID, "style": "danger",
                "text": {"type": "plain_text", "text": "Revoke"},
                "value": str(grant["id"]),
            },
        })
    return f"{len(grants)} standing approvals", blocks
