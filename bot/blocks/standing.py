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
_CHOICE = re.compile(r"^(.+):([0-9]{1,7}|run)$")
RUN = "run"
RUN_TEXT = "Approve for the rest of this run"


def window_text(seconds: int) -> str:
    """``15 min``, ``1 h``, ``1 day``; an odd window in the largest unit that divides it."""
    for unit, word in ((86400, "day"), (3600, "h"), (60, "min")):
        if seconds % unit == 0:
            count = seconds // unit
            return f"{count} {word}{'s' if word == 'day' and count > 1 else ''}"
    return f"{seconds} s"


def standing_block(view: RequestView) -> dict[str, Any] | None:
    """The menu, on a pending single-action request whose policy offers windows, or
    approving for the rest of the run.

    Each option names the approval at the version shown, and a window (or ``run``): the
    decision checks both, as for the Approve button, and the choice against the policy.
    """
    offered = view.standing_choices or view.for_run
    if not offered or len(view.actions) != 1 or not view.actions[0].pending:
        return None
    action = view.actions[0]
    ref = encode_ref(action.approval_id, action.round, action.args)
    options = [{"text": {"type": "plain_text", "text": RUN_TEXT}, "value": f"{ref}:{RUN}"}
               ] if view.for_run else []
    options += [
        {"text": {"type": "plain_text", "text": f"Approve & allow for {window_text(s)}"},
         "value": f"{ref}:{s}"}
        for s in view.standing_choices
    ]
    placeholder = "Approve & allow for …" if view.standing_choices else RUN_TEXT
    return {
        "type": "actions",
        "block_id": f"standing:{action.approval_id}",
        "elements": [{
            "type": "static_select",
            "action_id": ACTION_ID,
            "placeholder": {"type": "plain_text", "text": placeholder},
            "options": options,
        }],
    }


def parse_choice(raw: object) -> tuple[Ref, int | None] | None:
    """The approval, version and window an option names (None: for the rest of the run);
    None unless well formed."""
    if not isinstance(raw, str):
        return None
    found = _CHOICE.match(raw)
    ref = parse_ref(found[1]) if found else None
    if ref is None or found is None:
        return None
    return ref, None if found[2] == RUN else int(found[2])


def used_text(granter: str, until: datetime, *, this_run: bool = False) -> str:
    """✅ Approved under @alice's standing approval (until …), or her approval for the rest
    of this run."""
    if this_run:
        return f"✅ Approved under {mention(granter)}'s approval for the rest of this run"
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
