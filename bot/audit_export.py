"""The audit trail for an auditor: every event across runs in a time window, as JSON
lines or CSV, followed by the head of each chain the events belong to.

Each event says who (actor), when (UTC), where (thread, graph, request, action), what
(event, arguments before and after, reason, decision id) and under which policy, with
its place in its chain (``chain``, ``seq``, ``prev_hash``, ``hash``). A head record
(``record`` = ``head``) is the chain's last row when the export ran: kept elsewhere, it
lets ``audit verify --heads`` catch a chain rewritten whole afterwards.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from typing import Any

from bot.engine.resume import decision_id_of
from bot.errors import ConfigError
from persistence import audit_chain
from persistence.pool import Conn

Row = dict[str, Any]
FIELDS = [
    "record", "id", "at", "thread_id", "graph", "request_id", "approval_id", "action",
    "event", "actor", "args_before", "args_after", "reason", "decision_id", "policy",
    "detail", "chain", "seq", "prev_hash", "hash",
]
PAGE = 1000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utc(at: datetime) -> str:
    """``2026-01-02T03:04:05.123456Z``: a time in UTC, always with its microseconds."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str, *, name: str) -> datetime:
    """An ISO-8601 date or time; one without a zone is UTC. Raises ConfigError."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        example = "e.g. 2026-01-31 or 2026-01-31T09:00Z"
        raise ConfigError(f"{name} {text!r} is not a date or time, {example}") from None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def event_record(row: Row) -> Row:
    """One exported event."""
    record = {k: row.get(k) for k in FIELDS} | {"record": "event", "at": utc(row["at"])}
    if row["request_id"] is not None and row["thread_id"] is not None:
        record["decision_id"] = decision_id_of({"thread_id": row["thread_id"],
                                                "id": row["request_id"]})
    return record


def head_record(row: Row) -> Row:
    """One chain's head: its last ``seq`` and ``hash``."""
    return {"record": "head", "chain": row["chain"], "seq": row["seq"], "hash": row["hash"]}


async def records(
    conn: Conn, *, since: datetime, until: datetime, graph: str | None
) -> AsyncIterator[Row]:
    """Every event in ``[since, until)`` (of ``graph``, if given) in log order, then the
    heads of their chains."""
    chains: set[str] = set()
    after = 0
    while True:
        page = await audit_chain.export_page(
            conn, since=since, until=until, graph=graph, after=after, limit=PAGE
        )
        for row in page:
            if row["chain"] is not None:
                chains.add(row["chain"])
            yield event_record(row)
        if len(page) < PAGE:
            break
        after = int(page[-1]["id"])
    for head in await audit_chain.heads(conn, sorted(chains)):
        yield head_record(head)


def jsonl(record: Row) -> str:
    """One JSON line (no trailing newline)."""
    return json.dumps(record, default=str, ensure_ascii=False, sort_keys=False)


def csv_lines(rows: Iterable[Row], *, header: bool = True) -> str:
    """Records as CSV with the :data:`FIELDS` columns; JSON values as JSON text."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    if header:
        writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in FIELDS})
    return out.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return "" if value is None else value


def pinned_heads(lines: Iterable[str]) -> dict[str, dict[int, str]]:
    """The head records of an earlier export (JSON lines or CSV): chain → {seq: hash}."""
    text = list(lines)
    if text and text[0].startswith("record,"):
        found = [r for r in csv.DictReader(text) if r.get("record") == "head"]
    else:
        found = [r for r in map(json.loads, filter(str.strip, text)) if r.get("record") == "head"]
    pins: dict[str, dict[int, str]] = {}
    for r in found:
        pins.setdefault(str(r["chain"]), {})[int(r["seq"])] = str(r["hash"])
    return pins
