"""The bot served for real on an ephemeral port, driven with signed Slack requests."""

from __future__ import annotations

import asyncio
import copy
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bot.blocks.version import Version, encode_ref, parse_ref
from bot.engine.decide import Decided, decide
from bot.engine.deps import Deps
from bot.engine.flow import RunStarted, start_run

from support.blockkit import check_view
from support.fake_slack import FakeSlack
from support.signing import interaction_body, sign

SAMPLES = Path(__file__).resolve().parent.parent / "slack_samples"
# How long a wait for background work may take before the test fails: generous, for a
# loaded machine (a real server under two busy cores); a passing wait ends at once.
WAIT_S = 60.0


def sample(name: str) -> dict[str, Any]:
    """One of Slack's real payloads (copied from shared/slack-samples)."""
    return json.loads((SAMPLES / name).read_text())  # type: ignore[no-any-return]


def click_payload(
    kind: str,
    approval_id: int | str,
    *,
    user: str,
    channel: str = "C0APPROVALS",
    message_ts: str = "1700000000.000001",
    value: str | None = None,
) -> dict[str, Any]:
    """A block_actions payload shaped like Slack's, for one of our buttons.

    ``value`` is the button's value (``APPROVAL:ROUND:DIGEST``, see
    :func:`button_value`); it defaults to the bare id, which names no version.
    """
    payload = sample("block_actions__bolt_async_test_block_actions.json")
    payload["user"]["id"] = user
    payload["channel"]["id"] = channel
    payload["container"].update(channel_id=channel, message_ts=message_ts, is_ephemeral=False)
    payload["actions"][0].update(
        action_id=kind,
        block_id=f"decide:{approval_id}",
        value=value if value is not None else str(approval_id),
    )
    return payload


SELECT_VERSION = "SELECT round, args FROM approvals WHERE id = %s"


async def button_value(conn: Any, approval_id: int) -> str:
    """The value the approval's buttons carry right now (its current version)."""
    cur = await conn.execute(SELECT_VERSION, (approval_id,))
    row = await cur.fetchone()
    if row is None:
        return str(approval_id)
    return encode_ref(approval_id, row["round"], row["args"])


def view_payload(view: dict[str, Any], values: dict[str, Any], *, user: str) -> dict[str, Any]:
    """A view_submission payload for a modal we built, with ``values`` as its state."""
    payload = sample("view_submission__bolt_async_test_view_submission.json")
    payload["user"]["id"] = user
    payload["view"].update(
        callback_id=view["callback_id"],
        private_metadata=view["private_metadata"],
        blocks=copy.deepcopy(view["blocks"]),
        state={"values": values},
    )
    return payload


@dataclass
class Harness:
    """One bot instance (real HTTP server) with its fake Slack."""

    base_url: str
    http: aiohttp.ClientSession
    deps: Deps
    fake: FakeSlack

    async def post_slack(self, body: str, headers: dict[str, str]) -> tuple[int, str]:
        """POST a raw body to /slack/events."""
        async with self.http.post(
            f"{self.base_url}/slack/events", data=body.encode(), headers=headers
        ) as resp:
            return resp.status, await resp.text()

    async def send(self, payload: dict[str, Any]) -> tuple[int, str]:
        """Sign and send one interaction payload."""
        body = interaction_body(payload)
        return await self.post_slack(body, sign(body))

    async def click(
        self, kind: str, approval_id: int | str, *, user: str, value: str | None = None
    ) -> tuple[int, str]:
        """Click one of our buttons as ``user``, on the version the message shows now
        (or on ``value``: an older button, a forged one). Cancel's menu carries the id."""
        if value is None and kind == "cancel":
            value = str(approval_id)
        if value is None and isinstance(approval_id, int):
            value = await self.value_of(approval_id)
        return await self.send(click_payload(kind, approval_id, user=user, value=value))

    async def approve(self, approval_id: int, *, user: str) -> Decided:
        """Approve the current version through the engine directly, as a colleague in the
        bot's own workspace (``T111``, what the fake Slack's ``auth.test`` says), with no
        click: the live render and resume do not run."""
        return await decide(
            self.deps,
            approval_id,
            user=user,
            kind="approve",
            version=await self.version_of(approval_id),
            team="T111",
        )

    async def version_of(self, approval_id: int) -> Version:
        """The approval's current version, for calling the engine's ``decide`` directly."""
        ref = parse_ref(await self.value_of(approval_id))
        assert ref is not None, approval_id
        return ref.version

    async def value_of(self, approval_id: int) -> str:
        """The value of the approval's buttons at its current version."""
        async with self.deps.pool.connection() as conn:
            return await button_value(conn, approval_id)

    async def submit(self, view: dict[str, Any], values: dict[str, Any], *, user: str) -> Any:
        """Submit a modal; returns the JSON answer (``{}`` when it simply closes)."""
        status, text = await self.send(view_payload(view, values, user=user))
        assert status == 200, text
        answer = json.loads(text) if text else {}
        if "view" in answer:  # response_action "update" or "push": a view Slack validates
            check_view(answer["view"])
        return answer

    async def open_form(self, kind: str, approval_id: int, *, user: str) -> dict[str, Any]:
        """Click Edit, Reject or Respond; return the modal the bot opened with views.open."""
        opened = len(self.fake.of("views.open"))
        status, _ = await self.click(kind, approval_id, user=user)
        assert status == 200

        async def modal() -> list[dict[str, Any]]:
            return self.fake.of("views.open")[opened:]

        new = await eventually(modal)
        assert len(new) == 1, f"one click opened {len(new)} modals"
        return new[0]["view"]  # type: ignore[no-any-return]

    async def start(self, graph: str, run_input: Any, *, requested_by: str = "UREQ") -> RunStarted:
        """Start a run as ``python -m bot run`` does."""
        return await start_run(
            self.deps, graph, run_input, channel="C0APPROVALS", requested_by=requested_by
        )

    async def wait_done(self, thread_id: str, *, within: float = WAIT_S) -> None:
        """Wait until the run is ``done`` (its resume and finish happen after the ack)."""

        async def done() -> bool:
            return await self.run_status(thread_id) == "done"

        await eventually(done, timeout=within)

    async def rows(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        """Rows of a query on the test database."""
        async with self.deps.pool.connection() as conn:
            cur = await conn.execute(sql, params)
            return await cur.fetchall()

    async def approval_ids(self, thread_id: str) -> list[int]:
        """The approval ids of a run's open requests, in order."""
        rows = await self.rows(
            "SELECT a.id FROM approvals a JOIN requests r ON r.id = a.request_id "
            "WHERE r.thread_id = %s AND r.resumed_at IS NULL ORDER BY r.id, a.idx",
            thread_id,
        )
        return [int(r["id"]) for r in rows]

    async def run_status(self, thread_id: str) -> str:
        rows = await self.rows("SELECT status FROM runs WHERE thread_id = %s", thread_id)
        return str(rows[0]["status"])

    async def graph_state(self, graph: str, thread_id: str) -> Any:
        """The LangGraph state of a run, read through the checkpointer."""
        compiled = self.deps.graphs.build(graph, self.deps.checkpointer)
        return await compiled.aget_state({"configurable": {"thread_id": thread_id}})


async def eventually(
    check: Callable[[], Awaitable[Any]],
    *,
    timeout: float = WAIT_S,  # noqa: ASYNC109 - a polling deadline, not a cancellation scope
) -> Any:
    """Poll ``check`` until it returns something truthy (background work finishes)."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last: {result!r})")
        await asyncio.sleep(0.05)


def reason_values(view: dict[str, Any], text: str) -> dict[str, Any]:
    """The state Slack sends for a reason (or response) modal with ``text`` typed in."""
    block = next(b for b in view["blocks"] if b["type"] == "input")
    entry = {"type": "plain_text_input", "value": text}
    return {block["block_id"]: {block["element"]["action_id"]: entry}}
