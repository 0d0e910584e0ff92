"""Expand approver lists (users and user groups) into user ids, cached briefly.

A user listed by id is decided on without asking Slack. Only group membership needs
``usergroups.users.list``: a fresh answer is kept ``ttl_s`` (60 s), and when Slack
fails, a membership fetched within ``stale_s`` (10 minutes) still serves. A group with
neither is *unresolved*: asking whether someone outside the known users belongs raises
:class:`Unavailable`, so nobody is let through (or turned away) on a guess.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import Unavailable
from bot.metrics import METRICS
from bot.slack.client import SLACK_ERRORS

log = logging.getLogger(__name__)
UNRESOLVED = (
    "Slack could not tell who may approve this request right now. "
    "Nothing was recorded: please try again in a minute."
)


class NotCached(LookupError):
    """Slack must be asked first (a group's members, the bot's workspace): nothing cached
    answers, and the caller asked to be told instead of waiting on Slack."""


def is_group(entry: str) -> bool:
    """User-group ids start with S; user ids with U or W."""
    return entry.startswith("S")


class Eligible(set[str]):
    """The users known to be eligible, and the groups whose members are unknown.

    ``user in eligible`` is True for a known user; for anyone else it raises
    :class:`Unavailable` while a group is unresolved, since they may belong to it.
    """

    def __init__(self, users: Iterable[str] = (), *, unresolved: Iterable[str] = ()) -> None:
        super().__init__(users)
        self.unresolved = tuple(unresolved)

    def __contains__(self, user: object) -> bool:
        if super().__contains__(user):
            return True
        if self.unresolved:
            raise Unavailable(UNRESOLVED)
        return False


class Both(Eligible):
    """Users eligible under two lists at once: on ``left`` and on ``right``."""

    def __init__(self, left: Eligible, right: Eligible) -> None:
        super().__init__(set(left) & set(right), unresolved=left.unresolved + right.unresolved)
        self.left, self.right = left, right

    def __contains__(self, user: object) -> bool:
        return user in self.left and user in self.right


class ApproverDirectory:
    """Resolves ``approvers`` to the set of user ids who may decide."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        ttl_s: float = 60.0,
        stale_s: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._ttl_s = ttl_s
        self._stale_s = stale_s
        self._clock = clock
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}

    async def members(self, group_id: str, *, cached: bool = False) -> frozenset[str] | None:
        """The users of one group: fresh from cache, from Slack, or stale if Slack fails.

        None when Slack fails and no membership younger than ``stale_s`` is known.
        ``cached`` raises :class:`NotCached` instead of asking Slack.
        """
        now = self._clock()
        hit = self._cache.get(group_id)
        if hit and now - hit[0] < self._ttl_s:
            return hit[1]
        if cached:
            raise NotCached(group_id)
        try:
            resp = await self._client.usergroups_users_list(usergroup=group_id)
        except SLACK_ERRORS as exc:
            METRICS.inc("approvals_usergroup_failures_total")
            if hit and now - hit[0] < self._stale_s:
                log.warning("listing group %s failed; using its membership from %.0fs ago: %s",
                            group_id, now - hit[0], exc)
                return hit[1]
            log.warning("listing group %s failed and nothing recent is cached: %s", group_id, exc)
            return None
        users = frozenset(resp.get("users") or [])
        self._cache[group_id] = (now, users)
        return users

    async def expand(self, approvers: Iterable[str], *, cached: bool = False) -> Eligible | None:
        """The eligible user ids; None when ``approvers`` is empty (anyone may decide).

        Never raises for a Slack failure: users listed by id are always known, and a group
        Slack cannot list is carried as unresolved (see :class:`Eligible`).
        """
        entries = list(approvers)
        if not entries:
            return None
        users: set[str] = {e for e in entries if not is_group(e)}
        unresolved: list[str] = []
        for group in (e for e in entries if is_group(e)):
            found = await self.members(group, cached=cached)
            if found is None:
                unresolved.append(group)
            else:
                users |= found
        return Eligible(users, unresolved=unresolved)
