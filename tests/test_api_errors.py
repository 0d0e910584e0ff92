"""Every bad input to the approvals API is named, and leaves no row and no message."""

from __future__ import annotations

from typing import Any

import pytest

from support.approvals_api import api_settings, call, create
from support.harness import Harness

GOOD = {"action": "refund", "args": {"order": "1234"}}
BAD_BODIES: list[tuple[Any, str]] = [
    ({"args": {}}, "action"),
    ({"action": ""}, "action"),
    ({"action": 7}, "action"),
    ({**GOOD, "args": [1, 2]}, "args"),
    ({**GOOD, "args": "x"}, "args"),
    ({**GOOD, "title": 5}, "title"),
    ({**GOOD, "title": "x" * 201}, "title"),
    ({**GOOD, "description": ["x"]}, "description"),
    ({**GOOD, "approval": "strict"}, "approval"),
    ({**GOOD, "approval": {"required_approvals": 0}}, "approval.required_approvals"),
    ({**GOOD, "approval": {"required_approvals": "2"}}, "approval.required_approvals"),
    ({**GOOD, "approval": {"approvers": ["<!channel>"]}}, "approval.approvers"),
    ({**GOOD, "approval": {"bogus": 1}}, "approval.bogus"),
    ({**GOOD, "graph": "has space"}, "graph"),
    ({**GOOD, "graph": 3}, "graph"),
    ({**GOOD, "requested_by": "<!channel>"}, "requested_by"),
    ({**GOOD, "requested_by": 12}, "requested_by"),
    ({**GOOD, "requested_by": "nobody@example.com"}, "requested_by"),  # users_not_found
    ({**GOOD, "channel": "#a b"}, "channel"),
    ({**GOOD, "channel": ["C1"]}, "channel"),
    ({**GOOD, "callback_url": "ftp://example.com/x"}, "callback_url"),
    ({**GOOD, "callback_url": "not a url"}, "callback_url"),
    ({**GOOD, "response_schema": {"type": 5}}, "response_schema"),
    ({**GOOD, "response_schema": "object"}, "response_schema"),
    ({**GOOD, "colour": "red"}, "colour"),
]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return api_settings()


async def _nothing_written(harness: Harness) -> None:
    assert not await harness.rows("SELECT 1 FROM runs")
    assert not await harness.rows("SELECT 1 FROM api_requests")
    assert not await harness.rows("SELECT 1 FROM requests")
    assert not harness.fake.of("chat.postMessage")


async def test_every_bad_field_is_named_with_422(harness: Harness) -> None:
    for body, field in BAD_BODIES:
        status, answer = await call(harness, "POST", "/api/approvals", body)
        assert status == 422 and answer["field"] == field, (body, status, answer)
        assert answer["error"]
    await _nothing_written(harness)


async def test_bodies_that_are_not_json_objects_are_400(harness: Harness) -> None:
    for raw in (b"{not json", b'["a", "list"]', b'"text"', b"\xff\xfe"):
        status, answer = await call(harness, "POST", "/api/approvals", data=raw)
        assert status == 400 and answer["field"] == "body", (raw, answer)
    status, answer = await call(harness, "POST", "/api/approvals", data=b" " * (300 * 1024))
    assert status == 413 and answer["field"] == "body"
    big = {**GOOD, "args": {"blob": "x" * (300 * 1024)}}
    status, answer = await call(harness, "POST", "/api/approvals", big)
    assert status == 413
    await _nothing_written(harness)


async def test_tokens_and_headers(harness: Harness) -> None:
    assert (await call(harness, "POST", "/api/approvals", GOOD, token=None))[0] == 401
    assert (await call(harness, "POST", "/api/approvals", GOOD, token="wrong"))[0] == 401
    assert (await call(harness, "GET", "/api/approvals", token="wrong"))[0] == 401
    assert (await call(harness, "GET", "/api/approvals/x", token=None))[0] == 401
    assert (await call(harness, "POST", "/api/approvals/x/cancel", token=None))[0] == 401
    status, answer = await call(harness, "POST", "/api/approvals", GOOD,
                                headers={"Idempotency-Key": "k" * 256})
    assert status == 422 and answer["field"] == "Idempotency-Key"
    await _nothing_written(harness)


async def test_unknown_ids_and_bad_queries(harness: Harness) -> None:
    status, answer = await call(harness, "GET", "/api/approvals/nope")
    assert status == 404 and answer["field"] == "id"
    assert (await call(harness, "GET", "/api/approvals/nope?wait=1"))[0] == 404
    assert (await call(harness, "POST", "/api/approvals/nope/cancel"))[0] == 404
    created = await create(harness, GOOD)
    for wait in ("61", "-1", "soon"):
        status, answer = await call(harness, "GET", f"/api/approvals/{created['id']}?wait={wait}")
        assert status == 422 and answer["field"] == "wait", wait
    for query, field in (("status=bogus", "status"), ("cursor=x", "cursor"),
                         ("limit=0", "limit"), ("limit=500", "limit")):
        status, answer = await call(harness, "GET", f"/api/approvals?{query}")
        assert status == 422 and answer["field"] == field, query
    status, answer = await call(harness, "POST", f"/api/approvals/{created['id']}/cancel",
                                {"reason": 5})
    assert status == 422 and answer["field"] == "reason"


@pytest.mark.parametrize("settings_overrides", [api_settings(approvals_callback_secret=None)])
async def test_callback_url_needs_the_operator_secret(harness: Harness) -> None:
    status, answer = await call(harness, "POST", "/api/approvals",
                                {**GOOD, "callback_url": "https://example.com/hook"})
    assert status == 422 and answer["field"] == "callback_url"
    assert "APPROVALS_CALLBACK_SECRET" in answer["error"]
    await _nothing_written(harness)


@pytest.mark.parametrize("settings_overrides", [api_settings(approvals_channel=None)])
async def test_no_channel_anywhere(harness: Harness) -> None:
    status, answer = await call(harness, "POST", "/api/approvals", GOOD)
    assert status == 422 and answer["field"] == "channel"
    await _nothing_written(harness)


async def test_bodies_are_read_whole_and_bounded_without_a_length(harness: Harness) -> None:
    big = {**GOOD, "args": {"notes": "x" * (120 * 1024)}}  # many chunks, under the limit
    created = await create(harness, big)
    assert created["args"]["notes"] == big["args"]["notes"]

    async def chunks() -> Any:  # chunked transfer encoding: no Content-Length to refuse on
        for _ in range(40):
            yield b" " * (10 * 1024)

    async with harness.http.post(
        f"{harness.base_url}/api/approvals", data=chunks(),
        headers={"Authorization": "Bearer api-secret"},
    ) as resp:
        assert resp.status == 413 and (await resp.json())["field"] == "body"
