"""Prometheus metrics of this process, kept in a registry of their own.

Under ``WEB_CONCURRENCY`` > 1 the supervisor sets ``PROMETHEUS_MULTIPROC_DIR`` for its
workers: each keeps its values in a file there, and whichever worker takes a scrape
answers for all of them (counters and histograms summed, the scrape-time gauges as last
set), so a scrape never shows one worker's share.

Declaring a metric is one line in ``COUNTERS`` or ``HISTOGRAMS``; call sites use
``METRICS.inc(name, **labels)``, ``METRICS.observe(name, seconds, **labels)`` or the
``METRICS.timed(name)`` decorator.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from bot.errors import ApprovalError

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")
_CODE = re.compile(r"[a-z_]{1,40}")  # a Slack error code, e.g. channel_not_found

# name: (help, label names)
COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "approvals_decisions_total": ("Decisions recorded, by kind.", ("kind",)),
    "approvals_refusals_total": ("Clicks refused (not eligible, already decided, …).", ("kind",)),
    "approvals_resumes_total": ("Runs resumed with a decision.", ()),
    "approvals_resume_failures_total": ("Resume attempts that raised.", ()),
    "approvals_requests_posted_total": ("Requests posted to Slack.", ()),
    "approvals_expired_total": ("Requests that timed out.", ()),
    "approvals_resume_attempts_total": ("Executions of a resume started (audited too).", ()),
    "approvals_lease_busy_total": ("Resumes deferred: a live owner held the thread.", ()),
    "approvals_lease_lost_total": ("Resumes stopped: their thread's lease was taken.", ()),
    "approvals_sweep_errors_total": ("Sweeper rows or passes that raised.", ("chore",)),
    "approvals_sweep_rows_failed_total": ("Rows the sweeper gave up on.", ("chore",)),
    "approvals_post_failures_total": ("Failed posts, by Slack error.", ("error",)),
    "approvals_runs_failed_total": ("Runs failed visibly (bad value, Slack refusal).", ()),
    "approvals_usergroup_failures_total": ("usergroups.users.list calls that failed.", ()),
    "approvals_dms_sent_total": ("Requests sent to an approver by DM.", ()),
    "approvals_reminders_sent_total": ("Reminders posted in a request's thread.", ()),
    "approvals_escalations_total": ("Requests escalated after escalate_after_s.", ()),
    "approvals_discovery_threads_read_total": ("Server threads read by discovery.", ("scan",)),
    "approvals_discovery_adopted_total": ("New or changed server threads adopted.", ("scan",)),
    "approvals_discovery_capped_total": ("Discovery passes cut at their cap.", ("scan",)),
    "approvals_discovery_pages_reread_total": ("Pages read again: the set moved.", ("scan",)),
    "approvals_discovery_webhook_reads_total": ("Webhook prompts, by outcome.", ("outcome",)),
}
HISTOGRAMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "approvals_ack_seconds": ("From a Slack request's arrival to its ack.", ("type",)),
    "approvals_decision_commit_seconds": ("Recording one decision.", ("outcome",)),
    "approvals_resume_seconds": ("Resuming one run with a decision.", ("outcome",)),
    "approvals_slack_call_seconds": (
        "One Slack Web API call, retries included.",
        ("method", "outcome"),
    ),
    "approvals_discovery_pass_seconds": ("One discovery tick or reconciliation turn.", ("scan",)),
}
GAUGES: dict[str, str] = {
    "approvals_pending_requests": "Requests waiting for a decision (read at scrape time).",
    "approvals_database_up": "1 when the database answered the scrape, else 0.",
    "approvals_audit_chains_verified": "Audit chains the last `audit verify` found intact.",
    "approvals_audit_chains_broken": "Audit chains the last `audit verify` found broken.",
}
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Slack answers within the 3 s window, so buckets are finer below it.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """Counters, histograms and scrape-time gauges, rendered by ``prometheus-client``."""

    def __init__(self) -> None:
        self.shared = bool(os.environ.get(MULTIPROC_ENV))  # values in files, see above
        self.registry = CollectorRegistry(auto_describe=True)
        self._counters = {
            name: Counter(name, text, labels, registry=self.registry)
            for name, (text, labels) in COUNTERS.items()
        }
        self._histograms = {
            name: Histogram(name, text, labels, registry=self.registry, buckets=BUCKETS)
            for name, (text, labels) in HISTOGRAMS.items()
        }
        self._gauges = {
            name: Gauge(name, text, registry=self.registry, multiprocess_mode="mostrecent")
            for name, text in GAUGES.items()
        }

    def inc(self, name: str, amount: int = 1, **labels: str) -> None:
        """Add to one counter. Counting never breaks the caller: an undeclared counter is
        declared on the spot (and logged), and labels that do not fit are logged."""
        if name not in self._counters:
            log.warning("counter %s is not declared in bot.metrics.COUNTERS", name)
            self._counters[name] = Counter(
                name, "Undeclared.", sorted(labels), registry=self.registry
            )
        counter = self._counters[name]
        try:
            (counter.labels(**labels) if labels else counter).inc(amount)
        except ValueError as exc:
            log.warning("counter %s not counted: %s", name, exc)

    def observe(self, name: str, seconds: float, **labels: str) -> None:
        """Record one duration in a histogram (labels that do not fit are logged)."""
        histogram = self._histograms[name]
        try:
            (histogram.labels(**labels) if labels else histogram).observe(seconds)
        except ValueError as exc:
            log.warning("histogram %s not observed: %s", name, exc)

    def timed(
        self, name: str
    ) -> Callable[[Callable[P, Awaitable[T]]], Callable[P, Awaitable[T]]]:
        """Time an async function into ``name``, labelled ``outcome`` ok/refused/error."""

        def wrap(func: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
            @functools.wraps(func)
            async def timed_call(*args: P.args, **kwargs: P.kwargs) -> T:
                start, outcome = time.perf_counter(), "error"
                try:
                    result = await func(*args, **kwargs)
                    outcome = "ok"
                    return result
                except ApprovalError:
                    outcome = "refused"
                    raise
                finally:
                    self.observe(name, time.perf_counter() - start, outcome=outcome)

            return timed_call

        return wrap

    def value(self, name: str, **labels: str) -> float:
        """One sample's current value (0 when never set), for tests and the CLI."""
        sample = name if name in self._gauges or name.endswith("_total") else f"{name}_count"
        return self.registry.get_sample_value(sample, labels) or 0.0

    def render(self, gauges: dict[str, float] | None = None) -> str:
        """The exposition text, after setting the gauges read at scrape time."""
        for name, number in (gauges or {}).items():
            self._gauges[name].set(number)
        if not self.shared:
            return generate_latest(self.registry).decode()
        every_worker = CollectorRegistry()
        MultiProcessCollector(every_worker)
        return generate_latest(every_worker).decode()


def outcome_of(error: BaseException | None) -> str:
    """``ok``, or what went wrong in a few words (a Slack error code, an exception name)."""
    if error is None:
        return "ok"
    response: Any = getattr(error, "response", None)
    code = response.get("error") if response is not None and hasattr(response, "get") else None
    if code is None:
        return type(error).__name__
    # A label value from a server's answer: only Slack's snake_case codes, so a strange
    # answer cannot mint unbounded label values.
    return code if isinstance(code, str) and _CODE.fullmatch(code) else "slack_error"


# A label value read from an unverified body: only Slack's own kinds, so a forged body
# cannot mint new series.
KINDS = frozenset({"block_actions", "view_submission", "view_closed", "event_callback",
                   "command", "url_verification", "block_suggestion", "shortcut"})


def slack_kind(body: Any) -> str:
    """The kind of a Slack request body, for a label: one of ``KINDS`` or ``other``."""
    if not isinstance(body, dict):
        return "other"
    kind = body.get("type") or ("command" if "command" in body else None)
    return kind if isinstance(kind, str) and kind in KINDS else "other"


METRICS = Metrics()
