"""Modal submissions: an edit, a reject reason, a response.

A submission is decided *before* it is acked: the answer goes back in the modal
(``response_action: "errors"``) when the edit is invalid or someone else decided first.
Slack waits 3 s for that answer; a decision still running at 2.5 s keeps running, and
the modal says so instead of timing out.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.blocks.edit_modal import parse_edit_submission
from bot.blocks.notice_modal import build_notice_modal
from bot.blocks.reason_modal import parse_reason
from bot.blocks.version import Ref, parse_ref
from bot.engine.decide import current_version
from bot.engine.deps import Deps
from bot.engine.load import action_as_it_stands
from bot.errors import ApprovalError, InvalidEdit, NotFound, Stale
from bot.listeners.common import DB_DOWN, DB_DOWN_TEXT, decide_or_explain, follow_up
from graphs.models import DecisionKind
from persistence import requests

log = logging.getLogger(__name__)
SUBMIT_BUDGET_S = 2.5
STILL_RECORDING = (
    "⏳ Your decision is still being recorded. The request message will show the outcome "
    "in a moment; if it does not, the request is still open and you can try again."
)


def _first_input(view: dict[str, Any]) -> str:
    for block in view.get("blocks", []):
        if block.get("type") == "input" and block.get("block_id"):
            return str(block["block_id"])
    return "reason"


async def _read(
    deps: Deps, view: dict[str, Any], kind: DecisionKind
) -> tuple[Ref, dict[str, Any] | None, str | None]:
    """The approval and version the form was opened on, and the edited args or the reason;
    raises ApprovalError. ``private_metadata`` comes back from the client: it is parsed
    strictly, and the decision transaction checks the version again."""
    ref = parse_ref(view.get("private_metadata"))
    if ref is None:
        raise NotFound("This form is not linked to a request.")
    values = (view.get("state") or {}).get("values") or {}
    if kind != "edit":
        return ref, None, parse_reason(values)
    async with deps.pool.connection() as conn:
        approval = await requests.get_approval(conn, ref.approval_id)
    if approval is None:
        raise NotFound("This request no longer exists.")
    if current_version(approval) != ref.version:
        raise Stale(
            "This request changed since you opened this form; nothing was recorded.",
            channel=None,
            ts=None,
        )
    action = action_as_it_stands(approval)
    return ref, parse_edit_submission(action=action, state_values=values), None


async def _submit(deps: Deps, ack: AsyncAck, body: dict[str, Any], kind: DecisionKind) -> None:
    view = body.get("view") or {}
    where = _first_input(view)
    try:
        ref, args, reason = await _read(deps, view, kind)
    except InvalidEdit as exc:
        await ack(response_action="errors", errors=exc.errors)
        return
    except ApprovalError as exc:
        await ack(response_action="errors", errors={where: exc.message[:150]})
        return
    except DB_DOWN:
        await ack(response_action="errors", errors={where: DB_DOWN_TEXT})
        return
    deciding = asyncio.ensure_future(
        decide_or_explain(deps, body, ref, kind=kind, args=args, reason=reason)
    )
    done, _ = await asyncio.wait({deciding}, timeout=SUBMIT_BUDGET_S)
    if not done:
        view = build_notice_modal(title="Recording…", text=STILL_RECORDING)
        await ack(response_action="update", view=view)
    result = await deciding
    if isinstance(result, str):
        if done:
            await ack(response_action="errors", errors={where: result[:150]})
        else:
            log.info("late refusal of approval %s: %s", ref.approval_id, result)
        return
    if done:
        await ack()
    await follow_up(deps, result)


def _submitter(deps: Deps, kind: DecisionKind) -> Any:
    async def handle_submit(ack: AsyncAck, body: dict[str, Any]) -> None:
        await _submit(deps, ack, body, kind)

    return handle_submit


def register(app: AsyncApp, deps: Deps) -> None:
    """Wire the three modal callbacks."""
    app.view("edit_submit")(_submitter(deps, "edit"))
    app.view("reject_submit")(_submitter(deps, "reject"))
    app.view("respond_submit")(_submitter(deps, "respond"))
