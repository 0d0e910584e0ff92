"""Orchestration: start a run, record a decision, resume, report, expire, recover."""
