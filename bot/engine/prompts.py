"""Reads of server threads prompted by webhooks: one per thread, a bounded number in all.

A prompt for a thread already being read is folded into that read: it reads once more
when it ends (the prompt may announce a change the read started too early to see).
Past ``limit`` reads in flight a prompt is refused, logged and counted: the next poll
tick finds the thread anyway.
"""

from __future__ import annotations

import logging
from typing import Literal

from bot.engine.deps import Deps
from bot.engine.discover import refresh
from bot.metrics import METRICS

log = logging.getLogger(__name__)
MAX_READS = 32
Outcome = Literal["started", "coalesced", "deferred"]


class PromptedReads:
    """The webhook reads of one process."""

    def __init__(self, limit: int = MAX_READS) -> None:
        """At most ``limit`` threads read at once."""
        self.limit = limit
        self._again: dict[str, bool] = {}  # thread being read → read it once more after

    def ask(self, deps: Deps, thread_id: str) -> Outcome:
        """Read ``thread_id`` in the background, unless a read of it is under way or too
        many are; say which."""
        outcome: Outcome
        if thread_id in self._again:
            self._again[thread_id], outcome = True, "coalesced"
        elif len(self._again) >= self.limit:
            outcome = "deferred"
            log.warning("webhook for thread %s not read now: %d reads under way (the poll "
                        "finds it)", thread_id, self.limit)
        else:
            self._again[thread_id], outcome = False, "started"
            deps.inflight.spawn(self._read(deps, thread_id))
        METRICS.inc("approvals_discovery_webhook_reads_total", outcome=outcome)
        return outcome

    @property
    def reading(self) -> int:
        """How many threads are being read now."""
        return len(self._again)

    async def _read(self, deps: Deps, thread_id: str) -> None:
        try:
            while True:
                try:
                    await refresh(deps, thread_id)
                except Exception:  # the poll finds the thread later; say why this did not
                    log.exception("reading thread %s after its webhook failed", thread_id)
                if not self._again.get(thread_id):
                    return
                self._again[thread_id] = False
        finally:
            self._again.pop(thread_id, None)
