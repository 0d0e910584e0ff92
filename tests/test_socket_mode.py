"""Socket Mode: ``serve`` with SLACK_APP_TOKEN opens a WebSocket from apps.connections.open."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from support.fake_slack import FakeSlack
from support.harness import Harness, click_payload, eventually

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FakeSocket:
    """Slack's Socket Mode server: says hello, pushes envelopes, collects acks."""

    def __init__(self) -> None:
        self.outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.acks: list[dict[str, Any]] = []

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1})

        async def push() -> None:
            while True:
                await ws.send_json(await self.outbox.get())

        pusher = asyncio.ensure_future(push())
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                self.acks.append(json.loads(msg.data))
        pusher.cancel()
        return ws


async def test_socket_mode_click_is_acked_and_resumes(
    harness: Harness, database_url: str, fake_slack: FakeSlack
) -> None:
    sock = FakeSocket()
    app = web.Application()
    app.router.add_get("/ws", sock.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    fake_slack.socket_url = f"ws://127.0.0.1:{port}/ws"
    started = await harness.start("payments", {"amount": 7000, "recipient": "acme"})
    approval_id = (await harness.approval_ids(started.thread_id))[0]
    button = await harness.value_of(approval_id)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "APPROVALS_"))}
    serve_port = _free_port()
    env.update(
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_APP_TOKEN="xapp-test",
        SLACK_API_URL=fake_slack.url,
        DATABASE_URL=database_url,
        PORT=str(serve_port),
        APPROVALS_SWEEP_S="3600",
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", cwd=ROOT, env=env
    )
    try:
        await sock.outbox.put(
            {
                "envelope_id": "env-1",
                "type": "interactive",
                "accepts_response_payload": False,
                "payload": click_payload(
                    "approve", approval_id, user="UALICE", value=button
                ),
            }
        )

        async def acked() -> bool:
            return any(a.get("envelope_id") == "env-1" for a in sock.acks)

        await eventually(acked, timeout=30)

        await harness.wait_done(started.thread_id, within=30)
        assert (await harness.graph_state("payments", started.thread_id)).values["status"] == "paid"
        metrics = f"http://127.0.0.1:{serve_port}/metrics"
        async with harness.http.get(metrics) as resp:
            text = await resp.text()
        assert 'approvals_ack_seconds_count{type="block_actions"} 1.0' in text  # timed, too
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), timeout=30) == 0
        await runner.cleanup()
