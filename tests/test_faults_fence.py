"""The fence under real faults: a slow node's backends killed, Postgres restarted.

The side effect appends to a file outside Postgres, as a payment API would. Two ``serve``
processes sweep every half second, so a lost fence would be taken at once and the node
run again; each trial must pay exactly once and audit exactly one execution attempt.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.engine.flow import start_run
from persistence.pool import DB_DOWN

from support.fake_slack import FakeSlack
from support.harness import eventually
from support.procs import Procs, Served, engine, procs

TRIALS = 5
NODE_S = 1.5


@pytest.fixture
def own_postgres() -> Iterator[Any]:
    """A private embedded server this test may restart without hurting others."""
    import pgserver

    data_dir = tempfile.mkdtemp(prefix="approvals-fence-pg-")  # postgres runs unprivileged
    server = pgserver.get_server(data_dir, cleanup_mode="stop")
    yield server
    server.cleanup()
    shutil.rmtree(data_dir, ignore_errors=True)


async def _rows(deps: Any, sql: str, *params: Any) -> list[dict[str, Any]]:
    async with deps.pool.connection() as conn:
        cur = await conn.execute(sql, params)
        return list(await cur.fetchall())


async def _trial(
    deps: Any, group: Procs, served: Served, ledger: Path, fault: Callable[[], Awaitable[None]]
) -> str:
    """Approve a slow payment, inject ``fault`` while its node runs, wait for the end."""
    started = await start_run(
        deps, "ledger", {"amount": 7, "ledger": str(ledger), "delay_s": NODE_S},
        channel="C0APPROVALS", requested_by="UREQ",
    )
    thread_id = started.thread_id
    rows = await _rows(deps, "SELECT a.id FROM approvals a JOIN requests r "
                             "ON r.id = a.request_id WHERE r.thread_id = %s", thread_id)
    assert await group.click(served, "approve", int(rows[0]["id"]), user="UALICE") == 200

    async def running() -> bool:
        return bool(await _rows(deps, "SELECT 1 FROM audit_log WHERE thread_id = %s "
                                      "AND event = 'resume_started'", thread_id))

    await eventually(running, timeout=30)
    await asyncio.sleep(0.3)  # inside the node's sleep, before its side effect
    await fault()

    async def done() -> bool:
        try:
            rows = await _rows(deps, "SELECT status FROM runs WHERE thread_id = %s", thread_id)
        except DB_DOWN:  # Postgres is still coming back
            return False
        return rows[0]["status"] == "done"

    await eventually(done, timeout=60)
    return thread_id


async def _check(deps: Any, group: Procs, ledger: Path, thread_ids: list[str]) -> None:
    # Two more sweep passes on each process: a second execution would have started by now.
    await asyncio.sleep(1.5)
    lines = (await asyncio.to_thread(ledger.read_text)).splitlines()
    for thread_id in thread_ids:
        paid = [line for line in lines if line.startswith(thread_id)]
        assert len(paid) == 1, f"{thread_id} paid {len(paid)} times"
        attempts = await _rows(deps, "SELECT detail FROM audit_log WHERE thread_id = %s "
                                     "AND event = 'resume_started'", thread_id)
        assert len(attempts) == 1, attempts
        assert paid[0].split()[1] == attempts[0]["detail"]["decision_id"]
    assert all(s.proc.returncode is None for s in group.started)


async def test_killing_the_fence_holders_backends_never_pays_twice(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.txt"
    ledger.touch()
    async with engine(database_url, fake_slack) as deps, \
            procs(database_url, fake_slack, tmp_path) as group:
        a, _ = await asyncio.gather(group.serve(APPROVALS_SWEEP_S="0.5"),
                                    group.serve(APPROVALS_SWEEP_S="0.5"))

        async def kill_backends() -> None:
            killed = await _rows(
                deps,
                "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()",
            )
            assert killed  # the serve processes' connections, the lease renewer's among them

        threads = [await _trial(deps, group, a, ledger, kill_backends) for _ in range(TRIALS)]
        await _check(deps, group, ledger, threads)


async def test_restarting_postgres_during_a_slow_node_never_pays_twice(
    own_postgres: Any, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

    url = own_postgres.get_uri()
    ledger = tmp_path / "ledger.txt"
    ledger.touch()

    def restart() -> None:
        pg_ctl(["-w", "-m", "fast", "restart"], pgdata=own_postgres.pgdata,
               user=own_postgres.system_user, timeout=30)

    async def restart_postgres() -> None:
        await asyncio.to_thread(restart)

    async with engine(url, fake_slack) as deps, procs(url, fake_slack, tmp_path) as group:
        a, _ = await asyncio.gather(group.serve(APPROVALS_SWEEP_S="0.5"),
                                    group.serve(APPROVALS_SWEEP_S="0.5"))
        threads = [await _trial(deps, group, a, ledger, restart_postgres) for _ in range(TRIALS)]
        await _check(deps, group, ledger, threads)


async def test_a_replaced_owner_cannot_extend_the_checkpoint_chain(
    harness: Any, tmp_path: Path
) -> None:
    from langgraph.types import Command

    from bot.engine.fence import hold_fence
    from graphs.runner import DURABILITY
    from persistence.leases import FenceLost

    ledger = tmp_path / "ledger.txt"
    started = await harness.start("ledger", {"amount": 2, "ledger": str(ledger)})
    graph = harness.deps.graphs.build("ledger", harness.deps.checkpointer)
    config = {"configurable": {"thread_id": started.thread_id}}
    (pending,) = (await graph.aget_state(config)).interrupts
    value = {"action": "approve", "args": {"amount": 2}, "decision_id": "d1"}
    with pytest.raises(FenceLost):
        async with hold_fence(harness.deps, started.thread_id) as fence:
            assert fence is not None
            # Another instance took the lease over (as after a lapse): the epoch moved on.
            await harness.rows("UPDATE thread_leases SET owner = 'other', epoch = epoch + 1 "
                               "WHERE thread_id = %s RETURNING epoch", started.thread_id)
            await graph.ainvoke(Command(resume={pending.id: value}), config,
                                durability=DURABILITY)
    state = await graph.aget_state(config)
    assert [i.id for i in state.interrupts] == [pending.id]  # the chain did not move
    assert not ledger.exists()  # refused before the node ran
    lease = await harness.rows("SELECT owner, epoch FROM thread_leases WHERE thread_id = %s",
                               started.thread_id)
    assert lease[0]["owner"] == "other"  # the stale owner did not release someone else's


async def test_a_lease_is_taken_over_only_once_it_lapses(database_url: str) -> None:
    from persistence import leases
    from persistence.migrations import migrate
    from persistence.pool import open_pool

    pool = await open_pool(database_url, max_size=4)
    try:
        await pool.wait()
        await migrate(pool)
        async with pool.connection() as conn:
            first = await leases.acquire(conn, "t1", owner="A", ttl_s=1)
            assert first is not None and first.epoch == 1
            assert await leases.acquire(conn, "t1", owner="B", ttl_s=1) is None  # A is live
            assert await leases.renew(conn, first, ttl_s=1)
        await asyncio.sleep(1.2)  # A stops renewing: its lease lapses
        async with pool.connection() as conn:
            second = await leases.acquire(conn, "t1", owner="B", ttl_s=30)
            assert second is not None and second.epoch == 2
            assert not await leases.renew(conn, first, ttl_s=1)  # A learns it lost the fence
            await leases.release(conn, first)  # a no-op for a replaced owner
            assert await leases.acquire(conn, "t1", owner="C", ttl_s=1) is None
    finally:
        await pool.close()


async def test_an_owner_whose_lease_is_taken_over_stops_mid_node(
    harness: Any, tmp_path: Path
) -> None:
    from bot.engine.resume import resume_request
    from bot.metrics import METRICS

    ledger = tmp_path / "ledger.txt"
    harness.deps.lease_ttl_s = 0.6  # a heartbeat every 0.2 s
    started = await harness.start("ledger", {"amount": 2, "ledger": str(ledger), "delay_s": 5})
    (approval_id,) = await harness.approval_ids(started.thread_id)
    decided = await harness.approve(approval_id, user="UALICE")
    lost = METRICS.value("approvals_lease_lost_total")
    resuming = asyncio.ensure_future(resume_request(harness.deps, decided.request_id))

    async def running() -> bool:
        return bool(await harness.rows("SELECT 1 FROM audit_log WHERE event = 'resume_started'"))

    await eventually(running)
    await harness.rows("UPDATE thread_leases SET owner = 'other', epoch = epoch + 1 "
                       "WHERE thread_id = %s RETURNING epoch", started.thread_id)
    assert await asyncio.wait_for(resuming, 4) is False  # stopped inside the 5 s node
    assert METRICS.value("approvals_lease_lost_total") == lost + 1
    assert not ledger.exists()
    rows = await harness.rows("SELECT status FROM requests WHERE id = %s", decided.request_id)
    assert rows[0]["status"] == "decided"  # left for the lease's new owner
