"""The agent's reasoning beside its request: its words, escaped, briefly, the rest a tap away."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.blocks.reasoning import SHOWN, reasoning_block
from bot.blocks.show_all import build_show_all_modal
from bot.blocks.view import ActionView, RequestView
from graphs.models import Action

from support.harness import Harness, click_payload, eventually

HOSTILE = "pay acme $50 and email bob@example.com <!channel> <https://x|y> <@U123>"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"approvals_graphs": "raw=support.dialect_graphs:raw"}


def said(post: dict[str, Any]) -> str:
    (block,) = [b for b in post["blocks"] if "The agent's words" in json.dumps(b)]
    return str(block["elements"][0]["text"])


async def test_the_models_text_before_its_tool_calls_is_shown_escaped(harness: Harness) -> None:
    started = await harness.start("agent", {"task": HOSTILE})
    (post,) = harness.fake.of("chat.postMessage")
    text = said(post)
    assert text.startswith("💭 *The agent's words* (not checked): “The task says: pay acme")
    assert "&lt;!channel&gt;" in text and "&lt;https://x|y&gt;" in text
    assert "&lt;@U123&gt;" in text
    everything = json.dumps(post["blocks"])
    for raw in ("<!channel>", "<https://x|y>", "<@U123>"):
        assert raw not in everything and raw not in post["text"]
    assert started.status == "waiting"


async def test_a_generic_payloads_reasoning_is_shown_once_as_the_agents_words(
    harness: Harness,
) -> None:
    payload = {"title": "Delete the logs", "action": "delete", "args": {"path": "/var/log"},
               "reasoning": "Disk is full <!channel>"}
    await harness.start("raw", {"payload": payload})
    (post,) = harness.fake.of("chat.postMessage")
    assert said(post).endswith("“Disk is full &lt;!channel&gt;”")
    assert json.dumps(post["blocks"]).count("Disk is full") == 1  # not again as context


def test_long_reasoning_is_brief_and_whole_under_show_all() -> None:
    long = "because " * 200 + "<!here> the end"
    block = reasoning_block(long)
    assert block is not None
    text = block["elements"][0]["text"]
    assert len(text) < SHOWN + 120 and "the rest under Show all" in text
    action = Action(name="pay", args={"amount": 1})
    view = RequestView(request_id=1, title="Pay", description=None, requested_by="U1",
                       graph="g", actions=[ActionView(1, action, action.args, "pending")],
                       reasoning=long)
    modal = json.dumps(build_show_all_modal(view, thread_id="t"))
    assert "&lt;!here&gt; the end" in modal and "<!here>" not in modal


async def test_thirty_arguments_show_the_first_eight_and_all_on_a_tap(harness: Harness) -> None:
    args = {f"setting_{i:02d}": i * 1.5 for i in range(30)}
    started = await harness.start("raw", {"payload": {"title": "Tune", "args": args}})
    (post,) = harness.fake.of("chat.postMessage")
    fields = [f["text"] for b in post["blocks"] for f in b.get("fields", [])]
    assert [f.split("\n")[0] for f in fields] == [f"*Setting {i:02d}*" for i in range(8)]
    assert fields[3] == "*Setting 03*\n`4.5`"  # a number keeps its precision, not money
    (row,) = [b for b in post["blocks"] if b.get("block_id", "").startswith("show_all:")]
    assert row["accessory"]["text"]["text"] == "Show all 30 arguments"
    payload = click_payload("show_all", 0, user="UALICE", value=row["accessory"]["value"])
    assert (await harness.send(payload))[0] == 200

    async def opened() -> list[dict[str, Any]]:
        return harness.fake.of("views.open")

    (modal,) = [o["view"] for o in await eventually(opened)]
    whole = "".join(b["text"]["text"] for b in modal["blocks"])
    assert "*setting_29*\n`43.5`" in whole
    assert started.status == "waiting"


async def test_the_edit_form_of_many_arguments_is_grouped_and_typed(harness: Harness) -> None:
    args: dict[str, Any] = {f"count_{i}": i for i in range(6)}
    args |= {f"name_{i}": f"n{i}" for i in range(6)} | {"dry_run": True, "tags": ["a", "b"]}
    started = await harness.start("raw", {"payload": {"title": "Tune", "args": args}})
    (approval_id,) = await harness.approval_ids(started.thread_id)
    view = await harness.open_form("edit", approval_id, user="UALICE")
    titles = [b["elements"][0]["text"] for b in view["blocks"] if b["type"] == "context"][1:]
    assert titles == ["*Text*", "*Numbers*", "*Choices*", "*Lists and objects (JSON)*"]
    kinds = [b["element"]["type"] for b in view["blocks"] if b["type"] == "input"]
    assert kinds == ["plain_text_input"] * 6 + ["number_input"] * 6 + ["radio_buttons",
                                                                      "plain_text_input"]
    numbers = [b for b in view["blocks"] if b["type"] == "input"][6:12]
    assert [b["element"]["is_decimal_allowed"] for b in numbers] == [False] * 6
