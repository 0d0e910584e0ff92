"""Walking a LangGraph Server's interrupted threads a page at a time, skipping none.

The server pages ``threads.search`` by offset only. Offsets over a set that changes can
skip: when a thread above the next page leaves the set (it was resumed), everything
below moves up by one. So each page is read with a small overlap and checked the way a
keyset page would be: it must start at or before the last thread of the page before
(its sort key, or that thread itself on a tie). When it does not, the walk steps back
and reads again. Threads moving the other way only come twice, and are read once.

Two walks use it:
- ``recent``: newest change first (``updated_at`` descending), down to a floor (the
  stored watermark less a margin); a tick reads only what changed.
- ``everything``: by ``created_at`` ascending, a key a thread never changes, from a
  cursor kept between passes; the slow reconciliation that catches whatever a tick
  could miss.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger(__name__)
PAGE = 100
OVERLAP = 5  # threads each page reads again from the page before
FIRST_PAGE = 20  # a tick's first page: a quiet tick reads no more than this
EARLIEST = datetime.min.replace(tzinfo=UTC)
Thread = dict[str, Any]
# (sort_by, descending, offset, limit) → one page of interrupted threads
Search = Callable[[str, bool, int, int], Awaitable[list[Thread]]]


def key_of(thread: Thread, name: str) -> datetime:
    """A thread's timestamp ``name`` (``updated_at``, ``created_at``); unreadable: earliest."""
    value = thread.get(name)
    try:
        when = datetime.fromisoformat(value) if isinstance(value, str) else value
    except ValueError:
        return EARLIEST
    if not isinstance(when, datetime):
        return EARLIEST
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


@dataclass
class Cursor:
    """Where a walk goes on: the next offset, and the last thread read before it."""

    offset: int = 0
    key: datetime | None = None
    thread_id: str | None = None

    def dump(self) -> dict[str, Any]:
        """The cursor as JSON (stored between reconciliation passes)."""
        return {"offset": self.offset, "key": self.key.isoformat() if self.key else None,
                "thread_id": self.thread_id}

    @classmethod
    def load(cls, data: Any) -> Cursor:
        """A cursor from ``dump``; a fresh one from anything else."""
        if not isinstance(data, dict) or not isinstance(data.get("offset"), int):
            return cls()
        key = key_of(data, "key") if data.get("key") else None
        return cls(max(0, data["offset"]), key, data.get("thread_id"))


@dataclass
class Scan:
    """What one walk saw and where it stopped."""

    newest: datetime | None = None  # the latest ``updated_at`` read
    cursor: Cursor = field(default_factory=Cursor)
    pages: int = 0
    read: int = 0  # threads the server returned
    changed: int = 0  # of them, changed since the floor (a recent walk)
    stepped_back: int = 0
    capped: bool = False  # stopped at its page cap before its end
    ended: bool = False  # reached the end of the set (or the floor)


def _continues(page: list[Thread], cursor: Cursor, *, sort_by: str, descending: bool) -> bool:
    """True when ``page`` starts at or before the cursor's last thread."""
    if cursor.key is None or cursor.offset == 0:
        return True
    if not page:
        return False
    first = key_of(page[0], sort_by)
    if first == cursor.key:
        return any(t.get("thread_id") == cursor.thread_id for t in page)
    return first > cursor.key if descending else first < cursor.key


async def _page(
    search: Search, scan: Scan, *, sort_by: str, descending: bool, limit: int
) -> list[Thread]:
    """The page at the scan's cursor, stepping back until it continues the page before."""
    cursor = scan.cursor
    while True:
        page = await search(sort_by, descending, cursor.offset, limit)
        if _continues(page, cursor, sort_by=sort_by, descending=descending):
            return page
        scan.stepped_back += 1
        cursor.offset = max(0, cursor.offset - (limit - OVERLAP))


async def _walk(
    search: Search, scan: Scan, *, sort_by: str, descending: bool, max_pages: int, first: int
) -> AsyncGenerator[list[Thread], None]:
    seen: set[str] = set()
    while scan.pages < max_pages:
        limit = first if scan.pages == 0 else PAGE
        page = await _page(search, scan, sort_by=sort_by, descending=descending, limit=limit)
        scan.pages += 1
        scan.read += len(page)
        for thread in page:
            when = key_of(thread, "updated_at")
            scan.newest = when if scan.newest is None else max(scan.newest, when)
        fresh = [t for t in page if t.get("thread_id") not in seen]
        seen.update(str(t.get("thread_id")) for t in fresh)
        if page:
            last = page[-1]
            scan.cursor = Cursor(max(0, scan.cursor.offset + len(page) - OVERLAP),
                                 key_of(last, sort_by), str(last.get("thread_id")))
        yield fresh
        if len(page) < limit:
            scan.ended = True
            return
    scan.capped = True


async def recent(
    search: Search, scan: Scan, *, floor: datetime | None, max_pages: int
) -> AsyncGenerator[list[Thread], None]:
    """Interrupted threads changed at or after ``floor``, newest first, a page at a time."""
    walk = _walk(search, scan, sort_by="updated_at", descending=True, max_pages=max_pages,
                 first=FIRST_PAGE if floor is not None else PAGE)
    async with aclosing(walk) as pages:
        async for page in pages:
            kept = [t for t in page if floor is None or key_of(t, "updated_at") >= floor]
            scan.changed += len(kept)
            if kept:
                yield kept
            if floor is not None and len(kept) < len(page):
                scan.ended = True  # the rest changed before the floor
                return


async def everything(
    search: Search, scan: Scan, *, max_pages: int
) -> AsyncGenerator[list[Thread], None]:
    """Every interrupted thread, oldest first, from ``scan.cursor`` on, a page at a time."""
    async for page in _walk(search, scan, sort_by="created_at", descending=False,
                            max_pages=max_pages, first=PAGE):
        yield page
