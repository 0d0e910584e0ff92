"""Many open, posted requests at once, in a few bulk INSERTs (not through the graph).

For tests and bench of the pending list, App Home and sweeper at scale. The rows look
like the engine's: a run, a request with a resolved policy, one approval each.
"""

from __future__ import annotations

import json
from typing import Any

SEED_RUNS = """
INSERT INTO runs (thread_id, graph, input, channel, requested_by, status)
SELECT %(prefix)s || g, 'payments', '{}'::jsonb, 'C0APPROVALS', %(requested_by)s, 'waiting'
FROM generate_series(1, %(n)s) g
"""
SEED_REQUESTS = """
INSERT INTO requests (thread_id, interrupt_id, value_hash, request, policy, channel,
                      message_ts, expires_at, created_at)
SELECT %(prefix)s || g, 'i' || g, 'h', jsonb_build_object(
           'title', %(title)s || ' ' || g,
           'actions', jsonb_build_array(jsonb_build_object(
               'name', 'pay', 'args', jsonb_build_object('n', g)))),
       %(policy)s::jsonb, 'C0APPROVALS', '1700000000.' || lpad(g::text, 6, '0'),
       now() + interval '1 day', now() - interval '1 hour' + g * interval '1 ms'
FROM generate_series(1, %(n)s) g
"""
SEED_APPROVALS = """
INSERT INTO approvals (request_id, idx, action, args)
SELECT r.id, 0, jsonb_build_object('name', 'pay', 'args', jsonb_build_object('n', r.id)),
       jsonb_build_object('n', r.id)
FROM requests r WHERE r.thread_id LIKE %(prefix)s || '%%'
"""
# As autovacuum leaves a long-lived database: statistics and visibility map up to date.
ANALYZE = "VACUUM ANALYZE runs; VACUUM ANALYZE requests; VACUUM ANALYZE approvals"


def policy(*, approvers: list[str], **extra: Any) -> str:
    """A resolved policy as the engine stores it."""
    base = {
        "channel": "C0APPROVALS", "approvers": approvers, "also_approvers": [],
        "required_approvals": 1, "allow_self_approval": False, "external_users": False,
        "timeout_s": 86400, "allowed_decisions": ["approve", "edit", "reject"],
        "reminder_s": None,
    }
    return json.dumps(base | extra)


async def seed_pending(
    conn: Any,
    n: int,
    *,
    prefix: str,
    approvers: list[str],
    title: str = "Seeded",
    requested_by: str = "UREQ",
) -> None:
    """``n`` open, posted requests (oldest first by their number) that ``approvers`` decide."""
    params = {"prefix": prefix, "n": n, "requested_by": requested_by, "title": title,
              "policy": policy(approvers=approvers)}
    for statement in (SEED_RUNS, SEED_REQUESTS, SEED_APPROVALS):
        await conn.execute(statement, params)
    for statement in ANALYZE.split("; "):
        await conn.execute(statement)
