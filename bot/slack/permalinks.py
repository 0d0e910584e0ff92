"""Message permalinks from ``chat.getPermalink``, cached per Slack client.

Links are never built from the API URL's host: that is wrong on GovSlack, Enterprise
Grid and emulators alike.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import OrderedDict

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.client import SLACK_ERRORS

log = logging.getLogger(__name__)
LINKS_AT_ONCE = 8
CACHED_LINKS = 5000


class Permalinks:
    """Message permalinks from ``chat.getPermalink``, kept (a message's link never
    changes) up to ``size`` of them, least recently used out first."""

    def __init__(self, client: AsyncWebClient, *, size: int = CACHED_LINKS) -> None:
        self._client = client
        self._size = size
        self._links: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._slots = asyncio.Semaphore(LINKS_AT_ONCE)

    async def get(self, channel: str, ts: str) -> str | None:
        """The link, or None when Slack does not give one."""
        key = (channel, ts)
        if key in self._links:
            self._links.move_to_end(key)
            return self._links[key]
        try:
            async with self._slots:
                resp = await self._client.chat_getPermalink(channel=channel, message_ts=ts)
        except SLACK_ERRORS as exc:
            log.warning("no permalink for %s/%s: %s", channel, ts, exc)
            return None
        link = resp.get("permalink")
        if not isinstance(link, str) or not link:
            return None
        self._links[key] = link
        if len(self._links) > self._size:
            self._links.popitem(last=False)
        return link


_CACHES: weakref.WeakKeyDictionary[AsyncWebClient, Permalinks] = weakref.WeakKeyDictionary()


def permalinks(client: AsyncWebClient) -> Permalinks:
    """The process's permalink cache for ``client`` (one per workspace connection)."""
    if client not in _CACHES:
        _CACHES[client] = Permalinks(client)
    return _CACHES[client]
