"""Settings for the bot under test, pointed at the fake Slack and a test database."""

from __future__ import annotations

from typing import Any

from bot.settings import Settings

from support.fake_slack import FakeSlack
from support.signing import SIGNING_SECRET

TEST_GRAPHS = (
    "counting=support.graphs:build_counting,ledger=support.graphs:build_ledger,"
    "blob=support.graphs:build_bytes"
)


def make_settings(database_url: str, fake: FakeSlack, **overrides: Any) -> Settings:
    """Settings as a deployment would have them, pointed at the fakes."""
    values: dict[str, Any] = {
        "slack_bot_token": "xoxb-test",
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": fake.url,
        "database_url": database_url,
        "approvals_channel": "C0APPROVALS",
        "approvals_graphs": TEST_GRAPHS,
        "approvals_sweep_s": 3600,  # tests run sweeps themselves unless they say otherwise
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]
