"""Slack approvals for LangGraph human-in-the-loop interrupts."""
