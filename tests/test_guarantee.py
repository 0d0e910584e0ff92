"""The approval guarantee, hole by hole, through the signed HTTP endpoint.

An action executes only with the arguments that every required, eligible person
approved, before the request expired. Each test here once got a payment through.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from support.harness import Harness, click_payload, eventually
from support.signing import interaction_body, sign

POLICY = """
[graphs.payments]
approvers = ["S0FIN"]

[[graphs.payments.actions.pay.rules]]
when = "amount > 10000"
required_approvals = 2

[[graphs.payments.actions.pay.rules]]
when = 'recipient == "offshore"'
approvers = ["UCFO", "UCEO"]

[graphs.connect]
external_users = true
"""
FINANCE = ["UALICE", "UBOB", "UCFO", "UCEO"]


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY)
    graphs = (
        "counting=support.graphs:build_counting,connect=support.graphs:build_counting,"
        "raw=support.dialect_graphs:raw"
    )
    return {"approvals_policy": str(path), "approvals_graphs": graphs}


@pytest.fixture
def finance(harness: Harness) -> Harness:
    harness.fake.usergroups["S0FIN"] = FINANCE
    return harness


def filled(view: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The state Slack sends for ``view``: prefilled values, ``changes`` by label prefix."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element, label = block["element"], block["label"]["text"]
        value = next((v for k, v in changes.items() if label.lower().startswith(k)), None)
        entry = {"type": element["type"], "value": value or element.get("initial_value")}
        values[block["block_id"]] = {element["action_id"]: entry}
    return values


async def edit(harness: Harness, approval_id: int, *, user: str, **changes: Any) -> Any:
    """Open the Edit modal as ``user`` and submit ``changes``; the modal's answer."""
    view = await harness.open_form("edit", approval_id, user=user)
    return await harness.submit(view, filled(view, **changes), user=user)


async def ephemerals_to(harness: Harness, user: str) -> list[str]:
    return [p["text"] for p in harness.fake.of("chat.postEphemeral") if p["user"] == user]


async def told(harness: Harness, user: str, words: str) -> str:
    async def check() -> str | None:
        return next((t for t in await ephemerals_to(harness, user) if words in t), None)

    return str(await eventually(check))


async def votes(harness: Harness) -> list[tuple[str, int]]:
    rows = await harness.rows("SELECT user_id, round FROM votes ORDER BY id")
    return [(r["user_id"], r["round"]) for r in rows]


async def pending(harness: Harness, amount: float, recipient: str) -> tuple[str, int]:
    started = await harness.start("payments", {"amount": amount, "recipient": recipient})
    return started.thread_id, (await harness.approval_ids(started.thread_id))[0]


async def test_an_edit_is_judged_by_the_policy_of_its_new_arguments(finance: Harness) -> None:
    """Hole 1: one finance approver turned 5,000 to acme into 5,000,000 offshore."""
    harness = finance
    thread_id, approval_id = await pending(harness, 5000, "acme")
    answer = await edit(harness, approval_id, user="UBOB", amount="5000000", recipient="offshore")
    assert answer["response_action"] == "errors"
    assert "UCFO" in json.dumps(answer["errors"])  # says who may approve these arguments
    assert await votes(harness) == []
    rows = await harness.rows("SELECT status, args FROM approvals")
    assert rows[0]["status"] == "pending" and rows[0]["args"]["recipient"] == "acme"

    # the CFO may: their edit is their approval, and the request now needs two
    answer = await edit(harness, approval_id, user="UCFO", amount="5000000", recipient="offshore")
    assert answer.get("response_action") != "errors", answer
    assert (await harness.rows("SELECT status FROM approvals"))[0]["status"] == "pending"
    policy = (await harness.rows("SELECT policy FROM approvals"))[0]["policy"]
    assert policy["required_approvals"] == 2

    async def redrawn() -> bool:
        shown = json.dumps(harness.fake.of("chat.update")[-1:])
        return "needs 2 different approvers" in shown and "UCEO" in shown

    await eventually(redrawn)
    await harness.click("approve", approval_id, user="UALICE")  # finance, but not for these
    assert "not an approver" in await told(harness, "UALICE", "not an approver")
    await harness.click("approve", approval_id, user="UCEO")
    await harness.wait_done(thread_id)
    state = await harness.graph_state("payments", thread_id)
    assert (state.values["status"], state.values["paid_amount"]) == ("paid", 5_000_000)
    assert sorted(state.values["decided_by"]) == ["UCEO", "UCFO"]


async def test_a_click_counts_only_for_the_version_it_shows(finance: Harness) -> None:
    """Hole 2: Alice's click on the message as she saw it counted for Bob's 999999."""
    harness = finance
    thread_id, approval_id = await pending(harness, 20_000, "acme")
    shown = harness.fake.of("chat.postMessage")[0]
    row = next(b for b in shown["blocks"] if b["type"] == "actions")
    old_value = row["elements"][0]["value"]
    assert old_value.startswith(f"{approval_id}:") and "20000" not in old_value

    answer = await edit(harness, approval_id, user="UBOB", amount="999999")
    assert answer.get("response_action") != "errors", answer
    status, _ = await harness.click("approve", approval_id, user="UALICE", value=old_value)
    assert status == 200
    text = await told(harness, "UALICE", "changed")
    assert "/archives/C0APPROVALS/p" in text  # a link to the request as it is now
    assert await votes(harness) == [("UBOB", 2)]
    assert (await harness.rows("SELECT status FROM approvals"))[0]["status"] == "pending"

    # the Edit and Reject buttons of the old message refuse too, without opening a form
    await harness.click("edit", approval_id, user="UALICE", value=old_value)
    await harness.click("reject", approval_id, user="UALICE", value=old_value)

    async def three_refusals() -> bool:
        return len(await ephemerals_to(harness, "UALICE")) == 3

    await eventually(three_refusals)
    assert all("changed" in t for t in await ephemerals_to(harness, "UALICE"))
    assert len(harness.fake.of("views.open")) == 1  # Bob's form only
    assert await votes(harness) == [("UBOB", 2)]
    assert await harness.run_status(thread_id) == "waiting"


async def test_a_replayed_click_never_counts_in_a_new_round(finance: Harness) -> None:
    """Hole 2: Alice's earlier signed request, re-sent, counted her in the new round."""
    harness = finance
    thread_id, approval_id = await pending(harness, 20_000, "acme")
    value = await harness.value_of(approval_id)
    body = interaction_body(click_payload("approve", approval_id, user="UALICE", value=value))
    headers = sign(body)
    assert (await harness.post_slack(body, headers))[0] == 200
    await eventually(lambda: votes(harness))
    answer = await edit(harness, approval_id, user="UBOB", amount="30000")
    assert answer.get("response_action") != "errors", answer
    assert (await harness.post_slack(body, headers))[0] == 200  # the same bytes, re-sent
    await told(harness, "UALICE", "changed")
    assert await votes(harness) == [("UALICE", 1), ("UBOB", 2)]
    assert (await harness.rows("SELECT status FROM approvals"))[0]["status"] == "pending"
    assert await harness.run_status(thread_id) == "waiting"


async def test_a_click_after_expiry_is_refused_before_any_sweep(harness: Harness) -> None:
    """Hole 3: a click after ``expires_at`` but before the sweeper resumed the run."""
    started = await harness.start("counting", {"amount": 10, "recipient": "bob"})
    approval_id = (await harness.approval_ids(started.thread_id))[0]
    await harness.rows("UPDATE requests SET expires_at = now() - interval '1 second' RETURNING id")
    await harness.click("approve", approval_id, user="UALICE")
    assert "expired" in await told(harness, "UALICE", "expired")
    assert await votes(harness) == []
    assert (await harness.rows("SELECT status FROM requests"))[0]["status"] == "pending"
    assert not await harness.rows("SELECT 1 FROM side_effects")


def _from(team: str, enterprise: str | None, kind: str, value: str, user: str) -> dict[str, Any]:
    payload = click_payload(kind, int(value.split(":")[0]), user=user, value=value)
    payload["user"]["team_id"] = team
    payload["team"] = {"id": team, "domain": "x"}
    payload.pop("enterprise", None)
    if enterprise:
        payload["team"]["enterprise_id"] = enterprise
        payload["enterprise"] = {"id": enterprise, "name": "Org"}
    return payload


async def test_people_of_other_organisations_cannot_decide(harness: Harness) -> None:
    """Hole 4: a Slack Connect user of another team and enterprise approved a payment."""
    started = await harness.start("counting", {"amount": 10, "recipient": "bob"})
    approval_id = (await harness.approval_ids(started.thread_id))[0]
    value = await harness.value_of(approval_id)
    await harness.send(_from("T-other-side", "E-other-side", "approve", value, "WKAZ"))
    assert "workspace" in await told(harness, "WKAZ", "workspace")
    assert await votes(harness) == []
    # Enterprise Grid: a colleague from another workspace of the bot's own organisation
    harness.fake.enterprise_id = "E111"
    assert await harness.deps.workspace.load(harness.deps.slack)
    await harness.send(_from("T222", "E111", "approve", value, "WCOLLEAGUE"))
    await harness.wait_done(started.thread_id)
    assert await votes(harness) == [("WCOLLEAGUE", 1)]


async def test_external_users_opt_in_admits_them(harness: Harness) -> None:
    """Hole 4: ``external_users = true`` is the operator's explicit choice."""
    started = await harness.start("connect", {"amount": 10, "recipient": "bob"})
    approval_id = (await harness.approval_ids(started.thread_id))[0]
    value = await harness.value_of(approval_id)
    await harness.send(_from("T-other-side", "E-other-side", "approve", value, "WKAZ"))
    await harness.wait_done(started.thread_id)
    assert await votes(harness) == [("WKAZ", 1)]


EVIL_LINK = "<https://evil.example/login|View invoice>"


def _mrkdwn(value: Any) -> list[str]:
    """Every string Slack renders as mrkdwn in ``value`` (plain_text shows as typed)."""
    if isinstance(value, list):
        return [text for item in value for text in _mrkdwn(item)]
    if not isinstance(value, dict):
        return []
    own = [value["text"]] if value.get("type") == "mrkdwn" else []
    return own + [text for item in value.values() for text in _mrkdwn(item)]


def _outgoing(harness: Harness) -> str:
    """Everything the bot sent to Slack that Slack renders as mrkdwn, one text per line."""
    kinds = ("chat.postMessage", "chat.update", "chat.postEphemeral", "views.open")
    texts: list[str] = []
    for call in (c for c in harness.fake.calls if c.method in kinds):
        if isinstance(call.params.get("text"), str):
            texts.append(call.params["text"])  # a message's text, and its notification
        texts += _mrkdwn(call.params.get("blocks")) + _mrkdwn(call.params.get("view"))
    return "\n".join(texts)


async def test_untrusted_text_never_pings_or_disguises_a_link(finance: Harness) -> None:
    """Hole 5: a reject reason pinged the channel; a recipient became a disguised link."""
    harness = finance
    run = {"amount": 5000, "recipient": EVIL_LINK, "memo": "<!channel> & <!here>"}
    started = await harness.start("payments", run, requested_by="UREQ")
    approval_id = (await harness.approval_ids(started.thread_id))[0]
    view = await harness.open_form("reject", approval_id, user="UALICE")
    reason = filled(view, reason="<!channel> " + EVIL_LINK)
    answer = await harness.submit(view, reason, user="UALICE")
    assert answer.get("response_action") != "errors", answer
    await harness.wait_done(started.thread_id)

    async def finished() -> bool:
        return "Run finished" in _outgoing(harness)

    await eventually(finished)
    sent = _outgoing(harness)
    for live in ("<!channel>", "<!here>", "<https://evil", "|View invoice>"):
        at = sent.find(live)
        assert at < 0, sent[max(0, at - 300) : at + 100]
    assert "&lt;!channel&gt;" in sent and "&lt;https://evil.example/login|View invoice&gt;" in sent
    assert "<@UREQ>" in sent and "<@UALICE>" in sent  # the bot's own mentions still work


async def test_untrusted_title_description_and_names_are_escaped(harness: Harness) -> None:
    """Hole 5: whatever a run's input reaches (title, description, action, argument names)."""
    payload = {
        "title": "<!channel> urgent",
        "description": f"Pay {EVIL_LINK} now",
        "action": "<!everyone>",
        "args": {"<!here>": EVIL_LINK, "amount": 5},
    }
    started = await harness.start("raw", {"payload": payload}, requested_by="U1> <!channel")
    approval_id = (await harness.approval_ids(started.thread_id))[0]
    await harness.open_form("edit", approval_id, user="UALICE")
    await harness.open_form("reject", approval_id, user="UALICE")
    cancel = click_payload("cancel", approval_id, user="U1> <!channel")
    await harness.send(cancel)
    await harness.click("approve", approval_id, user="UALICE")
    await told(harness, "UALICE", "")
    sent = _outgoing(harness)
    for live in ("<!channel>", "<!here>", "<!everyone>", "<https://evil", "|View invoice>"):
        at = sent.find(live)
        assert at < 0, sent[max(0, at - 300) : at + 100]


async def test_a_form_opened_on_an_older_version_records_nothing(finance: Harness) -> None:
    """Hole 2, modals: the form names its version; a forged or stale one is refused."""
    harness = finance
    thread_id, approval_id = await pending(harness, 20_000, "acme")
    alices = await harness.open_form("edit", approval_id, user="UALICE")
    alices_reject = await harness.open_form("reject", approval_id, user="UALICE")
    answer = await edit(harness, approval_id, user="UBOB", amount="30000")
    assert answer.get("response_action") != "errors", answer

    answer = await harness.submit(alices, filled(alices, amount="1"), user="UALICE")
    assert answer["response_action"] == "errors" and "changed" in json.dumps(answer)
    answer = await harness.submit(alices_reject, filled(alices_reject), user="UALICE")
    assert answer["response_action"] == "errors" and "changed" in json.dumps(answer)
    for forged in (str(approval_id), f"{approval_id}:2:{'0' * 16}", "1:1:x", "", "null"):
        view = dict(alices, private_metadata=forged)
        answer = await harness.submit(view, filled(alices, amount="1"), user="UALICE")
        assert answer["response_action"] == "errors", forged
    assert await votes(harness) == [("UBOB", 2)]
    rows = await harness.rows("SELECT status, args FROM approvals")
    assert rows[0]["status"] == "pending" and rows[0]["args"]["amount"] == 30000
    assert await harness.run_status(thread_id) == "waiting"
