"""The standing-approval builders: valid Block Kit, hostile text escaped, windows named."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.blocks.request import build_request_message
from bot.blocks.standing import (
    build_standing_list,
    parse_choice,
    standing_block,
    used_text,
    window_text,
)
from bot.blocks.view import ActionView, RequestView
from graphs.models import Action

from support.blockkit import check_message

AT = datetime(2026, 1, 2, 15, 0, tzinfo=UTC)
EVIL = "<!channel> <https://x|y> & <@U1>"


def _view(choices: tuple[int, ...], *, actions: int = 1) -> RequestView:
    action = ActionView(approval_id=7, action=Action(name="pay", args={"to": EVIL}),
                        args={"to": EVIL}, status="pending")
    return RequestView(request_id=1, title=EVIL, description=EVIL, requested_by="UREQ",
                       graph="g", actions=[action] * actions, standing_choices=choices)


def test_the_menu_offers_each_window_and_names_the_version() -> None:
    text, blocks = build_request_message(_view((900, 3600, 5400)))
    check_message(text, blocks)
    (menu,) = [b for b in blocks if b.get("block_id", "").startswith("standing:")]
    options = menu["elements"][0]["options"]
    assert [o["text"]["text"] for o in options] == [
        "Approve & allow for 15 min", "Approve & allow for 1 h", "Approve & allow for 90 min"]
    ref, seconds = parse_choice(options[1]["value"]) or (None, 0)
    assert ref is not None and ref.approval_id == 7 and seconds == 3600
    assert standing_block(_view(())) is None
    assert standing_block(_view((900,), actions=2)) is None
    assert parse_choice("7:1:abc:60") is None and parse_choice(None) is None
    assert window_text(86400 * 2) == "2 days" and window_text(61) == "61 s"


def test_the_list_and_the_used_line_escape_what_people_wrote() -> None:
    grants = [{"id": 3, "graph": EVIL, "action": EVIL, "args": {"to": EVIL},
               "scope_when": None, "granter": "UALICE", "expires_at": AT},
              {"id": 4, "graph": "g", "action": "pay", "args": None,
               "scope_when": f'to == "{EVIL}"', "granter": EVIL, "expires_at": AT}]
    text, blocks = build_standing_list(grants)
    check_message(text, blocks)
    shown = json.dumps(blocks)
    assert "<!channel>" not in shown and "<https://x|y>" not in shown
    assert [b["accessory"]["value"] for b in blocks if "accessory" in b] == ["3", "4"]
    line = used_text("UALICE", AT)
    assert line.startswith("✅ Approved under <@UALICE>'s standing approval (until <!date^")
    assert "<!channel>" not in used_text(EVIL, AT)
    assert build_standing_list([])[1][0]["type"] == "context"
