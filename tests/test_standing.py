"""Standing approvals through signed clicks: "Approve & allow for …", a later matching
request approved by the decision transaction as the granter's, and every case where it
must not be: other arguments, another action, expiry, revocation, a two-person policy, a
granter no longer eligible, the granter's own request."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any, TypedDict

import pytest
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt

from bot.policy import parse_policy

from support.blockkit import check_view
from support.config import TEST_GRAPHS
from support.harness import Harness, click_payload, eventually
from support.signing import sign
from support.standing import choose, command, menu_options, revoke, revoke_buttons

EXACT = """
[graphs.shop.actions.pay]
approvers = ["UALICE", "UBOB"]
standing_max_s = 3600

[graphs.shop.actions.refund]
approvers = ["UALICE", "UBOB"]
standing_max_s = 3600
"""
SCOPED = """
[graphs.shop.actions.pay]
approvers = ["UALICE", "UBOB"]
standing_max_s = 3600
standing_when = 'amount <= 5000 && recipient == "acme"'

[[graphs.shop.actions.pay.rules]]
when = "amount > 1000"
required_approvals = 2
"""

# A rule that cannot be evaluated for the arguments (no "discount"): unsure, so no use.
UNSURE = EXACT + """
[[graphs.shop.actions.pay.rules]]
when = "discount > 10"
standing_max_s = 900
"""


class ShopState(TypedDict, total=False):
    action: str
    amount: int
    recipient: str
    decision: dict[str, Any]
    done: list[str]


def build_shop(checkpointer: BaseCheckpointSaver) -> Any:
    """One tool call asked about with ``interrupt()``, then carried out if approved."""

    def ask(state: ShopState) -> dict[str, Any]:
        answer = interrupt({
            "title": f"{state['action']} {state['amount']} to {state['recipient']}",
            "action": state["action"],
            "args": {"amount": state["amount"], "recipient": state["recipient"]},
        })
        return {"decision": answer}

    def act(state: ShopState, config: RunnableConfig) -> dict[str, Any]:
        if state["decision"]["action"] != "approve":
            return {"done": []}
        args = state["decision"]["args"]
        return {"done": [f"{state['action']} {args['amount']} {args['recipient']}"]}

    graph = StateGraph(ShopState)
    graph.add_node("ask", ask)
    graph.add_node("act", act)
    graph.add_edge(START, "ask")
    graph.add_edge("ask", "act")
    graph.add_edge("act", END)
    return graph.compile(checkpointer=checkpointer)


@pytest.fixture
def settings_overrides(tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("policy")
    path = tmp_path / "policy.toml"
    path.write_text(marker.args[0] if marker else EXACT)
    return {"approvals_policy": str(path),
            "approvals_graphs": f"{TEST_GRAPHS},shop=test_standing:build_shop"}


async def ask(harness: Harness, amount: int, *, action: str = "pay", recipient: str = "acme",
              by: str = "UREQ") -> str:
    started = await harness.start(
        "shop", {"action": action, "amount": amount, "recipient": recipient}, requested_by=by)
    return started.thread_id


async def menu_of(harness: Harness, thread_id: str) -> list[dict[str, Any]]:
    """The options of "Approve & allow for …" on the run's last request message."""
    rows = await harness.rows(
        "SELECT a.id FROM approvals a JOIN requests r ON r.id = a.request_id "
        "WHERE r.thread_id = %s ORDER BY a.id DESC LIMIT 1", thread_id)
    return menu_options(harness, int(rows[0]["id"]))


async def message_ts(harness: Harness, thread_id: str) -> str:
    rows = await harness.rows(
        "SELECT message_ts FROM requests WHERE thread_id = %s ORDER BY id DESC LIMIT 1",
        thread_id)
    return str(rows[0]["message_ts"])


async def grant(harness: Harness, thread_id: str, *, user: str, window: str) -> None:
    """Pick "Approve & allow for WINDOW" on the run's request, as ``user``."""
    options = await menu_of(harness, thread_id)
    (option,) = [o for o in options if o["text"]["text"] == f"Approve & allow for {window}"]
    (approval_id,) = await harness.approval_ids(thread_id)
    status, _ = await choose(harness, approval_id, option, user=user)
    assert status == 200
    await harness.wait_done(thread_id)


async def outcome(harness: Harness, thread_id: str) -> str:
    """``standing`` when approved under a standing approval (the run then finishes and did
    the work), ``pending`` when it waits for a person."""
    rows = await harness.rows(
        "SELECT r.status, (SELECT count(*) FROM audit_log a WHERE a.request_id = r.id "
        "AND a.event = 'standing_used') AS used FROM requests r WHERE r.thread_id = %s",
        thread_id)
    (row,) = rows
    if row["status"] == "pending":
        assert row["used"] == 0
        return "pending"
    assert row["used"] == 1
    await harness.wait_done(thread_id)
    return "standing"


async def done_of(harness: Harness, thread_id: str) -> list[str]:
    state = await harness.graph_state("shop", thread_id)
    return list(state.values["done"])


async def test_a_standing_approval_approves_a_matching_request_and_only_that(
    harness: Harness,
) -> None:
    first = await ask(harness, 5)
    options = await menu_of(harness, first)
    assert [o["text"]["text"] for o in options] == [
        "Approve & allow for 15 min", "Approve & allow for 1 h"]
    await grant(harness, first, user="UALICE", window="1 h")
    assert await done_of(harness, first) == ["pay 5 acme"]

    again = await ask(harness, 5)
    assert await outcome(harness, again) == "standing"
    assert await done_of(harness, again) == ["pay 5 acme"]  # the graph did the work
    events = await harness.rows(
        "SELECT event, actor, detail FROM audit_log WHERE thread_id = %s ORDER BY seq", again)
    used = next(e for e in events if e["event"] == "standing_used")
    assert used["actor"] == "UALICE" and used["detail"]["source_request"] > 0
    assert next(e for e in events if e["event"] == "approved")["actor"] == "UALICE"
    replies = [p["text"] for p in harness.fake.of("chat.postMessage")
               if p.get("thread_ts") == await message_ts(harness, again)]
    assert any(t.startswith("✅ Approved under <@UALICE>'s standing approval (until ")
               for t in replies), replies
    # Posted compactly: already decided, with no buttons for anyone to press.
    tops = [p for p in harness.fake.of("chat.postMessage")
            if p["channel"].startswith("C") and p.get("blocks") and not p.get("thread_ts")]
    assert len(tops) == 2  # the first request, then this one
    assert "pending" not in tops[1]["text"]
    assert not [e for b in tops[1]["blocks"] if b["type"] == "actions"
                for e in b["elements"] if e.get("action_id") in ("approve", "reject")]

    assert await outcome(harness, await ask(harness, 6)) == "pending"  # other arguments
    assert await outcome(harness, await ask(harness, 5, recipient="globex")) == "pending"
    assert await outcome(harness, await ask(harness, 5, action="refund")) == "pending"
    assert await outcome(harness, await ask(harness, 5, by="UALICE")) == "pending"  # hers
    assert await outcome(harness, await ask(harness, 5, by="UBOB")) == "standing"


async def test_not_after_expiry(harness: Harness) -> None:
    first = await ask(harness, 5)
    await grant(harness, first, user="UALICE", window="15 min")
    clock = harness.deps.clock
    harness.deps.clock = lambda: clock() + timedelta(minutes=16)
    assert await outcome(harness, await ask(harness, 5)) == "pending"
    harness.deps.clock = lambda: clock() + timedelta(minutes=14)
    assert await outcome(harness, await ask(harness, 5)) == "standing"


async def test_not_after_revocation_by_an_approver(harness: Harness) -> None:
    first = await ask(harness, 5)
    await grant(harness, first, user="UALICE", window="1 h")
    assert revoke_buttons(await command(harness, "standing", user="UOUTSIDER")) == []
    (grant_id,) = revoke_buttons(await command(harness, "standing", user="UBOB"))
    await revoke(harness, grant_id, user="UOUTSIDER")  # refused: not an approver of pay
    assert await outcome(harness, await ask(harness, 5)) == "standing"
    await revoke(harness, grant_id, user="UBOB")
    assert await outcome(harness, await ask(harness, 5)) == "pending"
    assert revoke_buttons(await command(harness, "standing", user="UALICE")) == []
    revoked = await harness.rows(
        "SELECT actor FROM audit_log WHERE event = 'standing_revoked'")
    assert [r["actor"] for r in revoked] == ["UBOB"]


async def test_not_when_the_granter_is_no_longer_eligible(harness: Harness) -> None:
    first = await ask(harness, 5)
    await grant(harness, first, user="UALICE", window="1 h")
    harness.deps.policies = parse_policy(EXACT.replace('"UALICE", "UBOB"', '"UBOB"'))
    blocked = await ask(harness, 5)
    assert await outcome(harness, blocked) == "pending"
    refused = await harness.rows(
        "SELECT actor FROM audit_log WHERE thread_id = %s AND event = 'refused'", blocked)
    assert [r["actor"] for r in refused] == ["UALICE"]  # the attempt is audited
    harness.deps.policies = parse_policy(EXACT.replace("standing_max_s = 3600",
                                                       "standing_max_s = 900"))
    assert await outcome(harness, await ask(harness, 5)) == "pending"  # window too long now


@pytest.mark.policy(SCOPED)
async def test_a_scope_condition_and_never_a_two_person_policy(harness: Harness) -> None:
    first = await ask(harness, 5)
    await grant(harness, first, user="UALICE", window="1 h")
    assert await outcome(harness, await ask(harness, 400)) == "standing"
    assert await outcome(harness, await ask(harness, 400, recipient="globex")) == "pending"
    two = await ask(harness, 2000)  # within the scope, but it needs two people
    assert await outcome(harness, two) == "pending"
    assert await menu_of(harness, two) == []


async def test_a_revocation_raced_against_a_matching_request(
    harness: Harness, second: Harness
) -> None:
    """Two instances: one revokes while the other posts a matching request. Whichever
    commits first wins, and nothing decided after the revocation uses the grant."""
    first = await ask(harness, 5)
    await grant(harness, first, user="UALICE", window="1 h")
    (grant_id,) = revoke_buttons(await command(harness, "standing", user="UBOB"))
    raced, _ = await asyncio.gather(ask(second, 5), revoke(harness, grant_id, user="UBOB"))
    used = await harness.rows(
        "SELECT a.at FROM audit_log a JOIN requests r ON r.id = a.request_id "
        "WHERE r.thread_id = %s AND a.event = 'standing_used'", raced)
    revoked = await harness.rows("SELECT revoked_at FROM standing_approvals")
    assert revoked[0]["revoked_at"] is not None
    if used:  # decided first: its transaction began before the revocation's
        assert used[0]["at"] <= revoked[0]["revoked_at"]
    assert await outcome(second, await ask(second, 5)) == "pending"
    assert await outcome(harness, await ask(harness, 5)) == "pending"


@pytest.fixture
async def second(harness: Harness, database_url: str) -> Any:
    """A second instance of the bot on the same database and fake Slack."""
    import aiohttp
    from aiohttp.test_utils import TestServer

    from bot.server import create_app
    from bot.web.keys import DEPS

    from support.config import make_settings

    settings = harness.deps.settings
    app = create_app(make_settings(
        database_url, harness.fake, approvals_policy=settings.approvals_policy,
        approvals_graphs=settings.approvals_graphs))
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    async with aiohttp.ClientSession() as http:
        yield Harness(str(server.make_url("")).rstrip("/"), http, app[DEPS], harness.fake)
    await server.close()



def _home_opened(user: str) -> str:
    return json.dumps({
        "token": "verification_token", "team_id": "T111", "api_app_id": "A111",
        "type": "event_callback", "event_id": "Ev111", "event_time": 1700000000,
        "event": {"type": "app_home_opened", "user": user, "channel": "D111", "tab": "home",
                  "event_ts": "1700000000.000100"},
    })


async def home_revoke_buttons(harness: Harness, user: str) -> list[str]:
    """Open the App Home as ``user``: the Revoke buttons it shows."""
    before = len(harness.fake.of("views.publish"))
    body = _home_opened(user)
    status, _ = await harness.post_slack(body, {**sign(body), "Content-Type": "application/json"})
    assert status == 200
    published = await eventually(lambda: _published_since(harness, before))
    view = published[-1]["view"]
    check_view(view)
    return revoke_buttons(view)


async def _published_since(harness: Harness, before: int) -> list[dict[str, Any]]:
    return harness.fake.of("views.publish")[before:]


async def test_the_app_home_lists_and_revokes(harness: Harness) -> None:
    first = await ask(harness, 5)
    await grant(harness, first, user="UALICE", window="1 h")
    assert await home_revoke_buttons(harness, "UOUTSIDER") == []
    (grant_id,) = await home_revoke_buttons(harness, "UALICE")  # her own grant
    payload = click_payload("standing_revoke", grant_id, user="UALICE", value=grant_id)
    del payload["channel"], payload["container"]["channel_id"]
    payload["container"] = {"type": "view", "view_id": "V111"}
    payload["view"] = {"type": "home", "id": "V111"}
    before = len(harness.fake.of("views.publish"))
    status, _ = await harness.send(payload)
    assert status == 200
    redrawn = await eventually(lambda: _published_since(harness, before))
    assert revoke_buttons(redrawn[-1]["view"]) == []
    assert await outcome(harness, await ask(harness, 5)) == "pending"


@pytest.mark.policy(UNSURE)
async def test_not_while_a_rule_cannot_be_evaluated(harness: Harness) -> None:
    first = await ask(harness, 5)
    # The rule may apply, so the window offered is the shorter of both (the combinator).
    assert [o["text"]["text"] for o in await menu_of(harness, first)] == [
        "Approve & allow for 15 min"]
    await grant(harness, first, user="UALICE", window="15 min")
    assert await outcome(harness, await ask(harness, 5)) == "pending"
