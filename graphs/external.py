"""The external runner: a request made through the approvals API, with no run to resume.

The "run" is the proposed action itself. Until it is decided, its one pending interrupt
is the request's payload (the generic dialect: ``title``, ``description``, ``action``,
``args``, ``approval``) with the caller's ``response_schema``. Its "resume" records the
decision for delivery (long poll and signed callback) and the run is then over. Where
that is stored is the :class:`ExternalStore`'s business, so the engine drives this
runner exactly as it drives a graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from graphs.runner import Pending, RunRef, Snapshot

INTERRUPT_ID = "approval"


@dataclass(frozen=True)
class ExternalState:
    """What an external run proposes, and its decision once recorded."""

    payload: dict[str, Any]
    response_schema: dict[str, Any] | None
    decision: dict[str, Any] | None


class ExternalStore(Protocol):
    """Where external runs keep what they propose and the decision they were given."""

    async def load(self, thread_id: str) -> ExternalState | None:
        """The run's state, or None when there is no such request."""
        ...

    async def record(self, thread_id: str, decision: dict[str, Any]) -> None:
        """Record the decision once (a repeat changes nothing) for delivery."""
        ...


class ExternalRunner:
    """Runs of the approvals API: the decision is recorded, never resumed into code."""

    kind = "external"

    def __init__(self, store: ExternalStore) -> None:
        """Keep runs' state in ``store``."""
        self.store = store

    async def start(self, ref: RunRef, input: Any, *, metadata: dict[str, Any]) -> None:
        """Nothing runs: the request is already stored by the API."""

    async def snapshot(self, ref: RunRef) -> Snapshot:
        """One pending interrupt until decided; then over, with the decision as values."""
        state = await self.store.load(ref.thread_id)
        if state is None:
            raise LookupError(f"no approvals API request for run {ref.thread_id}")
        if state.decision is None:
            pending = Pending(INTERRUPT_ID, state.payload, state.response_schema)
            return Snapshot((pending,), (), None)
        return Snapshot((), (), {"decision": state.decision})

    async def resume(self, ref: RunRef, *, interrupt_id: str, value: Any) -> None:
        """Record ``value`` (the generic decision with its ``decision_id``) for delivery."""
        if not isinstance(value, dict):
            raise TypeError(f"an external run's decision is a dict, not {type(value).__name__}")
        await self.store.record(ref.thread_id, value)

    async def proceed(self, ref: RunRef) -> None:
        """Nothing to continue: recording the decision is the whole run."""
