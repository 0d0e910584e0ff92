"""Resume values derived from an interrupt's ``response_schema``, and checked against it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_shapes import button_kinds, posted, reject

from support.harness import Harness, eventually, reason_values
from support.tutorial_graphs import GRAPHS


@pytest.fixture
def settings_overrides(tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("policy")
    path = tmp_path / "policy.toml"
    path.write_text(marker.args[0] if marker else "[defaults]\n")
    return {"approvals_policy": str(path), "approvals_graphs": GRAPHS}


CASES = [
    ("yes_no", "approve", "yes", ["rm -rf build"]),
    ("yes_no", "reject", "no", []),
    ("boolean_gate", "approve", True, ["rm -rf build"]),
    ("boolean_gate", "reject", False, []),
    ("ok_reason", "approve", {"ok": True}, ["rm -rf build"]),
    ("ok_reason", "reject", {"ok": False, "why": "not on Friday"}, []),
]


@pytest.mark.parametrize(("graph", "click", "verdict", "ran"), CASES)
async def test_the_schema_shapes_the_answer(
    harness: Harness, graph: str, click: str, verdict: Any, ran: list[str]
) -> None:
    started = await harness.start(graph, {"command": "rm -rf build"})
    post = posted(harness)
    assert button_kinds(post) == ["approve", "reject"]
    assert "rm -rf build" in json.dumps(post["blocks"])
    (approval_id,) = await harness.approval_ids(started.thread_id)
    if click == "approve":
        await harness.click("approve", approval_id, user="UALICE")
    else:
        await reject(harness, approval_id, "not on Friday")
    await harness.wait_done(started.thread_id)
    state = (await harness.graph_state(graph, started.thread_id)).values
    assert state["verdict"] == verdict
    assert state.get("ran", []) == ran


async def test_a_plain_string_schema_is_answered_with_text(harness: Harness) -> None:
    started = await harness.start("free_text", {"command": "which branch?"})
    post = posted(harness)
    assert button_kinds(post) == ["respond"]
    (approval_id,) = await harness.approval_ids(started.thread_id)
    view = await harness.open_form("respond", approval_id, user="UALICE")
    assert await harness.submit(view, reason_values(view, "release/2.1"), user="UALICE") == {}
    await harness.wait_done(started.thread_id)
    state = (await harness.graph_state("free_text", started.thread_id)).values
    assert state["verdict"] == "release/2.1"


@pytest.mark.policy('[graphs.boolean_gate.resume]\napprove = "sure"\nreject = false\n')
async def test_a_template_that_does_not_fit_the_schema_is_never_sent(harness: Harness) -> None:
    started = await harness.start("boolean_gate", {"command": "deploy"})
    (approval_id,) = await harness.approval_ids(started.thread_id)
    await harness.click("approve", approval_id, user="UALICE")

    async def failed() -> bool:
        return await harness.run_status(started.thread_id) == "failed"

    await eventually(failed)
    state = await harness.graph_state("boolean_gate", started.thread_id)
    assert state.next == ("gate",) and "verdict" not in state.values  # nothing was sent
    rows = await harness.rows("SELECT status, last_error FROM requests")
    assert rows[0]["status"] == "failed"
    assert "the resume template for 'approve'" in rows[0]["last_error"]
    assert "response_schema" in rows[0]["last_error"]

    async def shown() -> str:
        text = json.dumps([u["blocks"] for u in harness.fake.of("chat.update")])
        return text if "resume template" in text else ""

    await eventually(shown)
    told = [p for p in harness.fake.of("chat.postMessage") if p.get("channel") == "UREQ"]
    assert told and "resume template" in told[-1]["text"]
