"""Benchmarks: the bot's click-to-done against a bare LangGraph resume on the same database."""
