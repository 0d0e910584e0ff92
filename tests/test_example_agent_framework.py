"""examples/agent-framework against the real bot: a tool with approval_mode="always_require",
each user_input_request decided in Slack. Its packages go into a fresh virtual environment."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from support.approvals_api import TOKEN, api_settings
from support.harness import Harness, eventually, reason_values

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "agent-framework"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return api_settings()


@pytest.fixture(scope="module")
def python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment with the example's requirements (skipped if pip can't)."""
    venv = tmp_path_factory.mktemp("agent-framework") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    done = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "-r", str(EXAMPLE / "requirements.txt")],
        capture_output=True, text=True, timeout=900, check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"the agent-framework packages cannot be installed: {done.stderr[-500:]}")
    return venv / "bin" / "python"


async def _decide(harness: Harness, python: Path, order: str, kind: str) -> dict[str, Any]:
    env = {**os.environ, "APPROVALS_URL": harness.base_url, "APPROVALS_API_TOKEN": TOKEN,
           "ORDER": order, "REQUESTED_BY": "UREQ", "PYTHONPATH": str(ROOT)}
    agent = await asyncio.create_subprocess_exec(
        str(python), str(EXAMPLE / "agent.py"), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        async def waiting() -> list[dict[str, Any]]:
            return await harness.rows(
                "SELECT a.id, a.args FROM approvals a JOIN requests r ON r.id = a.request_id "
                "WHERE a.status = 'pending' AND r.message_ts IS NOT NULL")

        row = (await eventually(waiting, timeout=60))[0]
        assert row["args"] == {"order": order, "amount": 420}
        if kind == "reject":  # Reject asks for a reason in a modal
            view = await harness.open_form("reject", int(row["id"]), user="UALICE")
            await harness.submit(view, reason_values(view, "not this order"), user="UALICE")
        else:
            await harness.click(kind, int(row["id"]), user="UALICE")
        out, err = await asyncio.wait_for(agent.communicate(), timeout=60)
    finally:
        if agent.returncode is None:
            agent.kill()
            await agent.wait()
    assert agent.returncode == 0, err.decode()[-2000:]
    return json.loads(out.decode().strip().splitlines()[-1])  # type: ignore[no-any-return]


async def test_approved_in_slack_the_tool_runs(harness: Harness, python: Path) -> None:
    result = await _decide(harness, python, "1234", "approve")
    assert result["executed"] == [{"order": "1234", "amount": 420}]  # the tool's own record
    assert result["decisions"][0]["decided_by"] == ["UALICE"]
    assert "refunded 420 on order 1234" in result["text"]


async def test_rejected_in_slack_the_tool_never_runs(harness: Harness, python: Path) -> None:
    result = await _decide(harness, python, "999", "reject")
    assert result["executed"] == [] and result["decisions"][0]["action"] == "reject"
    assert result["decisions"][0]["reason"] == "not this order"
