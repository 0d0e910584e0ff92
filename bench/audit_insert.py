"""``.venv/bin/python -m bench.audit_insert OLD_AUDIT_PY``: what one audit insert costs,
the plain one of an older tree (its ``persistence/audit.py``) against the chained one.

Both statements write the same rows to one fresh embedded database, 500 at a time in
alternated rounds, one statement per round trip, without waiting for the WAL's fsync
(``synchronous_commit = off``), so the figure is the statement and its commit, not the disk.
"""

from __future__ import annotations

import asyncio
import importlib.util
import shutil
import statistics
import sys
import tempfile
import time
from types import ModuleType

import pgserver

from persistence import audit as chained
from persistence.migrations import migrate
from persistence.pool import open_pool

ROUNDS = 5
PER_ROUND = 500


def _module(path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location("old_audit", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def main(old_path: str) -> None:
    """Print the median cost per insert of each statement."""
    plain = _module(old_path)
    data = tempfile.mkdtemp(prefix="bench-audit-")
    server = pgserver.get_server(data, cleanup_mode="stop")
    pool = await open_pool(server.get_uri(), max_size=1)
    await migrate(pool)  # the old statement still fits the table (its chain stays empty)
    took: dict[str, list[float]] = {"plain": [], "chained": []}
    try:
        async with pool.connection() as conn:
            await conn.execute("SET synchronous_commit = off")
            for round_ in range(ROUNDS):
                for name, module in (("plain", plain), ("chained", chained)):
                    start = time.perf_counter()
                    for i in range(PER_ROUND):
                        await module.record(
                            conn, "approved", thread_id=f"t{round_}-{i % 50}", request_id=i,
                            actor="UALICE", args_before={"amount": i, "recipient": "acme"},
                            detail={"round": 1},
                        )
                    took[name].append((time.perf_counter() - start) / PER_ROUND * 1e6)
    finally:
        await pool.close()
        server.cleanup()
        shutil.rmtree(data, ignore_errors=True)
    for name, values in took.items():
        runs = ", ".join(f"{v:.0f}" for v in values)
        print(f"{name:>8}: median {statistics.median(values):5.0f} µs per insert ({runs})")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
