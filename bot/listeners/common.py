"""What every listener shares: reading ids from a payload, telling the clicker, deciding."""

from __future__ import annotations

import logging
from typing import Any

from bot.blocks.version import Ref, parse_ref
from bot.engine.decide import Decided, Hook, decide
from bot.engine.deps import Deps
from bot.engine.flow import after_decision
from bot.errors import ApprovalError
from bot.metrics import METRICS
from bot.slack.client import SLACK_ERRORS
from graphs.models import DecisionKind
from persistence.pool import DB_DOWN

log = logging.getLogger(__name__)
timed_decide = METRICS.timed("approvals_decision_commit_seconds")(decide)
DB_DOWN_TEXT = (
    "⚠️ The approvals database is unavailable right now. "
    "Nothing was recorded: please try again in a minute."
)
NO_VERSION = (
    "This button does not name a current version of any request (the message may be "
    "out of date); nothing was changed."
)


def approval_id_of(body: dict[str, Any]) -> int | None:
    """The approval id the Cancel menu option carries: its value holds only the id.

    Only a string of digits counts, so a forged ``true`` or ``1.0`` never names approval 1.
    """
    try:
        action = body["actions"][0]
        raw = (action.get("selected_option") or {}).get("value") or action.get("value")
    except (KeyError, IndexError, TypeError, AttributeError):
        return None
    if not isinstance(raw, str) or not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        return None
    return int(raw)


def ref_of(body: dict[str, Any]) -> Ref | None:
    """The approval and exact version a decision button names (``APPROVAL:ROUND:DIGEST``).

    Anything else, an id alone included (a message drawn before versions), is None.
    """
    try:
        raw = body["actions"][0].get("value")
    except (KeyError, IndexError, TypeError, AttributeError):
        return None
    return parse_ref(raw)


def org_of(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """The clicker's own team and enterprise ids, as Slack signed them (None: unknown).

    The payload's ``enterprise`` is the clicker's only when its ``team`` is their team.
    """
    user, team_of, org = _obj(body, "user"), _obj(body, "team"), _obj(body, "enterprise")
    team = _text(user.get("team_id")) or _text(team_of.get("id"))
    enterprise = _text(user.get("enterprise_id"))
    if enterprise is None and team is not None and team == _text(team_of.get("id")):
        enterprise = _text(org.get("id")) or _text(team_of.get("enterprise_id"))
    return team, enterprise


def _obj(body: dict[str, Any], key: str) -> dict[str, Any]:
    value = body.get(key)
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def user_of(body: dict[str, Any]) -> str:
    """The clicking user's id ("" when the payload has none)."""
    user = body.get("user")
    value = user.get("id") if isinstance(user, dict) else None
    return value if isinstance(value, str) else ""


def channel_of(body: dict[str, Any]) -> str | None:
    """The channel a click came from."""
    channel = body.get("channel") or {}
    return channel.get("id") or (body.get("container") or {}).get("channel_id")


async def tell(deps: Deps, body: dict[str, Any], text: str) -> None:
    """Say something only the clicker sees, in the channel they clicked in."""
    channel = channel_of(body)
    if not channel:
        return
    thread_ts = (body.get("container") or {}).get("thread_ts")
    try:
        await deps.slack.chat_postEphemeral(
            channel=channel, user=user_of(body), text=text, thread_ts=thread_ts
        )
    except SLACK_ERRORS:
        log.warning("could not tell %s: %s", user_of(body), text)


async def decide_or_explain(
    deps: Deps,
    body: dict[str, Any],
    ref: Ref,
    *,
    kind: DecisionKind,
    args: dict[str, Any] | None = None,
    reason: str | None = None,
    hook: Hook | None = None,
) -> Decided | str:
    """Decide ``ref`` (an approval at the version the clicker saw), or return the sentence
    explaining why not (already told nobody yet)."""
    team, enterprise = org_of(body)
    approval_id = ref.approval_id
    try:
        decided = await timed_decide(
            deps,
            approval_id,
            user=user_of(body),
            kind=kind,
            version=ref.version,
            args=args,
            reason=reason,
            team=team,
            enterprise=enterprise,
            hook=hook,
        )
    except ApprovalError as exc:
        METRICS.inc("approvals_refusals_total", kind=kind)
        return exc.message
    except DB_DOWN:
        log.exception("database unavailable while deciding approval %s", approval_id)
        return DB_DOWN_TEXT
    METRICS.inc("approvals_decisions_total", kind=kind)
    return decided


async def follow_up(deps: Deps, decided: Decided) -> None:
    """Render and resume, tracked so a graceful shutdown waits for it."""
    await deps.inflight.spawn(after_decision(deps, decided))
