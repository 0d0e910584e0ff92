"""Interrupt values JSON cannot carry: shown in a safe form, or the run fails visibly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.engine.jsonsafe import json_safe

from support.fake_slack import FakeSlack
from support.harness import Harness
from support.procs import bot_env, run_cli


async def test_bytes_datetimes_and_sets_are_stored_and_shown_readably(harness: Harness) -> None:
    started = await harness.start("blob", {})
    assert started.status == "waiting" and started.error is None
    rows = await harness.rows("SELECT request FROM requests WHERE thread_id = %s",
                              started.thread_id)
    args = rows[0]["request"]["actions"][0]["args"]
    assert args == {"blob": "<5 bytes: base64 AP9QTkc=>", "name": "logo.png",
                    "at": "2026-01-02T03:04:00+00:00", "tags": ["a", "b"]}
    shown = str(harness.fake.of("chat.postMessage")[0]["blocks"])
    assert "base64 AP9QTkc=" in shown and "2026-01-02T03:04:00+00:00" in shown

    approval_id = (await harness.approval_ids(started.thread_id))[0]
    status, _ = await harness.click("approve", approval_id, user="UALICE")
    assert status == 200
    await harness.wait_done(started.thread_id)
    state = await harness.graph_state("blob", started.thread_id)
    assert state.values["decision"]["action"] == "approve"
    assert state.values["decision"]["args"]["blob"] == "<5 bytes: base64 AP9QTkc=>"


async def test_a_value_with_no_json_form_fails_the_run_visibly(harness: Harness) -> None:
    started = await harness.start("blob", {"odd": True}, requested_by="UREQ")
    assert started.status == "failed"
    assert started.error is not None and "re.Pattern" in started.error
    assert await harness.run_status(started.thread_id) == "failed"
    assert await harness.rows("SELECT id FROM requests") == []
    events = await harness.rows("SELECT event, reason FROM audit_log WHERE thread_id = %s",
                                started.thread_id)
    assert any(e["event"] == "run_failed" and "re.Pattern" in e["reason"] for e in events)
    told = [m for m in harness.fake.of("chat.postMessage") if m["channel"] == "UREQ"]
    assert len(told) == 1 and "stopped" in told[0]["text"] and "re.Pattern" in told[0]["text"]


def test_json_safe_keeps_json_and_converts_the_rest() -> None:
    assert json_safe({"a": [1, 2.5, None, True, "x"]}) == {"a": [1, 2.5, None, True, "x"]}
    assert json_safe({1: (1, 2), "f": float("nan")}) == {"1": [1, 2], "f": "nan"}


def test_a_value_hash_is_the_same_in_every_process(repo_root: Path) -> None:
    code = ("from bot.engine.post import value_hash; "
            "print(value_hash({'tags': {'alpha', 'beta', 'gamma', 'delta'}, 'b': b'x'}))")
    hashes = {
        subprocess.run(
            [sys.executable, "-c", code], cwd=repo_root, capture_output=True, text=True,
            env={**os.environ, "PYTHONHASHSEED": str(seed)}, check=True,
        ).stdout
        for seed in (1, 2, 3)
    }
    assert len(hashes) == 1  # a resume on another instance recognises the interrupt


async def test_run_exits_non_zero_for_a_value_with_no_json_form(
    database_url: str, fake_slack: FakeSlack
) -> None:
    code, out, err = await run_cli("run", "blob", "--input", '{"odd": true}',
                                   env=bot_env(database_url, fake_slack))
    assert code == 3, err
    assert len(out.strip()) == 36  # the thread id, so the audit trail can be read
    assert "re.Pattern" in err and "Traceback" not in err
