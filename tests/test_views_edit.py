"""Edit through the modal, end to end: open, validate, resume with the edited arguments."""

from __future__ import annotations

from typing import Any

from bot.blocks.version import parse_ref

from support.harness import Harness, eventually, reason_values


def _filled(view: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The state Slack sends for ``view``: prefilled values, with ``changes`` by label."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element, label = block["element"], block["label"]["text"]
        value = changes.get(label, element.get("initial_value"))
        entry: dict[str, Any] = {"type": element["type"], "value": value}
        if "initial_option" in element:
            entry = {"type": element["type"], "selected_option": element["initial_option"]}
        values[block["block_id"]] = {element["action_id"]: entry}
    return values


async def _open_edit(harness: Harness, thread_id: str, user: str) -> dict[str, Any]:
    approval_id = (await harness.approval_ids(thread_id))[0]
    return await harness.open_form("edit", approval_id, user=user)




async def test_edit_lowers_the_amount_and_shows_old_to_new(harness: Harness) -> None:
    started = await harness.start("payments", {"amount": 2500, "recipient": "acme"})
    view = await _open_edit(harness, started.thread_id, "UALICE")
    assert parse_ref(view["private_metadata"]) is not None and len(view["title"]["text"]) <= 24
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    assert any("Amount" in label or "amount" in label for label in labels)
    amount_label = next(x for x in labels if "mount" in x)
    answer = await harness.submit(view, _filled(view, **{amount_label: "1800"}), user="UALICE")
    assert answer.get("response_action") != "errors", answer
    await harness.wait_done(started.thread_id)
    state = await harness.graph_state("payments", started.thread_id)
    assert state.values["status"] == "paid" and state.values["paid_amount"] == 1800
    text = str(harness.fake.of("chat.update")[-1]["blocks"])
    assert "Edited and approved" in text and "→" in text and "1,800" in text
    audit = await harness.rows(
        "SELECT args_before, args_after FROM audit_log WHERE event = 'edited'"
    )
    assert audit[0]["args_before"]["amount"] == 2500 and audit[0]["args_after"]["amount"] == 1800


async def test_invalid_edit_comes_back_on_the_field_and_resumes_nothing(harness: Harness) -> None:
    started = await harness.start("payments", {"amount": 2500, "recipient": "acme"})
    view = await _open_edit(harness, started.thread_id, "UALICE")
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    amount_label = next(x for x in labels if "mount" in x)
    answer = await harness.submit(view, _filled(view, **{amount_label: "-5"}), user="UALICE")
    assert answer["response_action"] == "errors"
    amount_block = next(
        b["block_id"]
        for b in view["blocks"]
        if b["type"] == "input" and b["label"]["text"] == amount_label
    )
    assert list(answer["errors"]) == [amount_block]
    rows = await harness.rows("SELECT status FROM approvals")
    assert rows[0]["status"] == "pending"
    assert await harness.run_status(started.thread_id) == "waiting"


async def test_someone_else_decided_while_the_modal_was_open(harness: Harness) -> None:
    started = await harness.start("payments", {"amount": 2500, "recipient": "acme"})
    view = await _open_edit(harness, started.thread_id, "UALICE")
    approval_id = (await harness.approval_ids(started.thread_id))[0]
    await harness.click("approve", approval_id, user="UBOB")
    await harness.wait_done(started.thread_id)
    answer = await harness.submit(view, _filled(view), user="UALICE")
    assert answer["response_action"] == "errors"
    assert "already approved" in next(iter(answer["errors"].values()))
    events = [r["event"] for r in await harness.rows("SELECT event FROM audit_log")]
    assert events.count("resumed") == 1


async def test_expired_trigger_tells_the_reviewer(harness: Harness) -> None:
    started = await harness.start("payments", {"amount": 2500, "recipient": "acme"})
    harness.fake.errors["views.open"] = "expired_trigger_id"
    approval_id = (await harness.approval_ids(started.thread_id))[0]
    await harness.click("edit", approval_id, user="UALICE")

    async def told() -> list[dict[str, Any]]:
        return harness.fake.of("chat.postEphemeral")

    message = (await eventually(told))[-1]
    assert message["user"] == "UALICE" and "click the button again" in message["text"]


async def test_reject_with_a_reason_reaches_the_graph(harness: Harness) -> None:
    started = await harness.start("payments", {"amount": 2500, "recipient": "acme"})
    approval_id = (await harness.approval_ids(started.thread_id))[0]
    view = await harness.open_form("reject", approval_id, user="UALICE")
    assert view["callback_id"] == "reject_submit"
    answer = await harness.submit(view, reason_values(view, "wrong vendor"), user="UALICE")
    assert answer.get("response_action") != "errors", answer
    await harness.wait_done(started.thread_id)
    state = await harness.graph_state("payments", started.thread_id)
    assert state.values["status"] == "rejected" and state.values["reason"] == "wrong vendor"
    text = str(harness.fake.of("chat.update")[-1]["blocks"])
    assert "Rejected" in text and "wrong vendor" in text and "<@UALICE>" in text


async def test_email_subject_and_body_edited_in_a_multiline_field(harness: Harness) -> None:
    started = await harness.start("email", {"to": "ceo@example.com", "topic": "the Q3 numbers"})
    view = await _open_edit(harness, started.thread_id, "UALICE")
    inputs = {b["label"]["text"]: b for b in view["blocks"] if b["type"] == "input"}
    body_label = next(x for x in inputs if "ody" in x)
    subject_label = next(x for x in inputs if "ubject" in x)
    assert inputs[body_label]["element"].get("multiline") is True
    assert not inputs[subject_label]["element"].get("multiline")
    new_body = "Hi,\n\nNumbers attached.\n\n— Alice"
    changes = {subject_label: "Q3 numbers", body_label: new_body}
    answer = await harness.submit(view, _filled(view, **changes), user="UALICE")
    assert answer.get("response_action") != "errors", answer
    await harness.wait_done(started.thread_id)
    state = await harness.graph_state("email", started.thread_id)
    assert state.values["status"] == "sent"
    assert state.values["sent"] == {
        "to": "ceo@example.com", "subject": "Q3 numbers", "body": new_body,
    }
