"""Threads found on a LangGraph Server, parsed from what the server says about them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from graphs.remote import is_thread_id, pending_of


def waiting_ids(thread: dict[str, Any]) -> tuple[str, ...]:
    """The ids of the interrupts a thread (``threads.get`` / ``search`` item) waits at."""
    if thread.get("status") != "interrupted":
        return ()
    found = thread.get("interrupts")
    groups = found.values() if isinstance(found, dict) else []
    return tuple(p.id for items in groups for p in pending_of(items))


@dataclass(frozen=True)
class ServerThread:
    """What the bot takes from a server thread to adopt it: ids and the approvals metadata.

    Thread metadata is a claim, not an authority: anyone who can reach the server can
    write it. ``graph`` and ``assistant_id`` are what the metadata says until
    :meth:`graphs.runners.Runners.verified` replaces them with the assistant the thread's
    run actually used. ``claimed_by`` is the ``requested_by`` the metadata names, shown as
    a claim; ``requested_by`` (the requester for self-approval) is set only from the key
    the operator says the server's own auth writes (``LANGGRAPH_REQUESTER_KEY``).
    """

    thread_id: str
    graph: str
    assistant_id: str | None
    channel: str | None
    requested_by: str | None
    waiting: tuple[str, ...] = ()  # the ids of the interrupts it waits at, if interrupted
    claimed_by: str | None = None


_CHANNEL = re.compile(r"[A-Za-z0-9][\w.-]{0,79}")  # an id like C0123 (or a plain channel name)
_USER = re.compile(r"[UW][A-Z0-9]{2,20}")  # rendered as a mention, so an exact user id only


def _user(value: Any) -> str | None:
    return value if isinstance(value, str) and _USER.fullmatch(value) else None


def server_thread(found: dict[str, Any], *, requester_key: str | None = None
                  ) -> ServerThread | None:
    """Parse a thread from the server; None when it has no usable id or graph id.

    Metadata can be written by anyone who can reach the server, so a channel or a
    requester of the wrong shape is dropped (the defaults apply), never passed on.
    """
    meta = found.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    thread_id, graph = found.get("thread_id"), meta.get("graph_id")
    if not is_thread_id(thread_id) or not isinstance(graph, str) or not graph:
        return None
    assistant = meta.get("assistant_id")
    channel, user = meta.get("approvals_channel"), meta.get("requested_by")
    return ServerThread(
        thread_id=str(thread_id),
        graph=graph[:200],
        assistant_id=assistant if is_thread_id(assistant) else None,
        channel=channel if isinstance(channel, str) and _CHANNEL.fullmatch(channel) else None,
        requested_by=_user(meta.get(requester_key)) if requester_key else None,
        waiting=waiting_ids(found),
        claimed_by=_user(user),
    )
