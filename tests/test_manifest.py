"""The Slack app manifest validates against Slack's schema and matches what the bot uses."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "tests" / "slack_samples" / "manifest.schema.1.0.0.json"


def test_manifest_validates_against_slack_schema() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    schema = json.loads(SCHEMA.read_text())
    jsonschema.validate(manifest, schema)  # raises on the first violation


def test_manifest_invalid_variant_is_rejected() -> None:
    """The check has teeth: a manifest missing display_information fails."""
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    del manifest["display_information"]
    schema = json.loads(SCHEMA.read_text())
    try:
        jsonschema.validate(manifest, schema)
    except jsonschema.ValidationError:
        return
    raise AssertionError("a manifest without display_information validated")


def test_manifest_has_what_the_bot_needs() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"chat:write", "commands", "usergroups:read"} <= scopes
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["interactivity"]["request_url"].endswith("/slack/events")
    assert manifest["features"]["slash_commands"][0]["command"] == "/approvals"
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert "app_home_opened" in manifest["settings"]["event_subscriptions"]["bot_events"]


def test_procfile_runs_serve() -> None:
    assert (ROOT / "Procfile").read_text().strip() == "web: python -m bot serve"
