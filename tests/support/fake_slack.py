"""A fake Slack Web API on an ephemeral port: records calls, answers like Slack, injects faults."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from support.blockkit import problems_of_message, problems_of_view

# Not the API's host: links come from chat.getPermalink, never from the API URL.
PERMALINK_HOST = "https://acme-corp.enterprise.slack.test"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    peer: Any = None  # the client's (host, port): which connection the call came on


@dataclass
class Fault:
    status: int  # 429, 500, or 0 for "drop the connection"
    count: int
    retry_after: int = 1


@dataclass
class FakeSlack:
    """Answers Slack Web API methods; tests read ``calls`` and program ``faults``."""

    calls: list[Call] = field(default_factory=list)
    faults: dict[str, Fault] = field(default_factory=dict)
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # method -> Slack error (ok: false)
    invalid: list[str] = field(default_factory=list)  # payloads Slack would have refused
    socket_url: str = ""
    delay_s: float = 0.0
    delays: dict[str, float] = field(default_factory=dict)  # method -> seconds
    delay_plan: dict[str, list[float]] = field(default_factory=dict)  # per call, in order
    team_id: str = "T111"  # what auth.test answers
    emails: dict[str, str] = field(default_factory=dict)  # users.lookupByEmail: email -> id
    enterprise_id: str | None = None
    _ts: Any = field(default_factory=lambda: itertools.count(1))
    url: str = ""
    # Called with (method, params) on every successful call: bench waits on them, not polls.
    watchers: list[Callable[[str, dict[str, Any]], None]] = field(default_factory=list)
    _transports: set[Any] = field(default_factory=set)  # every client connection seen

    def of(self, method: str) -> list[dict[str, Any]]:
        """The params of every successful call to ``method``, in order."""
        return [c.params for c in self.calls if c.method == method]

    def button_value(self, approval_id: int) -> str | None:
        """The value of the approval's buttons in the latest message that shows them."""
        for call in reversed(self.calls):
            if call.method not in ("chat.postMessage", "chat.update"):
                continue
            for block in call.params.get("blocks") or []:
                for element in block.get("elements") or []:
                    value = element.get("value") if isinstance(element, dict) else None
                    if isinstance(value, str) and value.startswith(f"{approval_id}:"):
                        return value
        return None

    def fail(self, method: str, status: int, count: int, retry_after: int = 1) -> None:
        """Answer the next ``count`` calls to ``method`` with ``status`` (0 drops them)."""
        self.faults[method] = Fault(status, count, retry_after)

    def drop_connections(self) -> None:
        """Close every client connection, as a server does with idle kept-alive ones."""
        for transport in self._transports:
            transport.close()
        self._transports.clear()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        self._transports.add(request.transport)
        fault = self.faults.get(method) or self.faults.get("*")
        if fault and fault.count > 0:
            fault.count -= 1
            if fault.status == 0:
                assert request.transport is not None
                request.transport.close()
                return web.Response(status=500)
            headers = {"Retry-After": str(fault.retry_after)} if fault.status == 429 else {}
            return web.json_response(
                {"ok": False, "error": "fault"}, status=fault.status, headers=headers
            )
        params = await _params(request)
        if self.delay_plan.get(method):
            await asyncio.sleep(self.delay_plan[method].pop(0))
        elif self.delay_s or method in self.delays:
            await asyncio.sleep(self.delays.get(method, self.delay_s))
        if method in self.errors:
            return web.json_response({"ok": False, "error": self.errors[method]})
        if method == "users.lookupByEmail" and params.get("email") not in self.emails:
            return web.json_response({"ok": False, "error": "users_not_found"})
        problems = _problems(method, params)
        if problems:
            self.invalid.append(f"{method}: {problems}")
            return web.json_response({"ok": False, "error": "invalid_blocks", "errors": problems})
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.calls.append(Call(method, params, peer))
        for watch in self.watchers:
            watch(method, params)
        return web.json_response(self.answer(method, params))

    def answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "chat.postMessage": lambda p: {
                "channel": _channel(p["channel"]),
                "ts": f"1700000000.{next(self._ts):06d}",
                "message": {"text": p.get("text")},
            },
            "chat.update": lambda p: {"channel": p["channel"], "ts": p["ts"]},
            "chat.getPermalink": lambda p: {
                "channel": p["channel"],
                "permalink": f"{PERMALINK_HOST}/archives/{p['channel']}/p"
                + p["message_ts"].replace(".", ""),
            },
            "chat.postEphemeral": lambda p: {"message_ts": f"1700000001.{next(self._ts):06d}"},
            "views.open": lambda p: {"view": {"id": "V123", **_json(p.get("view"))}},
            "usergroups.users.list": lambda p: {"users": self.usergroups.get(p["usergroup"], [])},
            "auth.test": lambda p: {
                "user_id": "UBOT",
                "team_id": self.team_id,
                "bot_id": "B111",
                **({"enterprise_id": self.enterprise_id} if self.enterprise_id else {}),
            },
            "apps.connections.open": lambda p: {"url": self.socket_url},
            "users.lookupByEmail": lambda p: {
                "user": {"id": self.emails[p["email"]], "profile": {"email": p["email"]}}
            },
        }
        return {"ok": True, **handlers.get(method, lambda p: {})(params)}


MESSAGES = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral"})
VIEWS = frozenset({"views.open", "views.update", "views.push", "views.publish"})


def _problems(method: str, params: dict[str, Any]) -> list[str]:
    """Slack's own checks of what it is sent: Block Kit validity and the block caps."""
    if method in MESSAGES:
        return problems_of_message(params)
    if method in VIEWS:
        return problems_of_view(params.get("view"))
    return []


def _channel(channel: str) -> str:
    return "C" + channel.lstrip("#").upper()[:10] if channel.startswith("#") else channel


def _json(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return json.loads(value)  # type: ignore[no-any-return]
    return value or {}


async def _params(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if request.content_type == "application/json":
        params = json.loads(raw or b"{}")
    else:
        params = dict(parse_qsl(raw.decode()))
        params.update(request.query)
    for key in ("blocks", "view"):
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    return params  # type: ignore[no-any-return]


async def start_fake_slack(fake: FakeSlack) -> web.AppRunner:
    """Serve ``fake`` on 127.0.0.1 at an ephemeral port; sets ``fake.url``."""
    app = web.Application()
    # slack_sdk reads some methods (usergroups.users.list) with GET, posts the rest
    app.router.add_route("*", "/api/{method}", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    fake.url = f"http://127.0.0.1:{port}/api/"
    return runner
