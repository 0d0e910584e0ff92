"""``python -m bot audit THREAD_ID`` (and ``--json``) print a run's trail from Postgres."""

from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

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


async def test_audit_times_name_their_zone(harness: Harness, database_url: str) -> None:
    started = await harness.start("counting", {"amount": 5, "recipient": "acme"})
    env = bot_env(database_url, harness.fake)
    code, text, err = await run_cli("audit", started.thread_id, env=env)
    assert code == 0, err
    lines = text.splitlines()
    assert lines and all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC  ", x) for x in lines)
    code, text, err = await run_cli("audit", started.thread_id, "--tz", "Asia/Tokyo", env=env)
    assert code == 0 and text.startswith(when(lines[0], "UTC", "Asia/Tokyo")), (text, err)
    code, _, err = await run_cli("audit", started.thread_id, "--tz", "Mars/Olympus", env=env)
    assert code == 2 and "--tz 'Mars/Olympus' is no time zone" in err
    code, text, err = await run_cli("pending", env=env)
    assert code == 0 and re.search(r"expires \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)", text), text


def when(line: str, zone: str, into: str) -> str:
    """The time at the start of ``line`` (in ``zone``) as the same instant in ``into``."""
    at = datetime.strptime(line[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=ZoneInfo(zone))
    return f"{at.astimezone(ZoneInfo(into)):%Y-%m-%d %H:%M:%S} JST"
