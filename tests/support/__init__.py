"""Test support: a fake Slack Web API over HTTP, Slack request signing, databases."""
