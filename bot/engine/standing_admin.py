"""Listing and revoking standing approvals: by their granter, or by any approver of the
action they cover (judged under the file's policy for that action and its arguments)."""

from __future__ import annotations

from typing import Any

from bot.blocks.standing import build_standing_list
from bot.engine.decide import eligible_users
from bot.engine.deps import Deps
from bot.errors import NotAllowed, NotFound
from bot.policy import Policy
from graphs.models import Action
from persistence import audit, standing

Row = dict[str, Any]


async def may_revoke(deps: Deps, grant: Row, user: str) -> bool:
    """The granter, or someone who may approve the grant's action under the file now."""
    if not user:
        return False
    if user == grant["granter"]:
        return True
    defaults = Policy(timeout_s=deps.settings.approvals_timeout_s)
    action = Action(name=grant["action"], args=grant["args"] or {})
    policy = deps.policies.resolve_action(defaults=defaults, graph=grant["graph"], action=action)
    eligible = await eligible_users(deps, policy)
    return eligible is None or user in eligible


async def revocable_by(deps: Deps, user: str) -> list[Row]:
    """The live standing approvals ``user`` may revoke, soonest to expire first."""
    async with deps.pool.connection() as conn:
        grants = await standing.all_live(conn, now=deps.clock())
    return [g for g in grants if await may_revoke(deps, g, user)]


async def standing_home_blocks(deps: Deps, user: str) -> list[dict[str, Any]]:
    """The App Home's part: the standing approvals ``user`` may revoke (none: nothing)."""
    grants = await revocable_by(deps, user)
    if not grants:
        return []
    return [{"type": "divider"}, *build_standing_list(grants, limit=20)[1]]


async def revoke(deps: Deps, grant_id: int, *, user: str) -> Row:
    """Revoke one standing approval; raises NotFound or NotAllowed. Every request
    decided after this commits is decided without it."""
    async with deps.pool.connection() as conn:
        grant = await standing.get_grant(conn, grant_id)
    if grant is None:
        raise NotFound("There is no such standing approval.")
    if not await may_revoke(deps, grant, user):
        raise NotAllowed(
            "Only its granter or an approver of that action can revoke a standing approval."
        )
    async with deps.pool.connection() as conn, conn.transaction():
        revoked = await standing.revoke(conn, grant_id, by=user)
        if revoked is None:
            raise NotFound("That standing approval was already revoked.")
        await audit.record(
            conn, "standing_revoked", thread_id=grant["thread_id"],
            request_id=int(grant["request_id"]), actor=user,
            detail={"standing_approval": grant_id, "granter": grant["granter"]},
        )
    return revoked
