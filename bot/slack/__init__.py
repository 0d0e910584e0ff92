"""Slack Web API access: the client, user-group expansion."""
