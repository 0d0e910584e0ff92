"""Expand approver lists (users and user groups) into user ids, cached briefly."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from slack_sdk.web.async_client import AsyncWebClient


def is_group(entry: str) -> bool:
    """User-group ids start with S; user ids with U or W."""
    return entry.startswith("S")


class ApproverDirectory:
    """Resolves ``approvers`` to the set of user ids who may decide.

    Group membership comes from ``usergroups.users.list`` and is kept ``ttl_s`` seconds,
    so a burst of clicks costs one Slack call per group.
    """

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        ttl_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._ttl_s = ttl_s
        self._clock = clock
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}

    async def members(self, group_id: str) -> frozenset[str]:
        """The users of one group (from cache when fresh)."""
        now = self._clock()
        hit = self._cache.get(group_id)
        if hit and now - hit[0] < self._ttl_s:
            return hit[1]
        resp = await self._client.usergroups_users_list(usergroup=group_id)
        users = frozenset(resp.get("users") or [])
        self._cache[group_id] = (now, users)
        return users

    async def expand(self, approvers: Iterable[str]) -> set[str] | None:
        """The eligible user ids; None when ``approvers`` is empty (anyone may decide)."""
        entries = list(approvers)
        if not entries:
            return None
        users: set[str] = set()
        for entry in entries:
            if is_group(entry):
                users |= await self.members(entry)
            else:
                users.add(entry)
        return users
