"""``audit verify``: walk every hash chain of the audit log and say where one breaks.

A chain is intact when each row's hash matches what the row holds now (and the hash of
the row before it), the links from row to row are unbroken, and the last row is the
chain's recorded head. Where it is not, the first break is named: a row **changed**
(its content or its hash rewritten), rows **deleted** (a gap, or the end cut off), or a
row **inserted** (written outside the log, or put between two rows). ``pinned`` hashes,
from an export taken earlier, also catch a chain rewritten whole from some row on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

from persistence import audit_chain
from persistence.pool import Conn

Row = dict[str, Any]
Kind = Literal["changed", "deleted", "inserted"]


@dataclass(frozen=True)
class Break:
    """The first place a chain no longer holds what was logged."""

    chain: str
    kind: Kind
    row_id: int | None
    why: str

    def line(self) -> str:
        """One line for the terminal."""
        where = f"row {self.row_id}" if self.row_id is not None else "its end"
        return f"chain {self.chain or '(no thread)'}: {self.kind} at {where}: {self.why}"


def _link_break(chain: str, row: Row, prev: Row | None) -> Break:
    """Why ``row`` does not follow ``prev`` (its hash is its own: the link is what broke)."""
    if prev is not None and row["prev_hash"] == prev["prev_hash"]:
        return Break(chain, "inserted", int(prev["id"]), f"it was put before row {row['id']}")
    gap = int(row["seq"]) - (int(prev["seq"]) if prev is not None else 0)
    if gap != 1 or prev is None:
        return Break(chain, "deleted", int(row["id"]), "rows before it are missing")
    return Break(chain, "changed", int(prev["id"]), "its hash was rewritten")


def check_chain(
    chain: str, rows: list[Row], head: Row | None, pinned: dict[int, str] | None = None
) -> Break | None:
    """The first break in one chain's rows (in ``seq`` order), or None when it holds."""
    pinned = pinned or {}
    prev: Row | None = None
    for row in rows:
        if row["seq"] is None or row["hash"] is None:
            return Break(chain, "inserted", int(row["id"]), "it was written outside the log")
        if row["recomputed"] != row["hash"]:
            return Break(chain, "changed", int(row["id"]), "what it holds no longer matches")
        if row["prev_hash"] != (prev["hash"] if prev is not None else None):
            return _link_break(chain, row, prev)
        if pinned.get(int(row["seq"]), row["hash"]) != row["hash"]:
            return Break(chain, "changed", int(row["id"]), "its hash is not the one exported")
        prev = row
    return _end_break(chain, prev, head, pinned)


def _end_break(
    chain: str, last: Row | None, head: Row | None, pinned: dict[int, str]
) -> Break | None:
    """Whether the chain ends where its head (and an earlier export) says it does."""
    seq = int(last["seq"]) if last is not None else 0
    if pinned and max(pinned) > seq:
        why = f"seq {max(pinned)} was exported, the chain now ends at {seq}"
        return Break(chain, "deleted", None, why)
    if head is None:
        return None if last is None else Break(chain, "inserted", int(last["id"]), "no head")
    if last is None:
        return Break(chain, "deleted", None, "every row of the chain is gone")
    if head["hash"] != last["hash"]:
        if int(head["seq"]) > seq:
            return Break(chain, "deleted", None, f"it ends at {seq}, its head at {head['seq']}")
        return Break(chain, "changed", int(last["id"]), "its hash is not the chain's head")
    return None


async def _by_chain(rows: AsyncIterator[Row]) -> AsyncIterator[tuple[str, list[Row]]]:
    chain: str | None = None
    group: list[Row] = []
    async for row in rows:
        if row["chain"] != chain and group:
            yield chain or "", group
            group = []
        chain = row["chain"]
        group.append(row)
    if group:
        yield chain or "", group


@dataclass(frozen=True)
class Verification:
    """Every chain checked: how many hold, and the first break of each that does not."""

    chains: int
    breaks: list[Break]


async def verify(conn: Conn, pinned: dict[str, dict[int, str]] | None = None) -> Verification:
    """Recompute every chain; record the result per chain (``/metrics`` counts it)."""
    pinned = pinned or {}
    heads = {h["chain"]: h for h in await audit_chain.heads(conn)}
    results: list[audit_chain.Verified] = []
    breaks: list[Break] = []
    seen: set[str] = set()
    async for chain, rows in _by_chain(audit_chain.chain_rows(conn)):
        seen.add(chain)
        found = check_chain(chain, rows, heads.get(chain), pinned.get(chain))
        results.append((chain, rows[-1]["seq"], found is None, found.line() if found else None))
        if found is not None:
            breaks.append(found)
    for chain in sorted((set(heads) | set(pinned)) - seen):  # chains whose rows all went
        found = check_chain(chain, [], heads.get(chain), pinned.get(chain))
        if found is not None:
            breaks.append(found)
            results.append((chain, None, False, found.line()))
    await audit_chain.save_verified(conn, results)
    return Verification(len(results), breaks)
