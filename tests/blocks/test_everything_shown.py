"""No value a run sends is ever dropped from what the reviewer sees.

Generated payloads of every shape (generic with and without ``args``, flat dicts with
headline and context keys, strings, lists, numbers) go through the real adapter and the
real message builder; every leaf value must appear in the message or, when Slack's
limits cut it there, in the Show all modal the message then offers.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.blocks.format import escape, number
from bot.blocks.request import build_request_message
from bot.blocks.show_all import build_show_all_modal, show_all_block
from bot.blocks.view import ActionView, RequestView
from graphs.adapters import normalize

TEXT = st.text(alphabet="abcXYZ019 <>&-_.\n", max_size=40) | st.text(
    alphabet="lorem ipsum\n", min_size=2000, max_size=9000)
LEAVES = st.one_of(TEXT, st.integers(-10**9, 10**9), st.booleans(), st.none())
KEYS = st.sampled_from([
    "title", "description", "action", "args", "question", "message", "prompt", "context",
    "reasoning", "rationale", "explanation", "amount", "to", "body", "plan", "draft",
]) | st.text(alphabet="abcdefgh_", min_size=1, max_size=8)
VALUES = st.recursive(LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=4)), max_leaves=10)
PAYLOADS = st.one_of(VALUES, st.dictionaries(KEYS, VALUES, min_size=1, max_size=8))


def leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in leaves(item)]
    return [value]


def shown(payload: Any) -> str:
    """Everything the reviewer can read: the message, and Show all's modal if offered."""
    request = normalize(payload)
    view = RequestView(
        request_id=7, title=request.title, description=request.description,
        requested_by="UREQ", graph="g", context=request.context,
        actions=[ActionView(approval_id=i, action=a, args=a.args, status="pending")
                 for i, a in enumerate(request.actions, start=1)],
    )
    text, blocks = build_request_message(view)
    seen = "\n".join([text, *texts(blocks)])
    if show_all_block(view) is not None:  # its sections hold consecutive parts of a value
        seen += "".join(texts(build_show_all_modal(view, thread_id="t")["blocks"]))
    return seen


def texts(node: Any) -> list[str]:
    """Every ``text`` string in a block tree."""
    if isinstance(node, list):
        return [t for item in node for t in texts(item)]
    if not isinstance(node, dict):
        return []
    own = [node["text"]] if isinstance(node.get("text"), str) else []
    return own + [t for value in node.values() for t in texts(value)]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=PAYLOADS)
def test_every_leaf_value_is_shown(payload: Any) -> None:
    seen = shown(payload)
    for leaf in leaves(payload):
        if isinstance(leaf, str):  # as text, or inside a structure as JSON text
            assert escape(leaf) in seen or escape(json.dumps(leaf)[1:-1]) in seen, leaf[:80]
        elif isinstance(leaf, int) and not isinstance(leaf, bool):
            assert number(leaf) in seen or str(leaf) in seen, leaf


def test_a_long_plan_is_offered_whole() -> None:
    plan = "step " * 2000
    seen = shown({"question": "Approve this plan?", "plan": plan})
    assert "Show all" in seen and plan in seen


def test_untrusted_text_is_escaped_in_context_and_show_all() -> None:
    evil = "<!channel> <https://x|y> &"
    request = normalize({"question": evil, "reasoning": evil, "body": evil * 300})
    view = RequestView(
        request_id=7, title=request.title, description=request.description,
        requested_by="UREQ", graph="g", context=request.context,
        actions=[ActionView(approval_id=1, action=request.actions[0],
                            args=request.actions[0].args, status="pending")],
    )
    _, blocks = build_request_message(view)
    modal = build_show_all_modal(view, thread_id="t")
    mrkdwn = mrkdwn_texts(blocks) + mrkdwn_texts(modal["blocks"])
    assert mrkdwn and all("<!channel>" not in t and "<https" not in t for t in mrkdwn)
    assert any(escape(evil) in t for t in mrkdwn_texts(modal["blocks"]))


def mrkdwn_texts(node: Any) -> list[str]:
    """Every mrkdwn text object's text (plain text is never parsed for mentions)."""
    if isinstance(node, list):
        return [t for item in node for t in mrkdwn_texts(item)]
    if not isinstance(node, dict):
        return []
    own = [node["text"]] if node.get("type") == "mrkdwn" else []
    return own + [t for value in node.values() for t in mrkdwn_texts(value)]
