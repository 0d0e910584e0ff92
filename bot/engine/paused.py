"""Runs that stopped without finishing: pauses already answered, and runs that are stuck."""

from __future__ import annotations

from typing import Any

from bot.engine.deps import Deps
from graphs.runner import Snapshot
from persistence import breakpoints


async def unanswered(deps: Deps, thread_id: str, state: Snapshot) -> list[Any]:
    """The pending interrupts, less breakpoint pauses that were answered already."""
    if not any(i.breakpoint for i in state.interrupts):
        return list(state.interrupts)
    async with deps.pool.connection() as conn:
        return [i for i in state.interrupts
                if not (i.breakpoint and await breakpoints.answered(conn, thread_id, i.id))]


def stuck_reason(state: Snapshot) -> str:
    """Why a run stopped without a request and without finishing."""
    if state.failed:
        return f"the run failed in node `{state.failed[0]}`"
    nodes = ", ".join(f"`{node}`" for node in state.next)
    return f"the run stopped before {nodes} without asking anything and without finishing"
