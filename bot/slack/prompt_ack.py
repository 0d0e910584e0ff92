"""Answer Slack the moment a listener acks, not at Bolt's next 10 ms check.

Bolt's asyncio runner starts a listener, then looks every 10 ms for its ack, so each
answer waits for the next tick: most of a click's ack time. This runner lets the ack
itself wake the answer; starting the listener, its errors and its completion stay Bolt's.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.listener.async_listener import AsyncListener
from slack_bolt.listener.asyncio_runner import AsyncioListenerRunner
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse


class SignallingAck(AsyncAck):
    """Bolt's ack, which also sets ``acked`` once called."""

    def __init__(self) -> None:
        super().__init__()
        self.acked = asyncio.Event()

    async def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        try:
            return await super().__call__(*args, **kwargs)
        finally:
            self.acked.set()


class PromptListenerRunner(AsyncioListenerRunner):
    """Bolt's runner, answering as soon as the listener acks (or Bolt's run ends)."""

    _behind: ClassVar[set[asyncio.Future[Any]]] = set()  # Bolt's runs, finishing a tick

    async def run(
        self,
        request: AsyncBoltRequest,
        response: BoltResponse,
        listener_name: str,
        listener: AsyncListener,
        starting_time: float | None = None,
    ) -> BoltResponse | None:
        if self.process_before_response or request.lazy_only or listener.lazy_functions:
            return await super().run(request, response, listener_name, listener, starting_time)
        ack = SignallingAck()
        request.context["ack"] = ack
        bolt = asyncio.ensure_future(
            super().run(request, response, listener_name, listener, starting_time)
        )
        acked = asyncio.ensure_future(ack.acked.wait())
        await asyncio.wait({bolt, acked}, return_when=asyncio.FIRST_COMPLETED)
        acked.cancel()
        if bolt.done():
            return bolt.result()
        # Bolt sees the same ack at its next tick; what it returns then is not needed.
        self._behind.add(bolt)
        bolt.add_done_callback(self._behind.discard)
        return ack.response


def answer_promptly(app: AsyncApp) -> None:
    """Swap ``app``'s listener runner for a :class:`PromptListenerRunner` (call it before
    ``@app.error``, which sets the runner's error handler)."""
    bolt = app.listener_runner
    app._async_listener_runner = PromptListenerRunner(  # Bolt offers no setter
        logger=bolt.logger,
        process_before_response=bolt.process_before_response,
        listener_error_handler=bolt.listener_error_handler,
        listener_start_handler=bolt.listener_start_handler,
        listener_completion_handler=bolt.listener_completion_handler,
        lazy_listener_runner=bolt.lazy_listener_runner,
    )
