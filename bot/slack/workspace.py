"""The workspace (and Enterprise Grid organisation) the bot is installed in.

Read once from ``auth.test`` at start; until Slack has answered, nobody counts as a
member, so a decision that needs one is refused rather than guessed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import Unavailable
from bot.slack.client import SLACK_ERRORS
from bot.slack.usergroups import NotCached

log = logging.getLogger(__name__)


@dataclass
class Workspace:
    """The bot's own team and enterprise ids, as ``auth.test`` reports them."""

    team_id: str | None = None
    enterprise_id: str | None = None

    async def load(self, client: AsyncWebClient) -> bool:
        """Ask Slack who the bot is; False (and a warning) when Slack cannot say."""
        try:
            resp = await client.auth_test()
        except SLACK_ERRORS as exc:
            log.warning("auth.test failed; will ask again on the next decision: %s", exc)
            return False
        self.team_id = resp.get("team_id") or None
        self.enterprise_id = resp.get("enterprise_id") or None
        return self.team_id is not None

    async def is_external(
        self,
        client: AsyncWebClient,
        *,
        team: str | None,
        enterprise: str | None,
        cached: bool = False,
    ) -> bool:
        """Whether a user of ``team``/``enterprise`` is outside the bot's workspace
        (``cached``: raise :class:`NotCached` rather than ask Slack who the bot is)."""
        if self.team_id is None and cached:
            raise NotCached("workspace")
        if self.team_id is None and not await self.load(client):
            raise Unavailable(
                "Slack could not confirm which workspace this bot belongs to. "
                "Nothing was recorded: please try again in a minute."
            )
        if team is not None and team == self.team_id:
            return False
        return not (self.enterprise_id is not None and enterprise == self.enterprise_id)
