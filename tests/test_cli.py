"""The CLI in its own processes: ``run`` in one, resumed by the server in another."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from support.fake_slack import FakeSlack
from support.harness import Harness

ROOT = Path(__file__).resolve().parent.parent


async def _cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def _env(database_url: str, fake: FakeSlack, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "APPROVALS_"))}
    env.update(
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_API_URL=fake.url,
        DATABASE_URL=database_url,
        APPROVALS_CHANNEL="C0APPROVALS",
        PYTHONPATH=f"{ROOT}:{ROOT / 'tests'}",
        **extra,
    )
    return env


async def test_run_in_one_process_is_resumed_by_serve(
    harness: Harness, database_url: str, fake_slack: FakeSlack
) -> None:
    code, out, err = await _cli(
        "run",
        "payments",
        "--input",
        '{"amount": 4200, "recipient": "acme"}',
        "--requested-by",
        "UREQ",
        "--json",
        env=_env(database_url, fake_slack),
    )
    assert code == 0, err
    result = json.loads(out)
    thread_id = result["thread_id"]
    assert result["status"] == "waiting" and len(result["requests"]) == 1
    assert len(fake_slack.of("chat.postMessage")) == 1
    approval_id = (await harness.approval_ids(thread_id))[0]
    status, _ = await harness.click("approve", approval_id, user="UALICE")
    assert status == 200

    await harness.wait_done(thread_id)
    code, out, err = await _cli("audit", thread_id, "--json", env=_env(database_url, fake_slack))
    assert code == 0, err
    events = [e["event"] for e in json.loads(out)]
    assert events[:3] == ["started", "requested", "posted"]
    assert {"approved", "resumed", "finished"} <= set(events)


async def test_run_prints_only_the_thread_id(database_url: str, fake_slack: FakeSlack) -> None:
    code, out, err = await _cli(
        "run",
        "payments",
        "--input",
        '{"amount": 5, "recipient": "x"}',
        env=_env(database_url, fake_slack),
    )
    assert code == 0, err
    assert len(out.strip()) == 36 and out.count("-") == 4  # a uuid, nothing else


async def test_missing_token_is_one_clear_line(database_url: str, fake_slack: FakeSlack) -> None:
    env = _env(database_url, fake_slack)
    del env["SLACK_BOT_TOKEN"]
    code, out, err = await _cli("serve", env=env)
    assert code == 2
    assert err.strip().splitlines() == [
        "error: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET are not set: export them or put them in .env "
        "(see README, 'Settings')."
    ]
    assert "Traceback" not in err


async def test_bad_input_and_unknown_graph(database_url: str, fake_slack: FakeSlack) -> None:
    env = _env(database_url, fake_slack)
    code, _, err = await _cli("run", "payments", "--input", "{nope", env=env)
    assert code == 2 and "--input is not valid JSON" in err
    code, _, err = await _cli("run", "nosuch", "--input", "{}", env=env)
    assert code == 2 and "No graph named 'nosuch'" in err and "payments" in err


async def test_pending_lists_open_requests(
    harness: Harness, database_url: str, fake_slack: FakeSlack
) -> None:
    started = await harness.start("payments", {"amount": 3000, "recipient": "acme"})
    code, out, err = await _cli("pending", "--json", env=_env(database_url, fake_slack))
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["thread_id"] for r in rows] == [started.thread_id]
    assert rows[0]["graph"] == "payments"


async def test_every_command_has_help(database_url: str, fake_slack: FakeSlack) -> None:
    for command in ("serve", "run", "pending", "audit", "migrate"):
        code, out, _ = await _cli(command, "--help", env=_env(database_url, fake_slack))
        assert code == 0 and "usage: python -m bot" in out


async def test_invalid_policy_file_stops_the_start_naming_file_line_and_field(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('[graphs.payments]\nchannel = "C1"\nrequired_approvals = 0\n')
    env = _env(database_url, fake_slack, SLACK_SIGNING_SECRET="s", APPROVALS_POLICY=str(policy))
    code, _, err = await _cli("serve", env=env)
    assert code == 2 and "Traceback" not in err
    assert f"{policy}:3: graphs.payments.required_approvals" in err


async def test_run_says_what_the_policy_file_overrode(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('[graphs.ledger]\nallowed_decisions = ["reject"]\n')
    env = _env(database_url, fake_slack, APPROVALS_POLICY=str(policy),
               APPROVALS_GRAPHS="ledger=support.graphs:build_ledger")
    run_input = json.dumps({"amount": 5, "ledger": str(tmp_path / "l"), "allowed": ["approve"]})
    code, out, err = await _cli("run", "ledger", "--input", run_input, "--json", env=env)
    assert code == 0, err
    (override,) = json.loads(out)["policy_overrides"]
    assert override == {"source": "approval", "field": "allowed_decisions",
                        "asked": ["approve"], "applies": ["reject"]}
    assert "asked allowed_decisions = ['approve']; the policy file allows ['reject']" in err
