"""The Slack Web API client, with retries configured deliberately."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import ClientError, ClientSession, TCPConnector
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.metrics import METRICS, outcome_of

# Slack errors no retry can fix, each with what the operator should do about it.
PERMANENT_ERRORS: dict[str, str] = {
    "channel_not_found": "the channel does not exist or the bot cannot see it: check "
    "--channel or APPROVALS_CHANNEL, and invite the bot if the channel is private",
    "not_in_channel": "the bot is not in the channel: invite it (/invite @the-bot)",
    "is_archived": "the channel is archived: unarchive it or choose another channel",
    "invalid_auth": "SLACK_BOT_TOKEN is not valid: copy the app's Bot User OAuth Token again",
    "not_authed": "no Slack token was sent: set SLACK_BOT_TOKEN",
    "token_revoked": "SLACK_BOT_TOKEN was revoked: reinstall the app and update the token",
    "account_inactive": "the token's app or user was deactivated: reinstall the app and "
    "update SLACK_BOT_TOKEN",
    "missing_scope": "the app lacks a scope (chat:write): add it from manifest.yml and "
    "reinstall the app",
}


def permanent_error(exc: BaseException) -> tuple[str, str] | None:
    """``(error, what to do)`` when ``exc`` is a Slack error no retry can fix, else None."""
    if not isinstance(exc, SlackApiError):
        return None
    code = exc.response.get("error") if exc.response is not None else None
    if isinstance(code, str) and code in PERMANENT_ERRORS:
        return code, PERMANENT_ERRORS[code]
    return None


# What a failed Slack call raises once retries are spent. A dropped connection surfaces
# as aiohttp's ServerDisconnectedError, which is no OSError.
SLACK_ERRORS = (SlackApiError, ClientError, OSError, TimeoutError)


class TimedWebClient(AsyncWebClient):
    """An ``AsyncWebClient`` that times every call by method and outcome."""

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        """Every Web API method goes through here (retries happen inside)."""
        start, error = time.perf_counter(), None
        try:
            return await super().api_call(api_method, **kwargs)
        except BaseException as exc:
            error = exc
            raise
        finally:
            METRICS.observe(
                "approvals_slack_call_seconds",
                time.perf_counter() - start,
                method=api_method,
                outcome=outcome_of(error),
            )


def open_session() -> ClientSession:
    """One HTTP session for every Slack call of the process (open it inside the loop).

    Without one, slack_sdk opens a session, and a new connection (a TLS handshake with
    the real Slack), for every call and closes it after. Connections are kept alive and
    reused; a dropped idle one is retried by the connection-error handler.
    """
    return ClientSession(connector=TCPConnector(limit=64, keepalive_timeout=30))


def make_client(
    token: str, *, base_url: str, timeout_s: int = 10, session: ClientSession | None = None
) -> AsyncWebClient:
    """A client that retries 429 (honouring Retry-After), 5xx and dropped connections.

    Retries are bounded so one call never outlives a person's patience: at most three
    tries after a rate limit and two after a server error or a reset connection. A
    decision never waits on them: it is committed before any Slack call is made.
    """
    if not base_url.endswith("/"):
        base_url += "/"
    return TimedWebClient(
        token=token,
        base_url=base_url,
        timeout=timeout_s,
        session=session,
        retry_handlers=[
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )
