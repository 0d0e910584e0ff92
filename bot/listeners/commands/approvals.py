"""``/approvals pending`` lists what the caller may decide; ``/approvals help`` explains."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from slack_bolt.async_app import AsyncAck

from bot.blocks.format import clip, escape
from bot.engine.decide import eligible_users
from bot.engine.deps import Deps
from bot.engine.load import policy_model
from bot.errors import ApprovalError
from bot.listeners.common import DB_DOWN, DB_DOWN_TEXT
from bot.policy import check_can_decide

HELP = (
    "*Approvals* — LangGraph runs ask here before they act.\n"
    "• Click *Approve*, *Reject* or *Edit* on a request; edits are validated before the run "
    "resumes.\n"
    "• Some requests need two different people: the first approval asks for a second one "
    "in the message's thread.\n"
    "• `/approvals pending` lists the open requests you may decide.\n"
    "• `/approvals help` shows this."
)
SELECT_OPEN = """
SELECT r.id, r.channel, r.message_ts, r.policy, r.request->>'title' AS title,
       run.requested_by, r.expires_at,
       coalesce(array_agg(v.user_id) FILTER (WHERE v.user_id IS NOT NULL), '{}') AS voters
FROM requests r JOIN runs run USING (thread_id)
JOIN approvals a ON a.request_id = r.id AND a.status = 'pending'
LEFT JOIN votes v ON v.approval_id = a.id AND v.round = a.round
WHERE r.status = 'pending' AND r.message_ts IS NOT NULL
GROUP BY r.id, run.requested_by ORDER BY r.created_at LIMIT 200
"""


def permalink(api_url: str, channel: str, ts: str) -> str:
    """A link to a message on the workspace's own host (GovSlack included)."""
    host = urlsplit(api_url).netloc or "slack.com"
    return f"https://{host}/archives/{channel}/p{ts.replace('.', '')}"


async def _may_decide(deps: Deps, row: dict[str, Any], user: str) -> bool:
    policy = policy_model(row)
    try:
        check_can_decide(
            policy,
            user=user,
            requester=row["requested_by"],
            decision="approve",
            eligible_users=await eligible_users(deps, policy),
            already_approved_by=row["voters"],
        )
    except ApprovalError:
        return False
    return True


async def pending_text(deps: Deps, user: str) -> str:
    """The caller's decidable requests, one linked line each."""
    async with deps.pool.connection() as conn:
        cur = await conn.execute(SELECT_OPEN)
        rows = await cur.fetchall()
    mine = [r for r in rows if await _may_decide(deps, r, user)]
    if not mine:
        return "Nothing is waiting for you. 🎉"
    lines = [f"*{len(mine)} request{'s' if len(mine) > 1 else ''} you may decide:*"]
    for row in mine[:30]:
        link = permalink(deps.settings.slack_api_url, row["channel"], row["message_ts"])
        lines.append(f"• <{link}|{escape(clip(row['title'] or 'Approval', 150))}>")
    if len(mine) > 30:
        lines.append(f"… and {len(mine) - 30} more.")
    return "\n".join(lines)


def handle_factory(deps: Deps) -> Any:
    """The ``/approvals`` handler bound to ``deps``."""

    async def handle_approvals(ack: AsyncAck, command: dict[str, Any]) -> None:
        words = (command.get("text") or "").split()
        if not words or words[0].lower() != "pending":
            await ack(response_type="ephemeral", text=HELP)
            return
        try:
            text = await pending_text(deps, command.get("user_id", ""))
        except DB_DOWN:
            text = DB_DOWN_TEXT
        # A JSON answer (not a bare string) so Slack renders the mrkdwn links.
        await ack(response_type="ephemeral", text=text)

    return handle_approvals
