"""The ``/approvals`` slash command."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.engine.deps import Deps


def register(app: AsyncApp, deps: Deps) -> None:
    """Wire ``/approvals``."""
    from bot.listeners.commands.approvals import handle_factory

    app.command("/approvals")(handle_factory(deps))
