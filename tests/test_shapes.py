"""Graphs as the LangGraph tutorials write them, answered in their own terms.

Each run is driven by signed clicks and modal submissions through the real endpoint,
with the operator's resume templates from a real policy file, and the test asserts the
state the graph itself ended in.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.engine.sweeper import sweep_once
from persistence.inbox import pending_requests

from support.harness import Harness, click_payload, eventually, reason_values
from support.tutorial_graphs import GRAPHS

POLICY = """
[graphs.plan_review.resume]
approve = "approved"
reject = "rejected: ${reason}"

[graphs.email_gate.resume]
approve = { approved = true }
reject = { approved = false, reason = "${reason}" }

[graphs.drafts.resume]
approve = { "$eval" = "value.draft" }
edit = { "$eval" = "args.draft" }

[graphs.clarify.resume]
respond = { "$eval" = "text" }
"""


@pytest.fixture
def settings_overrides(tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("policy")
    path = tmp_path / "policy.toml"
    path.write_text(marker.args[0] if marker else POLICY)
    return {"approvals_policy": str(path), "approvals_graphs": GRAPHS}


def posted(harness: Harness) -> dict[str, Any]:
    """The one request message posted so far."""
    (post,) = [p for p in harness.fake.of("chat.postMessage") if p.get("blocks")]
    return post


def button_kinds(post: dict[str, Any]) -> list[str]:
    """The decision buttons a message offers, in order."""
    return [e["action_id"] for b in post["blocks"] if b["type"] == "actions"
            for e in b["elements"] if e["type"] == "button"]


def filled(view: dict[str, Any], **changes: str) -> dict[str, Any]:
    """The edit modal's state: each field as prefilled unless ``changes`` names it."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        label = block["label"]["text"].lower()
        value = next((v for k, v in changes.items() if label.startswith(k)),
                     element.get("initial_value"))
        values[block["block_id"]] = {element["action_id"]: {"type": element["type"],
                                                             "value": value}}
    return values


async def only_approval(harness: Harness, thread_id: str) -> int:
    (approval_id,) = await harness.approval_ids(thread_id)
    return approval_id


async def reject(harness: Harness, approval_id: int, reason: str) -> None:
    view = await harness.open_form("reject", approval_id, user="UALICE")
    assert await harness.submit(view, reason_values(view, reason), user="UALICE") == {}


async def values_of(harness: Harness, graph: str, thread_id: str) -> dict[str, Any]:
    return dict((await harness.graph_state(graph, thread_id)).values)


@pytest.mark.parametrize(("click", "status"), [("approve", "approved"),
                                               ("reject", "not approved: rejected: too risky")])
async def test_plan_review_compares_a_string(harness: Harness, click: str, status: str) -> None:
    started = await harness.start("plan_review", {"plan": "1. migrate\n2. backfill"})
    post = posted(harness)
    assert button_kinds(post) == ["approve", "reject"]  # no template, no Edit
    assert "1. migrate" in json.dumps(post["blocks"])
    approval_id = await only_approval(harness, started.thread_id)
    if click == "approve":
        assert (await harness.click("approve", approval_id, user="UALICE"))[0] == 200
    else:
        await reject(harness, approval_id, "too risky")
    await harness.wait_done(started.thread_id)
    assert (await values_of(harness, "plan_review", started.thread_id))["status"] == status


async def test_email_gate_reads_a_bool_and_shows_every_field(harness: Harness) -> None:
    started = await harness.start("email_gate", {"to": "bob@example.com", "body": "Hi Bob"})
    shown = json.dumps(posted(harness)["blocks"])
    assert "bob@example.com" in shown and "Hi Bob" in shown
    await reject(harness, await only_approval(harness, started.thread_id), "wrong person")
    await harness.wait_done(started.thread_id)
    state = await values_of(harness, "email_gate", started.thread_id)
    assert (state["status"], state["reason"]) == ("cancelled", "wrong person")
    assert not state.get("sent")  # the email never went


async def test_email_gate_approved_sends(harness: Harness) -> None:
    started = await harness.start("email_gate", {"to": "bob@example.com", "body": "Hi Bob"})
    await harness.click("approve", await only_approval(harness, started.thread_id), user="UA")
    await harness.wait_done(started.thread_id)
    state = await values_of(harness, "email_gate", started.thread_id)
    assert state["sent"] == ["to bob@example.com: Hi Bob"] and state["status"] == "sent"


@pytest.mark.parametrize("edit", [False, True])
async def test_drafts_get_the_text_itself_back(harness: Harness, edit: bool) -> None:
    started = await harness.start("drafts", {"draft": "Dear team, we ship Friday."})
    assert button_kinds(posted(harness)) == ["approve", "edit"]  # no reject template
    approval_id = await only_approval(harness, started.thread_id)
    if edit:
        view = await harness.open_form("edit", approval_id, user="UALICE")
        new = "Dear team, we ship Monday."
        assert await harness.submit(view, filled(view, draft=new), user="UALICE") == {}
    else:
        await harness.click("approve", approval_id, user="UALICE")
    await harness.wait_done(started.thread_id)
    final = (await values_of(harness, "drafts", started.thread_id))["final"]
    assert final == ("Dear team, we ship Monday." if edit else "Dear team, we ship Friday.")


async def test_a_question_is_answered_with_free_text(harness: Harness) -> None:
    started = await harness.start("clarify", {"request": "deploy the API"})
    post = posted(harness)
    assert button_kinds(post) == ["respond"]
    assert "Answer" in json.dumps(post["blocks"])
    assert "Which region should I deploy to?" in json.dumps(post["blocks"])
    assert "deploy the API" in json.dumps(post["blocks"])  # the context is shown
    view = await harness.open_form("respond", await only_approval(harness, started.thread_id),
                                   user="UALICE")
    assert await harness.submit(view, reason_values(view, "eu-west-1"), user="UALICE") == {}
    await harness.wait_done(started.thread_id)
    state = await values_of(harness, "clarify", started.thread_id)
    assert state["reply"] == "Deploying to eu-west-1"


async def test_flat_payment_edit_is_read_at_the_top_level(harness: Harness) -> None:
    started = await harness.start("flat_payment", {"amount": 4200, "recipient": "Acme"})
    post = posted(harness)
    shown = json.dumps(post["blocks"])
    assert "Approve this payment?" in shown and "4,200" in shown and "Acme" in shown
    assert "The invoice is due this week." in shown
    assert button_kinds(post) == ["approve", "reject", "edit"]
    view = await harness.open_form("edit", await only_approval(harness, started.thread_id),
                                   user="UALICE")
    labels = [b["label"]["text"].lower() for b in view["blocks"] if b["type"] == "input"]
    assert labels == ["amount", "recipient"]  # the headline and reasoning are not editable
    assert await harness.submit(view, filled(view, amount="4000"), user="UALICE") == {}
    await harness.wait_done(started.thread_id)
    state = await values_of(harness, "flat_payment", started.thread_id)
    assert state["paid"] == ["4000 to Acme"] and state["status"] == "paid"


@pytest.mark.policy("[defaults]\n")
async def test_a_resume_the_graph_rejects_is_reported_honestly(harness: Harness) -> None:
    """No template: the gate gets the generic dict and fails on approval["approved"]."""
    started = await harness.start("email_gate", {"to": "bob@example.com", "body": "Hi"})
    approval_id = await only_approval(harness, started.thread_id)
    await harness.click("approve", approval_id, user="UALICE")

    async def said() -> str:
        updates = harness.fake.of("chat.update")
        text = json.dumps(updates[-1]["blocks"]) if updates else ""
        return text if "but the run failed" in text else ""

    text = await eventually(said)
    assert "Approved by @UALICE, but the run failed in node `approval_gate`: KeyError" in text
    assert "approved" in text
    assert "Trying again" in text  # a graph may fail for a moment (its provider down)
    for _ in range(4):  # the sweeper's further attempts, then nothing more
        await sweep_once(harness.deps, grace_s=0)
    assert await harness.run_status(started.thread_id) == "failed"
    events = [r["event"] for r in await harness.rows(
        "SELECT event FROM audit_log WHERE thread_id = %s ORDER BY id", started.thread_id)]
    assert events.count("resume_failed") == 3 and "run_failed" in events
    told = [p["text"] for p in harness.fake.of("chat.postMessage") if p["channel"] == "UREQ"]
    assert told and "but the run failed in node `approval_gate`: KeyError" in told[-1]
    async with harness.deps.pool.connection() as conn:
        assert [r for r in await pending_requests(conn)
                if r["thread_id"] == started.thread_id] == []
    final = json.dumps(harness.fake.of("chat.update")[-1]["blocks"])
    assert "could not be resumed" in final


async def test_a_long_plan_is_never_cut_silently(harness: Harness) -> None:
    plan = "".join(f"{i}. migrate table t{i} and check its row counts twice.\n"
                   for i in range(1, 200))
    started = await harness.start("plan_review", {"plan": plan})
    post = posted(harness)
    shown = json.dumps(post["blocks"])
    assert "Show all" in shown and "longer than a Slack message can show" in shown
    request_id = (await harness.rows("SELECT id FROM requests WHERE thread_id = %s",
                                     started.thread_id))[0]["id"]
    payload = click_payload("show_all", 0, user="UALICE", value=str(request_id))
    assert (await harness.send(payload))[0] == 200

    async def opened() -> list[dict[str, Any]]:
        return harness.fake.of("views.open")

    (modal,) = [o["view"] for o in await eventually(opened)]
    whole = "".join(b["text"]["text"] for b in modal["blocks"])
    assert plan.strip() in whole
