"""The stored RunState versions: fenced by the run's lease, each version written once."""

from __future__ import annotations

import pytest

from persistence import leases
from persistence.agent_states import AgentStates
from persistence.leases import CURRENT_FENCE, FenceLost

from support.harness import Harness

NOTE = {"tool": "pay", "args": {"amount": 1}, "call_id": "c2", "by": ["UALICE"]}


async def _save(store: AgentStates, version: int, notes: list[dict[str, object]]) -> None:
    await store.save("t-1", version=version, state={"v": version}, pending={"items": []},
                     final_output=None, expect=[], notes=notes)


async def test_a_replaced_owner_cannot_add_a_version_and_a_retry_writes_nothing_twice(
    harness: Harness,
) -> None:
    store = AgentStates(harness.deps.pool)
    async with harness.deps.pool.connection() as conn:
        old = await leases.acquire(conn, "t-1", owner="A", ttl_s=30)
    assert old is not None
    token = CURRENT_FENCE.set(old)
    try:
        await _save(store, 1, [NOTE])
        await _save(store, 1, [NOTE])  # a retry of a write that had committed
        await harness.rows("UPDATE thread_leases SET expires_at = now() - interval '1 s' "
                           "WHERE thread_id = 't-1' RETURNING epoch")
        async with harness.deps.pool.connection() as conn:
            new = await leases.acquire(conn, "t-1", owner="B", ttl_s=30)
        assert new is not None and new.epoch == old.epoch + 1
        with pytest.raises(FenceLost):
            await _save(store, 2, [NOTE])
    finally:
        CURRENT_FENCE.reset(token)
    rows = await harness.rows("SELECT version, state FROM agent_states ORDER BY version")
    assert rows == [{"version": 1, "state": {"v": 1}}]
    notes = await harness.rows("SELECT actor, reason FROM audit_log WHERE event = 'approved'")
    assert notes == [{"actor": "UALICE", "reason": "approved by <@UALICE>'s edit"}]
    assert (await store.latest("t-1") or {}).get("version") == 1
