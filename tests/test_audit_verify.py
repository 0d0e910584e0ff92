"""``python -m bot audit verify``: every chain recomputed; a row changed, deleted or put in
afterwards, directly in SQL, is named and the command exits non-zero."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from support.harness import Harness
from support.procs import bot_env, run_cli

# Each tampering names the row verify must point at: (SQL, kind, which row).
UPDATE = "UPDATE audit_log SET actor = 'UMALLORY' WHERE id = %(approved)s"
DELETE = "DELETE FROM audit_log WHERE id = %(posted)s"
INSERT_RAW = """
INSERT INTO audit_log (thread_id, request_id, event, actor)
VALUES (%(thread)s, %(request)s, 'approved', 'UMALLORY') RETURNING id
"""
# The strongest insert short of rewriting the rest of the chain: the later rows move one
# place on, and the new row carries a hash computed exactly as the log computes one.
MOVE_ON = """
UPDATE audit_log SET seq = -seq - 1 WHERE thread_id = %(thread)s AND seq > %(posted_seq)s
"""
INSERT_HASHED = """
INSERT INTO audit_log (thread_id, request_id, event, actor, at, chain, seq, prev_hash, hash)
SELECT %(thread)s, %(request)s, 'approved', 'UMALLORY', p.at + interval '1 ms', p.chain,
       p.seq + 1, p.hash,
       approvals_audit_hash(p.hash, approvals_audit_content(%(thread)s, %(request)s, NULL,
           'approved', 'UMALLORY', p.at + interval '1 ms', NULL, NULL, NULL, NULL, NULL))
FROM audit_log p WHERE p.id = %(posted)s
RETURNING id
"""
MOVED_BACK = "UPDATE audit_log SET seq = -seq WHERE thread_id = %(thread)s AND seq < 0"


async def _approved_run(harness: Harness, amount: int) -> dict[str, object]:
    """A run approved through a signed click and finished; the ids of its audit rows."""
    started = await harness.start("counting", {"amount": amount, "recipient": "acme"})
    (approval_id,) = await harness.approval_ids(started.thread_id)
    status, _ = await harness.click("approve", approval_id, user="UALICE")
    assert status == 200
    await harness.wait_done(started.thread_id)
    state = await harness.graph_state("counting", started.thread_id)
    assert state.values["status"] == "paid"  # the graph itself ran to its end
    rows = await harness.rows(
        "SELECT id, event, request_id, seq FROM audit_log WHERE thread_id = %s ORDER BY seq",
        started.thread_id,
    )
    by_event = {r["event"]: r for r in rows}
    return {
        "thread": started.thread_id,
        "request": by_event["approved"]["request_id"],
        "approved": by_event["approved"]["id"],
        "posted": by_event["posted"]["id"],
        "posted_seq": by_event["posted"]["seq"],
        "after_posted": rows[[r["event"] for r in rows].index("posted") + 1]["id"],
    }


async def _gauges(harness: Harness) -> tuple[float, float]:
    async with harness.http.get(f"{harness.base_url}/metrics") as resp:
        text = await resp.text()

    def value(name: str) -> float:
        found = re.search(rf"^{name} (\S+)$", text, re.M)
        assert found, f"{name} not in /metrics"
        return float(found.group(1))

    return value("approvals_audit_chains_verified"), value("approvals_audit_chains_broken")


@pytest.mark.parametrize("tamper", ["update", "delete", "insert_raw", "insert_hashed"])
async def test_verify_names_the_first_row_tampered_with(
    harness: Harness, database_url: str, tamper: str
) -> None:
    env = bot_env(database_url, harness.fake)
    ids = await _approved_run(harness, 5)
    other = await _approved_run(harness, 6)
    code, out, err = await run_cli("audit", "verify", env=env)
    assert code == 0, err
    assert out.strip() == "2 of 2 chains intact"
    assert await _gauges(harness) == (2.0, 0.0)

    async with harness.deps.pool.connection() as conn:
        if tamper == "update":
            await conn.execute(UPDATE, ids)
            expected = f"changed at row {ids['approved']}"
        elif tamper == "delete":
            await conn.execute(DELETE, ids)
            expected = f"deleted at row {ids['after_posted']}"
        else:
            hashed = tamper == "insert_hashed"
            if hashed:  # the later rows move one place on (through negatives: unique)
                await conn.execute(MOVE_ON, ids)
            cur = await conn.execute(INSERT_HASHED if hashed else INSERT_RAW, ids)
            row = await cur.fetchone()
            assert row is not None
            if hashed:
                await conn.execute(MOVED_BACK, ids)
            expected = f"inserted at row {row['id']}"

    code, out, err = await run_cli("audit", "verify", env=env)
    assert code == 1, (out, err)
    (line,) = out.splitlines()  # the other run's chain is intact: one break, named
    assert line.startswith(f"chain {ids['thread']}: {expected}:"), line
    assert other["thread"] not in out
    assert "1 of 2 chains intact" in err
    assert await _gauges(harness) == (1.0, 1.0)


async def test_verify_with_exported_heads_catches_a_chain_cut_short(
    harness: Harness, database_url: str, tmp_path: Path
) -> None:
    """The head table alone cannot tell a cut end its head was moved back with; the
    heads an earlier export handed out can."""
    env = bot_env(database_url, harness.fake)
    ids = await _approved_run(harness, 5)
    code, exported, err = await run_cli("audit", "--since", "2000-01-01", env=env)
    assert code == 0, err
    heads_file = tmp_path / "heads.jsonl"
    heads_file.write_text(exported, encoding="utf-8")  # noqa: ASYNC240 - a test's own file
    async with harness.deps.pool.connection() as conn:  # cut the last row, head and all
        await conn.execute(
            "DELETE FROM audit_log WHERE thread_id = %(thread)s AND seq = "
            "(SELECT max(seq) FROM audit_log WHERE thread_id = %(thread)s)", ids)
        await conn.execute(
            "UPDATE audit_heads h SET seq = l.seq, hash = l.hash FROM audit_log l "
            "WHERE h.chain = %(thread)s AND l.chain = h.chain AND l.seq = h.seq - 1", ids)
    code, out, err = await run_cli("audit", "verify", env=env)
    assert code == 0, (out, err)  # consistent in itself …
    code, out, err = await run_cli("audit", "verify", "--heads", str(heads_file), env=env)
    assert code == 1, (out, err)  # … but not with what was handed out
    assert out.startswith(f"chain {ids['thread']}: deleted at its end:"), out
