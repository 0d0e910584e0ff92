"""Wake long polls (and send callbacks) the moment a decision lands, on any instance.

Recording a decision sends ``pg_notify('approvals_api', id)``. Each instance keeps one
connection, outside the pool, that listens and wakes the long polls waiting for that
id. A poll still re-reads its row every second, so a notification lost while the
listener reconnects costs at most that second.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
from aiohttp import web

from persistence import api_requests

log = logging.getLogger(__name__)
RECONNECT_S = 1.0


class Decisions:
    """One listener per process; :meth:`watch` gives a long poll its wake-up event."""

    def __init__(self, conninfo: str, *, on_callback: Callable[[], object] | None = None) -> None:
        """Listen on ``conninfo``; ``on_callback`` runs when a decided request has a
        ``callback_url`` (to deliver it at once instead of on the sweeper's next pass)."""
        self.conninfo = conninfo
        self.on_callback = on_callback
        self.listening = asyncio.Event()
        self.closing = False  # the server is shutting down: long polls answer now
        self._events: dict[str, set[asyncio.Event]] = {}

    @contextmanager
    def watch(self, api_id: str) -> Iterator[asyncio.Event]:
        """An event set when ``api_id`` is decided (register it before reading the row)."""
        event = asyncio.Event()
        self._events.setdefault(api_id, set()).add(event)
        try:
            yield event
        finally:
            waiting = self._events.get(api_id)
            if waiting is not None:
                waiting.discard(event)
                if not waiting:
                    del self._events[api_id]

    def release(self) -> None:
        """Answer every waiting long poll now (the server is shutting down)."""
        self.closing = True
        for events in self._events.values():
            for event in events:
                event.set()

    def _wake(self, payload: str) -> None:
        api_id, _, callback = payload.partition(" ")
        for event in self._events.get(api_id, ()):
            event.set()
        if callback and self.on_callback is not None:
            self.on_callback()

    async def run(self) -> None:
        """Listen until cancelled, reconnecting after an outage."""
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self.conninfo, autocommit=True
                ) as conn:
                    await api_requests.listen_decisions(conn)
                    self.listening.set()
                    async for note in conn.notifies():
                        self._wake(note.payload)
            except psycopg.Error as exc:
                log.warning("listening for decisions failed (retrying): %s", exc)
            self.listening.clear()
            await asyncio.sleep(RECONNECT_S)


DECISIONS = web.AppKey("decisions", Decisions)


async def release_polls(app: web.Application) -> None:
    """``on_shutdown``: waiting long polls answer at once instead of holding the shutdown."""
    decisions = app.get(DECISIONS)
    if decisions is not None:
        decisions.release()
