"""Fuzzing /slack/events: malformed, truncated, oversized, wrongly typed, (un)signed bodies.

Never a 5xx, never a state change. Hypothesis runs in a worker thread with blocking
HTTP calls while the bot keeps serving on the test's event loop.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.harness import Harness, click_payload
from support.signing import sign

ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=12,
)
BROKEN_PATHS = ["actions", "actions.0", "actions.0.value", "type", "payload"]


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def _break(payload: dict[str, Any], path: str, value: Any) -> Any:
    """Replace one essential part of a click with a wrongly typed or garbage value."""
    if path == "payload":
        return value
    if path == "type":
        payload["type"] = value if value != "block_actions" else None
        payload["actions"][0]["value"] = "not-an-id"
        return payload
    if path == "actions":
        payload["actions"] = value if isinstance(value, dict | str | int | None) else {}
        return payload
    if path == "actions.0":
        payload["actions"] = [value if not isinstance(value, dict) else {"value": value}]
        return payload
    payload["actions"][0]["value"] = _not_an_id(value)
    return payload


def _not_an_id(value: Any) -> Any:
    """``value``, unless ``int()`` would read an id from it (then a list holding it)."""
    try:
        int(value)
    except (TypeError, ValueError):
        return value
    return [value]


def _bodies(approval_id: int, value: str) -> st.SearchStrategy[tuple[bytes, bool]]:
    click = json.dumps(click_payload("approve", approval_id, user="UFUZZ", value=value))
    truncated = st.integers(0, len(click) - 1).map(lambda n: urlencode({"payload": click[:n]}))
    typed = st.tuples(st.sampled_from(BROKEN_PATHS), ANY_JSON).map(
        lambda pv: urlencode({"payload": json.dumps(
            _break(json.loads(click), pv[0], pv[1]))}))
    garbage = st.text(max_size=300) | ANY_JSON.map(json.dumps)
    valid_unsigned = st.just(urlencode({"payload": click}))
    text = truncated | typed | garbage
    return st.one_of(
        st.tuples(text.map(str.encode), st.booleans()),
        st.tuples(valid_unsigned.map(str.encode), st.just(False)),
        st.tuples(st.binary(max_size=200), st.booleans()),
    )


def _fuzz(url: str, approval_id: int, value: str) -> None:
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(_bodies(approval_id, value), st.sampled_from(["form", "json", "none"]))
    def one(case: tuple[bytes, bool], kind: str) -> None:
        body, signed = case
        headers = sign(body.decode("utf-8", "replace")) if signed else {}
        if signed and b"\x00" not in body:
            headers = sign(body.decode("latin-1"))
        headers["Content-Type"] = {"form": "application/x-www-form-urlencoded",
                                   "json": "application/json", "none": "text/plain"}[kind]
        status = _post(url, body, headers)
        assert status < 500, (status, body[:200])
        assert status == 200 or not signed or status in (400, 401, 404, 413), status

    one()


async def test_fuzzed_requests_never_5xx_and_change_nothing(harness: Harness) -> None:
    started = await harness.start("counting", {"amount": 5, "recipient": "acme"})
    approval_id = (await harness.approval_ids(started.thread_id))[0]
    before = await harness.rows("SELECT id, event FROM audit_log ORDER BY id")
    url = f"{harness.base_url}/slack/events"

    await asyncio.to_thread(_fuzz, url, approval_id, await harness.value_of(approval_id))
    huge = b"payload=" + b"a" * (1024 * 1024 + 10)
    big = await asyncio.to_thread(_post, url, huge, sign(huge.decode()))
    assert big == 413

    await asyncio.sleep(0.5)  # any background work a request started has run by now
    assert await harness.rows("SELECT id, event FROM audit_log ORDER BY id") == before
    approvals = await harness.rows("SELECT status FROM approvals")
    assert [a["status"] for a in approvals] == ["pending"]
    assert await harness.rows("SELECT * FROM votes") == []
    assert await harness.run_status(started.thread_id) == "waiting"
