"""Render every builder's output for a fixed set of requests, as Block Kit JSON.

``python -m bot.blocks.preview [NAME]`` prints ``{case: {builder: {text, blocks}}}`` to
check the messages as a reviewer would (paste a ``blocks`` list into Block Kit Builder).
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

from bot.blocks.dm import build_dm_message
from bot.blocks.finished import action_line, finished_text
from bot.blocks.preview_cases import cases
from bot.blocks.quorum import build_quorum_reply
from bot.blocks.request import build_request_message
from bot.blocks.show_all import build_show_all_modal
from bot.blocks.view import RequestView

PHONE_CHARS = 40  # characters to a line at 400 px


def render(view: RequestView) -> dict[str, dict[str, Any]]:
    """Each builder's output for one request: ``{builder: {"text", "blocks"}}``."""
    out: dict[str, dict[str, Any]] = {}
    for name, (text, blocks) in {
        "request": build_request_message(view),
        "quorum": build_quorum_reply(view),
        "dm": build_dm_message(view, channel="C0APPROVALS", link=None),
    }.items():
        out[name] = {"text": text, "blocks": blocks}
    modal = build_show_all_modal(view, thread_id="thread-1")
    out["show_all"] = {"text": "", "blocks": modal["blocks"]}
    lines = [action_line(a.action, a.args, a.status) for a in view.actions if not a.pending]
    out["finished"] = {"text": finished_text({"status": "done"}, lines), "blocks": []}
    return out


def _texts(block: dict[str, Any]) -> list[str]:
    found = [block["text"]["text"]] if isinstance(block.get("text"), dict) else []
    found += [f["text"] for f in block.get("fields", [])]
    found += [e["text"] for e in block.get("elements", []) if isinstance(e.get("text"), str)]
    return found


def lines_before_buttons(blocks: list[dict[str, Any]]) -> int:
    """About how many lines a 400 px screen shows above the first row of buttons."""
    total = 0
    for block in blocks:
        if block["type"] == "actions":
            break
        for text in _texts(block):
            total += sum(max(1, math.ceil(len(line) / PHONE_CHARS)) for line in text.split("\n"))
    return total


def main(argv: list[str] | None = None) -> None:
    """Print the rendering of every case (or of the named ones) as JSON."""
    names = (argv if argv is not None else sys.argv[1:]) or list(cases())
    views = cases()
    print(json.dumps({n: render(views[n]) for n in names}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
