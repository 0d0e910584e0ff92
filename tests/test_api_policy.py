"""The policy file governs API requests by namespace (``graph``), action and CEL rules on
``args``; a request's ``approval`` block only tightens it; /approvals lists them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_commands import command

from support.approvals_api import api_settings, approval_id, call, create
from support.harness import Harness, eventually

POLICY = """
[graphs.api]
approvers = ["UFIN", "UFIN2", "UOTHER"]

[[graphs.api.actions.refund.rules]]
when = "amount > 1000"
required_approvals = 2
approvers = ["UFIN", "UFIN2"]

[graphs.ops]
channel = "C0OPS"
"""


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY)
    return api_settings(approvals_policy=str(path))


async def test_rules_on_args_and_a_block_that_cannot_loosen(harness: Harness) -> None:
    big = await create(harness, {"action": "refund", "args": {"amount": 5000},
                                 "approval": {"required_approvals": 1}})
    aid = await approval_id(harness, big["id"])
    await harness.click("approve", aid, user="UOTHER")  # not on the rule's list: refused
    await harness.click("approve", aid, user="UFIN")

    async def one_vote() -> bool:
        return len(await harness.rows("SELECT 1 FROM votes")) == 1

    await eventually(one_vote)
    status, got = await call(harness, "GET", f"/api/approvals/{big['id']}?wait=0.3")
    assert got["status"] == "pending"  # the file's two approvals stand
    assert "|Refund>" in await command(harness, "pending", user="UFIN2")  # /approvals lists it
    await harness.click("approve", aid, user="UFIN2")
    status, got = await call(harness, "GET", f"/api/approvals/{big['id']}?wait=20")
    assert got["status"] == "approved" and got["decision"]["decided_by"] == ["UFIN", "UFIN2"]


async def test_the_namespace_picks_the_policy(harness: Harness) -> None:
    ops = await create(harness, {"action": "restart", "graph": "ops", "channel": "C0ELSE"})
    assert ops["channel"] == "C0OPS"  # the file's channel wins over the caller's
    assert harness.fake.of("chat.postMessage")[-1]["channel"] == "C0OPS"
    small = await create(harness, {"action": "refund", "args": {"amount": 10}})
    await harness.click("approve", await approval_id(harness, small["id"]), user="UOTHER")
    status, got = await call(harness, "GET", f"/api/approvals/{small['id']}?wait=20")
    assert got["status"] == "approved"  # under the rule's threshold: one approver of [graphs.api]
