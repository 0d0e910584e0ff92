"""examples/vercel-ai against the real bot: the AI SDK's own mock model, a `needsApproval`
tool, decided in Slack. Its npm packages are installed by this test, outside the repo."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from support.approvals_api import TOKEN, api_settings
from support.harness import Harness, eventually, reason_values

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "vercel-ai"
pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or shutil.which("npm") is None,
    reason="Node.js and npm are needed to run the Vercel AI SDK example",
)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return api_settings()


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the example with its packages installed from npm (skipped if npm can't)."""
    where = tmp_path_factory.mktemp("vercel-ai")
    for name in ("package.json", "tsconfig.json", "agent.ts", "approvals.ts"):
        shutil.copy(EXAMPLE / name, where / name)
    done = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=where, capture_output=True, text=True, timeout=600, check=False,
    )
    if done.returncode != 0 or not (where / "node_modules" / "ai").exists():
        pytest.skip(f"npm could not install the example's packages: {done.stderr[-500:]}")
    return where


def test_the_example_type_checks(installed: Path) -> None:
    """``tsc`` in strict mode over the example, against the SDK's own types."""
    done = subprocess.run([str(installed / "node_modules" / ".bin" / "tsc"), "-p", "."],
                          cwd=installed, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


async def _run_agent(harness: Harness, where: Path, order: str) -> asyncio.subprocess.Process:
    env = {**os.environ, "APPROVALS_URL": harness.base_url, "APPROVALS_API_TOKEN": TOKEN,
           "ORDER": order, "REQUESTED_BY": "UREQ"}
    return await asyncio.create_subprocess_exec(
        str(where / "node_modules" / ".bin" / "tsx"), "agent.ts", cwd=where, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )


async def _approval_waiting(harness: Harness) -> int:
    async def found() -> list[dict[str, Any]]:
        return await harness.rows(
            "SELECT a.id FROM approvals a JOIN requests r ON r.id = a.request_id "
            "JOIN api_requests q ON q.thread_id = r.thread_id "
            "WHERE a.status = 'pending' AND r.message_ts IS NOT NULL")

    return int((await eventually(found, timeout=60))[0]["id"])


async def _waiting_or_kill(harness: Harness, agent: asyncio.subprocess.Process) -> int:
    try:
        return await _approval_waiting(harness)
    except BaseException:
        agent.kill()
        _, err = await agent.communicate()
        raise AssertionError(f"the agent asked nothing: {err.decode()[-2000:]}") from None


async def _finished(agent: asyncio.subprocess.Process) -> dict[str, Any]:
    try:
        out, err = await asyncio.wait_for(agent.communicate(), timeout=60)
    finally:
        if agent.returncode is None:
            agent.kill()
            await agent.wait()
    assert agent.returncode == 0, err.decode()[-2000:]
    return json.loads(out.decode().strip().splitlines()[-1])  # type: ignore[no-any-return]


async def test_approved_in_slack_the_tool_runs(harness: Harness, installed: Path) -> None:
    agent = await _run_agent(harness, installed, "1234")
    aid = await _waiting_or_kill(harness, agent)
    post = harness.fake.of("chat.postMessage")[0]
    assert "Refund order 1234" in post["text"]
    buttons = {e.get("action_id") for b in post["blocks"] if b["type"] == "actions"
               for e in b["elements"]}
    assert {"approve", "reject"} <= buttons and "edit" not in buttons  # edits are not offered
    await harness.click("approve", aid, user="UALICE")
    result = await _finished(agent)

    assert result["executed"] == [{"order": "1234", "amount": 420}]  # the tool's own record
    assert result["decisions"][0]["decided_by"] == ["UALICE"]
    assert "refunded" in result["text"] and "420" in result["text"]


async def test_rejected_in_slack_the_tool_never_runs(harness: Harness, installed: Path) -> None:
    agent = await _run_agent(harness, installed, "999")
    aid = await _waiting_or_kill(harness, agent)
    view = await harness.open_form("reject", aid, user="UALICE")
    await harness.submit(view, reason_values(view, "order 999 was never paid"), user="UALICE")
    result = await _finished(agent)

    assert result["executed"] == []
    assert result["decisions"][0]["action"] == "reject"
    assert "order 999 was never paid" in result["text"]  # the model saw the denial's reason
