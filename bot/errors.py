"""One root for domain errors; the edge (listener, CLI, HTTP route) turns them into messages."""

from __future__ import annotations


class ApprovalError(Exception):
    """Base of every error a person can be told about."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ApprovalError):
    """The approval, run or graph does not exist."""


class AlreadyDecided(ApprovalError):
    """The approval is no longer pending (double click, old message, someone else)."""


class Stale(ApprovalError):
    """The click names a version of the request that is no longer current (edited since).

    ``channel`` and ``ts`` locate the request's message, for a link to it.
    """

    def __init__(self, message: str, *, channel: str | None, ts: str | None) -> None:
        super().__init__(message)
        self.channel, self.ts = channel, ts


class NotAllowed(ApprovalError):
    """The clicker may not make this decision."""


class InvalidEdit(ApprovalError):
    """An edit submission failed validation; ``errors`` maps a modal block id to a message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class InvalidInput(ApprovalError):
    """A run cannot start with what was given; ``field`` names the offending field."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


class Unavailable(ApprovalError):
    """A dependency (Postgres, Slack) is down: try again shortly; nothing was changed."""


class ConfigError(ApprovalError):
    """Settings or a policy file are invalid; raised at start with what to fix."""


class Unrepresentable(ApprovalError):
    """An interrupt value holds something that has no JSON form to store and show."""
