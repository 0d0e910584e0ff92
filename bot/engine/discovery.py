"""Discovery on a LangGraph Server: quick ticks for what changed, a slow full pass.

A tick reads the interrupted threads changed since the stored watermark (less
``LANGGRAPH_MARGIN_S``, for ties and for writes that commit late), newest first, and
adopts the new ones. It reads at most ``TICK_PAGES`` pages; a tick cut there logs it,
counts it, and marks discovery behind until a full pass has read everything since.

The full pass (reconciliation) walks every interrupted thread by creation time, at most
``RECONCILE_PAGES`` pages a turn, keeping its place in Postgres between turns. A cycle
starts every ``LANGGRAPH_RECONCILE_S`` (at once when discovery is behind). It runs in
its own loop, so it never holds up a tick.
"""

from __future__ import annotations

import logging
import time
from contextlib import aclosing
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.engine.adopt import adopt_page
from bot.engine.deps import Deps
from bot.metrics import METRICS
from graphs.discovery import PAGE, Cursor, Scan
from persistence import remote

log = logging.getLogger(__name__)
POLL_NAME = "langgraph"
RECONCILE_NAME = "langgraph:reconcile"
TICK_PAGES = 20
RECONCILE_PAGES = 20


def _count(scan: Scan, kind: str, seconds: float) -> None:
    METRICS.inc("approvals_discovery_threads_read_total", scan.read, scan=kind)
    METRICS.inc("approvals_discovery_pages_reread_total", scan.stepped_back, scan=kind)
    METRICS.observe("approvals_discovery_pass_seconds", seconds, scan=kind)


async def tick(deps: Deps) -> Scan:
    """Adopt the interrupted threads changed since the watermark; then move it on."""
    start = time.perf_counter()
    async with deps.pool.connection() as conn:
        row = await remote.get_poll(conn, POLL_NAME)
    mark = row["watermark"] if row is not None else None
    floor = mark - timedelta(seconds=deps.settings.langgraph_margin_s) if mark else None
    scan = Scan()
    pages = deps.runners.changed_threads(scan, floor=floor, max_pages=TICK_PAGES)
    async with aclosing(pages) as found:
        async for page in found:
            await adopt_page(deps, page, scan="tick")
    if scan.capped:
        METRICS.inc("approvals_discovery_capped_total", scan="tick")
        log.warning("discovery tick stopped at its cap of %d threads changed since %s; "
                    "the rest is left to reconciliation", TICK_PAGES * PAGE, floor)
    async with deps.pool.connection() as conn:
        await remote.ticked(conn, POLL_NAME, watermark=scan.newest, behind=scan.capped)
    _count(scan, "tick", time.perf_counter() - start)
    return scan


def _due(deps: Deps, state: dict[str, Any], behind_since: datetime | None) -> bool:
    """Whether a reconciliation cycle should start now."""
    if "offset" in state:
        return True  # a cycle is under way
    finished = state.get("finished")
    if not isinstance(finished, str):
        return True
    last = datetime.fromisoformat(finished)
    if behind_since is not None and behind_since >= datetime.fromisoformat(state["started"]):
        return True
    return datetime.now(UTC) - last >= timedelta(seconds=deps.settings.langgraph_reconcile_s)


async def reconcile(deps: Deps) -> Scan | None:
    """One turn of the full pass, if one is due; None when it is not."""
    async with deps.pool.connection() as conn:
        row = await remote.get_poll(conn, RECONCILE_NAME)
        ticks = await remote.get_poll(conn, POLL_NAME)
    state = dict(row["cursor"] or {}) if row is not None else {}
    if not _due(deps, state, ticks["behind_since"] if ticks else None):
        return None
    start = time.perf_counter()
    fresh = "offset" not in state
    started = datetime.now(UTC).isoformat() if fresh else str(state["started"])
    adopted = 0 if fresh else int(state.get("adopted", 0))
    scan = Scan(cursor=Cursor() if fresh else Cursor.load(state))
    pages = deps.runners.every_thread(scan, max_pages=RECONCILE_PAGES)
    async with aclosing(pages) as found:
        async for page in found:
            adopted += await adopt_page(deps, page, scan="reconcile")
    async with deps.pool.connection() as conn:
        if scan.ended:
            finished = datetime.now(UTC).isoformat()
            await remote.save_cursor(conn, RECONCILE_NAME,
                                     {"started": started, "finished": finished})
            await remote.caught_up(conn, POLL_NAME, since=datetime.fromisoformat(started))
        else:
            await remote.save_cursor(
                conn, RECONCILE_NAME, {**scan.cursor.dump(), "started": started,
                                       "adopted": adopted},
            )
    if scan.ended:
        log.info("reconciliation read every interrupted thread (up to offset %d); "
                 "%d were new or changed", scan.cursor.offset, adopted)
    _count(scan, "reconcile", time.perf_counter() - start)
    return scan


async def discovery_state(deps: Deps) -> str:
    """``ok``, ``behind`` (a cut tick's rest unread, or no tick lately), ``starting``, ``off``."""
    if not deps.runners.polls:
        return "off"
    async with deps.pool.connection() as conn:
        row = await remote.get_poll(conn, POLL_NAME)
    if row is None or row["tick_age_s"] is None:
        return "starting"
    late = float(row["tick_age_s"]) > max(3 * deps.settings.langgraph_poll_s, 60.0)
    return "behind" if row["behind_since"] is not None or late else "ok"
