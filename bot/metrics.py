"""A tiny Prometheus text exporter: labelled counters kept per process."""

from __future__ import annotations

from collections import Counter

HELP = {
    "approvals_decisions_total": "Decisions recorded, by kind.",
    "approvals_refusals_total": "Clicks refused (not eligible, already decided, …), by kind.",
    "approvals_resumes_total": "Runs resumed with a decision.",
    "approvals_resume_failures_total": "Resume attempts that raised.",
    "approvals_requests_posted_total": "Requests posted to Slack.",
    "approvals_expired_total": "Requests that timed out.",
}


class Metrics:
    """Counters with labels; rendered in the Prometheus exposition format."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, tuple[tuple[str, str], ...]]] = Counter()

    def inc(self, name: str, amount: int = 1, **labels: str) -> None:
        """Add to one counter."""
        self._counts[(name, tuple(sorted(labels.items())))] += amount

    def value(self, name: str, **labels: str) -> int:
        """One counter's value (for tests and the CLI)."""
        return self._counts[(name, tuple(sorted(labels.items())))]

    def render(self, gauges: dict[str, float] | None = None) -> str:
        """The exposition text, counters first, then any gauges given."""
        lines: list[str] = []
        for name, help_text in HELP.items():
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} counter"]
            for (n, labels), count in sorted(self._counts.items()):
                if n == name:
                    label = ",".join(f'{k}="{v}"' for k, v in labels)
                    lines.append(f"{name}{{{label}}} {count}" if label else f"{name} {count}")
        for name, value in (gauges or {}).items():
            lines += [f"# TYPE {name} gauge", f"{name} {value}"]
        return "\n".join(lines) + "\n"


METRICS = Metrics()
