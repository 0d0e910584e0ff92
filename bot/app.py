"""The Bolt app: signature verification, listeners, and one error handler."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.logger import get_bolt_logger
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped

from bot.engine.deps import Deps
from bot.listeners import actions, commands, events, views
from bot.slack.prompt_ack import answer_promptly

log = logging.getLogger(__name__)


class _SameTokenNotice(logging.Filter):
    """Bolt reads ``SLACK_BOT_TOKEN`` itself and warns that the client's token wins over
    it; the client is built from that very setting, so the warning is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


_bolt_log = get_bolt_logger(AsyncApp)
if not any(isinstance(f, _SameTokenNotice) for f in _bolt_log.filters):
    _bolt_log.addFilter(_SameTokenNotice())


def build_bolt_app(deps: Deps) -> AsyncApp:
    """A Bolt app whose listeners ack first and hand the rest to the engine.

    ``process_before_response`` stays off: the HTTP answer goes out at ``ack()`` (at once,
    see :mod:`bot.slack.prompt_ack`), and rendering and resuming continue after it.
    """
    settings = deps.settings
    app = AsyncApp(
        client=deps.slack,
        signing_secret=settings.secret("slack_signing_secret") or "socket-mode",
        request_verification_enabled=not settings.socket_mode,
        process_before_response=False,
        raise_error_for_unhandled_request=False,
    )
    answer_promptly(app)
    actions.register(app, deps)
    views.register(app, deps)
    commands.register(app, deps)
    events.register(app, deps)

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        log.error("unhandled error in a listener (%s)", body.get("type"), exc_info=error)

    return app
