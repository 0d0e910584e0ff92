"""Button clicks on request messages: Approve, Reject, Edit, Respond."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.engine.deps import Deps
from bot.listeners.actions import approve_all, cancel, decide, modals, show_all, standing


def register(app: AsyncApp, deps: Deps) -> None:
    """Wire every button to its handler."""
    decide.register(app, deps)
    modals.register(app, deps)
    cancel.register(app, deps)
    approve_all.register(app, deps)
    show_all.register(app, deps)
    standing.register(app, deps)
