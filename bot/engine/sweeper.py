"""The background chores, safe on every instance: rows are shared out with SKIP LOCKED.

Chores: expire overdue requests (or, with ``on_timeout = "wait"``, mark them overdue),
send repeating reminders, escalate requests nobody decided in time, finish
decided-but-not-resumed requests (a crash between the decision and the resume), re-post
requests whose post failed, re-render messages whose rewrite failed, and sync runs left
mid-way. Each chore loops on its own, so none waits on another; each row is handled on
its own, so one bad row is logged, counted, backed off and finally marked failed, and
never stops the others. A resume never waits on a thread whose lease a live owner holds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from bot.api.callbacks import deliver_callbacks
from bot.engine.close import close_request
from bot.engine.deps import Deps, pause
from bot.engine.escalate import due_escalations, escalate_request
from bot.engine.flow import after_decision
from bot.engine.notify import send_dms
from bot.engine.post import post_request, sync_run
from bot.engine.remind import due_overdue, due_reminders, send_reminder
from bot.engine.render import render_request
from bot.engine.resume import resume_request
from bot.metrics import METRICS
from persistence import audit, reach, sweeps
from persistence.pool import DB_DOWN

log = logging.getLogger(__name__)
GRACE_S = 10  # leave the live path this long before the sweeper steps in
MAX_ROW_ATTEMPTS = 3  # a row failing this often is marked failed
Chore = Callable[[Deps, float], Awaitable[None]]


async def _each(
    deps: Deps, chore: str, keys: list[Any], handle: Callable[[Any], Awaitable[Any]]
) -> None:
    """Handle each row apart: an error on one is recorded against it, and the rest go on."""
    for key in keys:
        try:
            await handle(key)
        except asyncio.CancelledError:
            raise
        except DB_DOWN:
            raise  # an outage is nobody's row's fault: the whole chore tries again later
        except Exception as exc:
            await row_failed(deps, chore, key, exc)


async def row_failed(deps: Deps, chore: str, key: Any, exc: Exception) -> None:
    """Log and count a row's error; back the row off, and fail it after a few attempts."""
    log.exception("sweeper %s: row %s failed", chore, key)
    METRICS.inc("approvals_sweep_errors_total", chore=chore)
    if not isinstance(key, int):
        return  # a run (by thread id): nothing to back off, the next pass retries it
    error = f"{chore} failed: {type(exc).__name__}: {exc}"
    async with deps.pool.connection() as conn:
        attempts = await sweeps.note_sweep_error(conn, key, error=error, now=deps.clock())
        if attempts < MAX_ROW_ATTEMPTS:
            return
        row = await sweeps.give_up(conn, key, render=chore != "render")
        if row is None:
            return
        await audit.record(conn, "sweep_failed", thread_id=row["thread_id"], request_id=key,
                           reason=error, detail={"chore": chore, "attempts": attempts})
    METRICS.inc("approvals_sweep_rows_failed_total", chore=chore)
    if chore != "render":
        try:
            await render_request(deps, key)
        except Exception:
            log.exception("request %s was marked failed but its message cannot be drawn", key)


async def expire_due(deps: Deps, grace_s: float = 0.0) -> None:
    """Auto-reject overdue requests and resume their runs so they take the reject branch."""
    async with deps.pool.connection() as conn:
        due = await sweeps.claim_expired(conn, now=deps.clock())
    waited = {int(r["id"]): r["timeout_s"] for r in due}

    async def expire(request_id: int) -> None:
        t = waited[request_id]
        after = _human(timedelta(seconds=int(t))) if t else "its timeout"
        decided = await close_request(
            deps, request_id, status="expired", actor=None, reason=f"timed out after {after}"
        )
        if decided:
            METRICS.inc("approvals_expired_total")
            await _tracked(deps, after_decision(deps, decided))

    await _each(deps, "expire", list(waited), expire)


def _human(delta: timedelta) -> str:
    """``24 hours``, ``90 minutes``, ``1 second``: the largest unit that divides exactly."""
    seconds = int(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}{'s' if n > 1 else ''}"
    return f"{seconds} seconds"


async def send_reminders(deps: Deps, grace_s: float = 0.0) -> None:
    """Reminders in the request's thread (and by DM), ``reminder_s`` apart, capped."""
    due = {int(r["id"]): r for r in await due_reminders(deps)}
    await _each(deps, "remind", list(due), lambda request_id: send_reminder(deps, due[request_id]))


async def mark_overdue(deps: Deps, grace_s: float = 0.0) -> None:
    """Redraw waiting requests that just went past their timeout: they say overdue."""
    ids = [int(r["id"]) for r in await due_overdue(deps)]
    await _each(deps, "overdue", ids, lambda request_id: render_request(deps, request_id))


async def escalate(deps: Deps, grace_s: float = 0.0) -> None:
    """Escalate requests nobody decided within ``escalate_after_s``."""
    ids = await due_escalations(deps)
    await _each(deps, "escalate", ids, lambda request_id: escalate_request(deps, request_id))


async def _tracked(deps: Deps, work: Awaitable[Any]) -> Any:
    """Run ``work`` as tracked in-flight work: a shutdown waits for it, never cuts it."""
    return await asyncio.shield(deps.inflight.spawn(work))  # type: ignore[arg-type]


async def resume_stalled(deps: Deps, grace_s: float) -> None:
    """Resume requests decided a while ago but never resumed (a crash, an outage)."""
    now = deps.clock()
    async with deps.pool.connection() as conn:
        ids = await sweeps.stalled(conn, before=now - timedelta(seconds=grace_s), now=now)

    async def resume(request_id: int) -> None:
        if await _tracked(deps, resume_request(deps, request_id)):
            await render_request(deps, request_id)

    await _each(deps, "resume", ids, resume)


async def repost(deps: Deps, grace_s: float) -> None:
    """Post requests whose first post failed."""
    now = deps.clock()
    async with deps.pool.connection() as conn:
        ids = await sweeps.unposted(conn, before=now - timedelta(seconds=grace_s), now=now)
    await _each(deps, "post", ids, lambda request_id: post_request(deps, request_id))


async def rerender(deps: Deps, grace_s: float) -> None:
    """Rewrite messages whose last rewrite failed."""
    now = deps.clock()
    async with deps.pool.connection() as conn:
        ids = await sweeps.unrendered(conn, before=now - timedelta(seconds=grace_s), now=now)
    await _each(deps, "render", ids, lambda request_id: render_request(deps, request_id))


async def sync_left_running(deps: Deps, grace_s: float) -> None:
    """Post what comes next for runs left mid-way."""
    async with deps.pool.connection() as conn:
        threads = await sweeps.left_running(
            conn, before=deps.clock() - timedelta(seconds=grace_s)
        )
    await _each(deps, "sync", threads, lambda thread_id: sync_run(deps, thread_id))


async def notify(deps: Deps, grace_s: float) -> None:
    """Send the DMs a post or an escalation still owes (``notify = "dm"``)."""
    now = deps.clock()
    async with deps.pool.connection() as conn:
        ids = await reach.due_dms(conn, before=now - timedelta(seconds=grace_s), now=now)
    await _each(deps, "notify", ids, lambda request_id: send_dms(deps, request_id))


CHORES: dict[str, Chore] = {
    "expire": expire_due,
    "overdue": mark_overdue,
    "remind": send_reminders,
    "escalate": escalate,
    "notify": notify,
    "resume": resume_stalled,
    "post": repost,
    "render": rerender,
    "sync": sync_left_running,
    "callback": deliver_callbacks,
}


def grace_of(deps: Deps) -> float:
    """How long the live path owns a fresh row: two sweep intervals, at most ``GRACE_S``."""
    return min(float(GRACE_S), 2 * deps.settings.approvals_sweep_s)


async def sweep_once(deps: Deps, *, grace_s: float | None = None) -> None:
    """One pass of every chore in turn (for tests and tools; ``serve`` loops each apart).

    Rows younger than ``grace_s`` are left to the live path. A failing chore does not
    stop the later ones; the first error is raised at the end.
    """
    grace = grace_of(deps) if grace_s is None else grace_s
    first: Exception | None = None
    for chore in CHORES.values():
        try:
            await chore(deps, grace)
        except Exception as exc:
            first = first or exc
    if first is not None:
        raise first


async def run_chore(deps: Deps, name: str, chore: Chore) -> None:
    """Run one chore forever; a failing pass is logged and the next one tries again."""
    while not deps.inflight.closing:
        try:
            await chore(deps, grace_of(deps))
        except asyncio.CancelledError:
            raise
        except Exception:
            METRICS.inc("approvals_sweep_errors_total", chore=name)
            log.exception("sweeper %s pass failed; retrying in %ss",
                          name, deps.settings.approvals_sweep_s)
        await pause(deps.settings.approvals_sweep_s)


async def run_sweeper(deps: Deps) -> None:
    """Every chore in its own loop, so a slow one never holds up the others.

    Cancelled, it returns only once every loop has stopped: a chore cut mid-query first
    cancels that query in Postgres, and the pool must not close before it has.
    """
    async with asyncio.TaskGroup() as loops:
        for name, chore in CHORES.items():
            loops.create_task(run_chore(deps, name, chore))
