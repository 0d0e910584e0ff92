"""The HTTP routes other than Slack's: the runs API, health and metrics."""

from __future__ import annotations

from typing import Any

import pytest

from support.harness import Harness, eventually

TOKEN = "api-secret"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"approvals_api_token": TOKEN}


async def _post_run(harness: Harness, body: Any, token: str | None = TOKEN) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with harness.http.post(
        f"{harness.base_url}/api/runs", json=body, headers=headers
    ) as resp:
        return resp.status, await resp.json()


async def test_start_a_run_over_http(harness: Harness) -> None:
    status, body = await _post_run(
        harness,
        {
            "graph": "payments",
            "input": {"amount": 1500, "recipient": "acme"},
            "requested_by": "UREQ",
        },
    )
    assert status == 201 and body["status"] == "waiting" and len(body["requests"]) == 1
    posts = harness.fake.of("chat.postMessage")
    assert posts[0]["channel"] == "C0APPROVALS"  # APPROVALS_CHANNEL when none is given
    approval_id = (await harness.approval_ids(body["thread_id"]))[0]
    await harness.click("approve", approval_id, user="UALICE")

    await harness.wait_done(body["thread_id"])


async def test_runs_api_refuses_bad_tokens_and_bodies(harness: Harness) -> None:
    run = {"graph": "payments", "input": {"amount": 1500, "recipient": "acme"}}
    assert (await _post_run(harness, run, token=None))[0] == 401
    assert (await _post_run(harness, run, token="wrong"))[0] == 401
    assert (await _post_run(harness, {"input": {}}))[0] == 400
    status, body = await _post_run(harness, {"graph": "nope", "input": {}})
    assert status == 404 and "payments" in body["error"]
    assert not await harness.rows("SELECT 1 FROM runs")


async def test_health_and_metrics(harness: Harness) -> None:
    async with harness.http.get(f"{harness.base_url}/healthz") as resp:
        assert resp.status == 200 and (await resp.json())["database"] == "up"
    started = await harness.start("payments", {"amount": 2500, "recipient": "acme"})
    approval_id = (await harness.approval_ids(started.thread_id))[0]
    await harness.click("approve", approval_id, user="UALICE")
    await harness.click("approve", approval_id, user="UALICE")

    async def refused() -> bool:
        return len(harness.fake.of("chat.postEphemeral")) == 1

    await eventually(refused)

    await harness.wait_done(started.thread_id)
    async with harness.http.get(f"{harness.base_url}/metrics") as resp:
        text = await resp.text()
    assert resp.status == 200
    assert 'approvals_decisions_total{kind="approve"} ' in text
    assert 'approvals_refusals_total{kind="approve"} ' in text
    assert "approvals_database_up 1.0" in text
    for counter in ("approvals_resumes_total", "approvals_requests_posted_total"):
        assert any(
            line.startswith(counter + " ") and float(line.split()[1]) >= 1
            for line in text.splitlines()
        ), counter


async def test_runs_api_names_the_bad_field_and_leaves_no_row(harness: Harness) -> None:
    """Hole 6: non-string channel or requester, or an input the graph cannot take, got a
    500 (the last one left a run ``running`` forever); a bare token was accepted."""
    pay = {"amount": 1500, "recipient": "acme"}
    cases = [
        ({"graph": "payments", "input": pay, "channel": 123}, "channel"),
        ({"graph": "payments", "input": pay, "channel": ["C1"]}, "channel"),
        ({"graph": "payments", "input": pay, "requested_by": {"id": "U1"}}, "requested_by"),
        ({"graph": "payments", "input": pay, "requested_by": "<!channel>"}, "requested_by"),
        ({"graph": "payments", "input": "pay me"}, "input"),
        ({"graph": "payments", "input": {}}, "input"),  # the graph itself fails on it
        ({"graph": "payments", "input": {"amount": "lots", "recipient": "x"}}, "input"),
        ({"graph": 7, "input": pay}, "graph"),
    ]
    for body, field in cases:
        status, answer = await _post_run(harness, body)
        assert status in (400, 422) and answer["field"] == field, (body, status, answer)
    status, answer = await _post_run(harness, ["not", "an", "object"])
    assert status == 400 and answer["field"] == "body"
    assert not await harness.rows("SELECT 1 FROM runs")
    assert not await harness.rows("SELECT 1 FROM checkpoints")

    headers = {"Authorization": TOKEN}  # the token without "Bearer "
    run = {"graph": "payments", "input": pay}
    async with harness.http.post(
        f"{harness.base_url}/api/runs", json=run, headers=headers
    ) as resp:
        assert resp.status == 401
    assert not await harness.rows("SELECT 1 FROM runs")
