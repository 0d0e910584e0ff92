"""Every builder's output for every state holds to Slack's limits and a phone's budget."""

from __future__ import annotations

import json

import pytest
from slack_sdk.models.blocks import Block

from bot.blocks.preview import lines_before_buttons, main, render
from bot.blocks.preview_cases import cases

MAX_BLOCKS = 50  # Slack's limit for a message (slack_sdk does not check it)
BUDGET_BLOCKS = 16  # what we allow ourselves
PHONE_LINES = 24  # about one phone screen (400 px) above the first buttons
MESSAGES = ("request", "quorum", "dm")


@pytest.mark.parametrize("case", list(cases()))
def test_each_builder_within_slacks_limits_and_the_budget(case: str) -> None:
    rendered = render(cases()[case])
    for builder, out in rendered.items():
        limit = 100 if builder == "show_all" else MAX_BLOCKS
        assert len(out["blocks"]) <= limit, builder
        for raw in out["blocks"]:
            block = Block.parse(raw)
            assert block is not None, raw
            block.validate_json()
        ids = [b["block_id"] for b in out["blocks"] if "block_id" in b]
        assert len(ids) == len(set(ids)), builder
        assert len(out["text"]) <= 3000, builder
    for builder in MESSAGES:
        blocks = rendered[builder]["blocks"]
        assert len(blocks) <= BUDGET_BLOCKS, (builder, len(blocks))
        assert lines_before_buttons(blocks) <= PHONE_LINES, (builder, blocks)


def test_long_text_is_shown_once_and_whole_under_show_all() -> None:
    rendered = render(cases()["long_text"])
    shown = json.dumps(rendered["request"]["blocks"])
    assert shown.count("We have paid the invoice") == 6  # the start of the body, once
    assert "show_all:" in shown
    whole = "".join(b["text"]["text"] for b in rendered["show_all"]["blocks"])
    assert whole.count("We have paid the invoice") >= 80


def test_the_script_prints_every_case(capsys: pytest.CaptureFixture[str]) -> None:
    main([])
    printed = json.loads(capsys.readouterr().out)
    assert list(printed) == list(cases())
    assert printed["approved"]["request"]["blocks"][0]["text"]["text"].startswith("✅ Approved")
