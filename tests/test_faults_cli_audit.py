"""``python -m bot audit THREAD_ID`` (and ``--json``) print a run's trail from Postgres."""

from __future__ import annotations

import json

from support.harness import Harness
from support.procs import bot_env, run_cli


async def test_audit_prints_the_trail(harness: Harness, database_url: str) -> None:
    started = await harness.start("counting", {"amount": 5, "recipient": "acme"})
    approval_id = (await harness.approval_ids(started.thread_id))[0]
    await harness.click("approve", approval_id, user="UALICE")

    await harness.wait_done(started.thread_id)
    env = bot_env(database_url, harness.fake)
    code, out, err = await run_cli("audit", started.thread_id, "--json", env=env)
    assert code == 0, err
    events = json.loads(out)
    names = [e["event"] for e in events]
    assert names[:2] == ["started", "requested"] and "approved" in names
    assert names[-1] == "finished"
    assert next(e for e in events if e["event"] == "approved")["actor"] == "UALICE"
    code, text, err = await run_cli("audit", started.thread_id, env=env)
    assert code == 0, err
    assert "approved" in text and "UALICE" in text
    code, _, err = await run_cli("audit", "no-such-thread", env=env)
    assert code == 2 and "no audit events" in err
