"""``GET /metrics``: prometheus-client's exposition, with the histograms an operator needs."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import COUNTERS, METRICS, Metrics

from support.harness import Harness, eventually


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _count(samples: dict, name: str, **labels: str) -> float:
    return samples.get((f"{name}_count", tuple(sorted(labels.items()))), 0.0)


async def _scrape(harness: Harness) -> dict:
    async with harness.http.get(f"{harness.base_url}/metrics") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain; version=")
        return _samples(await resp.text())


async def test_histograms_time_acks_commits_resumes_and_slack_calls(harness: Harness) -> None:
    before = await _scrape(harness)
    started = await harness.start("payments", {"amount": 2500, "recipient": "acme"})
    approval_id = (await harness.approval_ids(started.thread_id))[0]
    harness.fake.errors["chat.update"] = "channel_not_found"
    await harness.click("approve", approval_id, user="UALICE")
    await harness.wait_done(started.thread_id)

    async def scraped() -> dict | None:
        after = await _scrape(harness)
        name = "approvals_slack_call_seconds"
        failed = dict(method="chat.update", outcome="channel_not_found")
        return after if _count(after, name, **failed) > _count(before, name, **failed) else None

    after = await eventually(scraped)
    for name, labels in [
        ("approvals_ack_seconds", {"type": "block_actions"}),
        ("approvals_decision_commit_seconds", {"outcome": "ok"}),
        ("approvals_resume_seconds", {"outcome": "ok"}),
        ("approvals_slack_call_seconds", {"method": "chat.postMessage", "outcome": "ok"}),
    ]:
        assert _count(after, name, **labels) > _count(before, name, **labels), (name, labels)
    key = ("approvals_decisions_total", (("kind", "approve"),))
    assert after[key] == before.get(key, 0.0) + 1
    assert after[("approvals_database_up", ())] == 1.0


async def test_a_refused_click_is_timed_as_refused(harness: Harness) -> None:
    started = await harness.start("payments", {"amount": 2500, "recipient": "acme"})
    approval_id = (await harness.approval_ids(started.thread_id))[0]
    refused = METRICS.value("approvals_decision_commit_seconds", outcome="refused")
    await harness.click("approve", approval_id, user="UREQ")  # the requester may not approve

    async def counted() -> bool:
        now = METRICS.value("approvals_decision_commit_seconds", outcome="refused")
        return now == refused + 1

    await eventually(counted)


async def test_a_forged_payload_type_mints_no_new_series(harness: Harness) -> None:
    await harness.post_slack('{"type": "made_up_kind"}', {"Content-Type": "application/json"})
    samples = await _scrape(harness)
    kinds = {dict(labels).get("type") for (name, labels) in samples if "ack" in name}
    assert "made_up_kind" not in kinds and "other" in kinds


def test_declaring_a_counter_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(COUNTERS, "approvals_test_things_total", ("Things.", ("kind",)))
    metrics = Metrics()  # a registry of its own: nothing leaks into METRICS
    metrics.inc("approvals_test_things_total", kind="a")
    metrics.inc("approvals_test_things_total", 2, kind="a")
    assert metrics.value("approvals_test_things_total", kind="a") == 3
    assert METRICS.value("approvals_test_things_total", kind="a") == 0
    text = metrics.render({"approvals_pending_requests": 4})
    assert 'approvals_test_things_total{kind="a"} 3.0' in text
    assert "approvals_pending_requests 4.0" in text
    # A call site never breaks on a counter nobody declared, or on labels that do not fit.
    metrics.inc("approvals_undeclared_total", kind="x")
    metrics.inc("approvals_test_things_total", other="y")
    assert metrics.value("approvals_undeclared_total", kind="x") == 1
