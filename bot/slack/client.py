"""The Slack Web API client, with retries configured deliberately."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.metrics import METRICS, outcome_of

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


def make_client(token: str, *, base_url: str, timeout_s: int = 10) -> AsyncWebClient:
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
        retry_handlers=[
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )
