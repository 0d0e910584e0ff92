"""The open requests one person may decide: for ``/approvals pending`` and the App Home."""

from __future__ import annotations

from typing import Any

from bot.blocks.view import Waiting
from bot.engine.decide import eligible_users
from bot.engine.deps import Deps
from bot.engine.load import policy_model
from bot.errors import ApprovalError
from bot.policy import check_can_decide

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


async def waiting_for(deps: Deps, user: str) -> list[Waiting]:
    """Open, posted requests ``user`` may approve now, oldest first."""
    async with deps.pool.connection() as conn:
        cur = await conn.execute(SELECT_OPEN)
        rows = await cur.fetchall()
    return [
        Waiting(int(r["id"]), r["title"] or "Approval requested", r["channel"],
                r["message_ts"], r["expires_at"])
        for r in rows
        if await _may_decide(deps, r, user)
    ]
