"""The direct message that carries a request to one approver: the request and a link."""

from __future__ import annotations

from typing import Any

from bot.blocks.format import escape, mention
from bot.blocks.format import link as link_to
from bot.blocks.parts import MAX_BLOCKS, context
from bot.blocks.request import build_request_message
from bot.blocks.view import RequestView


def where_line(*, channel: str, link: str | None) -> str:
    """``📍 Posted in #channel: open the request`` (a plain channel name without a link)."""
    place = f"<#{escape(channel)}>"
    if linked := link_to(link, "open the request"):
        return f"📍 Posted in {place}: {linked}"
    return f"📍 Posted in {place}"


def build_dm_message(
    view: RequestView, *, channel: str, link: str | None
) -> tuple[str, list[dict[str, Any]]]:
    """The request message as a DM: the same buttons, and where it was posted.

    A decision made here or in the channel rewrites both from the same stored state.
    """
    text, blocks = build_request_message(view)
    where = context(f"{asks_line(view)}\n{where_line(channel=channel, link=link)}")
    if len(blocks) < MAX_BLOCKS:
        blocks = [blocks[0], where, *blocks[1:]]
    return text, blocks


def asks_line(view: RequestView) -> str:
    """``👋 <@UALICE> asks you to approve this: you are one of the people who can.``"""
    who = mention(view.requested_by) if view.requested_by else "A run"
    if not view.requested_by and view.claimed_by:
        who = f"{mention(view.claimed_by)} _(claimed by the run, not verified)_"
    if not view.pending:
        return f"👋 {who} asked you to approve this."
    return f"👋 *{who} asks you to approve this*: you are one of the people who can."
