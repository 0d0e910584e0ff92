"""Socket Mode, with each request timed to its ack as HTTP requests are."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any

from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.metrics import METRICS, slack_kind


class TimedSocketModeHandler(AsyncSocketModeHandler):
    """Bolt's handler; the time from a request's arrival to its ack goes to the metrics.

    ``answering`` wraps each request up to its ack (the engine's "acks first" mark).
    """

    answering: Callable[[], AbstractAsyncContextManager[Any]] = nullcontext

    async def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        """Dispatch and ack one request (Bolt acks before the listener's work goes on)."""
        start = time.perf_counter()
        try:
            async with self.answering():
                await super().handle(client, req)
        finally:
            seconds = time.perf_counter() - start
            METRICS.observe("approvals_ack_seconds", seconds, type=slack_kind(req.payload))
