"""LangGraph side: the graph registry, example graphs and interrupt adapters (no Slack)."""
