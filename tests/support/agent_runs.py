"""Helpers for the Agents SDK tests: the settings, and what a run posted and did."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.engine.resume import decision_id_of

from support.config import TEST_GRAPHS
from support.harness import Harness

AGENT = "payments_agent"
TWO_CALLS = "Pay Acme $4,200 for invoice 88 and send the receipt to ap@acme.test"
ONE_CALL = "Pay Acme $4,200 for invoice 88"
TOKEN = "api-secret"


@pytest.fixture(autouse=True)
def no_tracing() -> None:
    """The SDK exports traces to OpenAI unless told not to; the tests have no key."""
    import agents

    agents.set_tracing_disabled(True)


@pytest.fixture
def settings_overrides(tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    """The bot's settings for an agent test module (import it there to use it)."""
    return agent_settings(tmp_path, request)


def agent_settings(tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    """The example agent registered as a user would, a policy file from the ``policy``
    mark, and the runs API's token."""
    marker = request.node.get_closest_marker("policy")
    path = tmp_path / "policy.toml"
    path.write_text(marker.args[0] if marker else "[defaults]\n")
    graphs = (f"{TEST_GRAPHS},{AGENT}=graphs.agent_payments:agent,"
              "nested_agent=support.agents:nested_agent")
    return {"approvals_graphs": graphs, "approvals_policy": str(path),
            "approvals_api_token": TOKEN}


def requests_posted(harness: Harness) -> list[dict[str, Any]]:
    """Every posted request message (those with buttons)."""
    return [
        p for p in harness.fake.of("chat.postMessage")
        if any(b["type"] == "actions" for b in p.get("blocks") or [])
    ]


async def outcome(harness: Harness, thread_id: str) -> Any:
    """The run's recorded outcome (an agent's is its ``final_output``)."""
    rows = await harness.rows("SELECT outcome FROM runs WHERE thread_id = %s", thread_id)
    return rows[0]["outcome"]


async def decision_ids(harness: Harness, thread_id: str) -> list[str]:
    """The idempotency key of each of the run's requests, in order."""
    rows = await harness.rows(
        "SELECT id, thread_id FROM requests WHERE thread_id = %s ORDER BY id", thread_id
    )
    return [decision_id_of(r) for r in rows]


async def votes(harness: Harness, n: int) -> bool:
    """Whether at least ``n`` votes were recorded."""
    return len(await harness.rows("SELECT 1 FROM votes")) >= n


async def ephemerals(harness: Harness) -> list[dict[str, Any]]:
    """What the bot told clickers privately."""
    return harness.fake.of("chat.postEphemeral")


def filled(view: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The state Slack sends for ``view``: prefilled values, with ``changes`` by label."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element, label = block["element"], block["label"]["text"]
        value = changes.get(label, element.get("initial_value"))
        entry: dict[str, Any] = {"type": element["type"], "value": value}
        values[block["block_id"]] = {element["action_id"]: entry}
    return values


async def edit_amount(harness: Harness, approval_id: int, amount: str, *, user: str) -> None:
    """Click Edit and submit the form with a new amount."""
    view = await harness.open_form("edit", approval_id, user=user)
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    label = next(x for x in labels if "mount" in x)
    answer = await harness.submit(view, filled(view, **{label: amount}), user=user)
    assert answer.get("response_action") != "errors", answer
