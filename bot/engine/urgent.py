"""Acks first: work that can wait yields to Slack requests waiting for their answer.

Slack gives up on a request it has no answer to within 3 s, and a click is answered only
once its decision commits. In a burst of clicks, the renders and resumes of the first
decisions would take the CPU from the later clicks and push their answers out. So while
any Slack request is being answered, rendering and resuming a decided request wait for
the answers to go out, at most ``MAX_WAIT_S`` (a stream of clicks never holds them off
for longer).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

MAX_WAIT_S = 1.0


class Urgent:
    """Counts the Slack requests being answered; :meth:`after` waits for none to be."""

    def __init__(self, max_wait_s: float = MAX_WAIT_S) -> None:
        self.max_wait_s = max_wait_s
        self.answering_now = 0
        self._quiet = asyncio.Event()
        self._quiet.set()

    @asynccontextmanager
    async def answering(self) -> AsyncIterator[None]:
        """Mark the block as answering a Slack request (up to its ack)."""
        self.answering_now += 1
        self._quiet.clear()
        try:
            yield
        finally:
            self.answering_now -= 1
            if self.answering_now == 0:
                self._quiet.set()

    async def after(self) -> None:
        """Wait until no Slack request is being answered (at most ``max_wait_s``)."""
        if self.answering_now:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._quiet.wait(), self.max_wait_s)
