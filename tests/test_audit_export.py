"""The audit export: ``python -m bot audit --since … --until … [--graph G] [--format …]``
and ``GET /api/audit`` (bearer token, paginated)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from support.harness import Harness
from support.procs import bot_env, run_cli

TOKEN = "audit-secret"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"approvals_api_token": TOKEN}


async def _approved(harness: Harness, graph: str, amount: int) -> str:
    """A run approved through a signed click, finished: its thread id."""
    started = await harness.start(graph, {"amount": amount, "recipient": "acme"})
    (approval_id,) = await harness.approval_ids(started.thread_id)
    status, _ = await harness.click("approve", approval_id, user="UALICE")
    assert status == 200
    await harness.wait_done(started.thread_id)
    return started.thread_id


def _jsonl(out: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    records = [json.loads(line) for line in out.splitlines()]
    events = [r for r in records if r["record"] == "event"]
    heads = [r for r in records if r["record"] == "head"]
    assert records == events + heads  # the heads come after every event
    return events, heads


async def _ids(harness: Harness, where: str, *params: Any) -> list[int]:
    rows = await harness.rows(f"SELECT id FROM audit_log WHERE {where} ORDER BY id", *params)
    return [int(r["id"]) for r in rows]


async def test_export_filters_by_graph_and_window_in_both_formats(
    harness: Harness, database_url: str
) -> None:
    env = bot_env(database_url, harness.fake)
    counting = await _approved(harness, "counting", 5)
    payments = await _approved(harness, "payments", 2500)

    code, out, err = await run_cli("audit", "--graph", "counting", env=env)
    assert code == 0, err
    events, heads = _jsonl(out)
    assert [e["id"] for e in events] == await _ids(harness, "thread_id = %s", counting)
    assert {e["graph"] for e in events} == {"counting"}
    approved = next(e for e in events if e["event"] == "approved")
    assert approved["actor"] == "UALICE" and approved["action"] == "pay"
    assert approved["args_before"] == {"amount": 5, "recipient": "acme"}
    assert approved["at"].endswith("Z") and approved["policy"]["required_approvals"] == 1
    state = await harness.graph_state("counting", counting)
    assert state.values["status"] == "paid"
    # the decision id the run itself was resumed with
    assert approved["decision_id"] == state.values["decision"]["decision_id"]
    assert heads == [{"record": "head", "chain": counting, "seq": events[-1]["seq"],
                      "hash": events[-1]["hash"]}]

    # a window: from the counting run's approval up to the payments run's first event
    first_payment = await harness.rows(
        "SELECT min(at) AS at FROM audit_log WHERE thread_id = %s", payments)
    until = first_payment[0]["at"].isoformat()
    code, out, err = await run_cli("audit", "--since", approved["at"], "--until", until, env=env)
    assert code == 0, err
    window, _ = _jsonl(out)
    assert [e["id"] for e in window] == await _ids(
        harness, "at >= %s AND at < %s", approved["at"], first_payment[0]["at"])
    assert approved["id"] in [e["id"] for e in window]
    assert {e["thread_id"] for e in window} == {counting}

    code, out, err = await run_cli(
        "audit", "--since", "2000-01-01", "--graph", "payments", "--format", "csv", env=env)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    csv_events = [r for r in rows if r["record"] == "event"]
    assert [int(r["id"]) for r in csv_events] == await _ids(harness, "thread_id = %s", payments)
    approved_row = next(r for r in csv_events if r["event"] == "approved")
    assert json.loads(approved_row["args_before"]) == {"amount": 2500, "recipient": "acme"}
    assert [r["chain"] for r in rows if r["record"] == "head"] == [payments]

    code, _, err = await run_cli("audit", "--since", "yesterday", env=env)
    assert code == 2 and "--since 'yesterday' is not a date or time" in err
    code, out, err = await run_cli("audit", "--until", "2000-01-01", "--format", "csv", env=env)
    assert code == 0 and out.startswith("record,id,at,") and len(out.splitlines()) == 1


async def _get(harness: Harness, token: str | None = TOKEN, **query: Any) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    params = {k: str(v) for k, v in query.items()}
    async with harness.http.get(
        f"{harness.base_url}/api/audit", params=params, headers=headers
    ) as resp:
        return resp.status, await resp.json()


async def test_the_api_pages_through_every_event_with_the_heads(harness: Harness) -> None:
    threads = [await _approved(harness, "counting", n) for n in (1, 2)]
    every = await _ids(harness, "true")
    seen: list[int] = []
    heads: dict[str, Any] = {}
    after = 0
    while True:
        status, body = await _get(harness, limit=4, after=after, graph="counting")
        assert status == 200, body
        assert 0 < len(body["events"]) <= 4
        seen += [e["id"] for e in body["events"]]
        assert {h["chain"] for h in body["heads"]} == {e["chain"] for e in body["events"]}
        heads |= {h["chain"]: h for h in body["heads"]}
        if body["next_after"] is None:
            break
        after = body["next_after"]
    assert seen == every  # all of them, each once, in log order
    last = await harness.rows(
        "SELECT DISTINCT ON (thread_id) thread_id, seq, hash FROM audit_log "
        "ORDER BY thread_id, seq DESC")
    assert {h["chain"]: (h["seq"], h["hash"]) for h in heads.values()} == {
        r["thread_id"]: (r["seq"], r["hash"]) for r in last} and set(heads) == set(threads)

    assert (await _get(harness, token=None))[0] == 401
    assert (await _get(harness, token="wrong"))[0] == 401
    status, body = await _get(harness, since="soon")
    assert status == 400 and "since" in body["error"]
    assert (await _get(harness, limit=0))[0] == 400
    status, body = await _get(harness, graph="payments")
    assert status == 200 and body == {"events": [], "heads": [], "next_after": None}
