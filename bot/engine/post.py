"""Store each pending interrupt as a request, then post it; report a finished run."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import timedelta
from typing import Any

from langchain_core.runnables import RunnableConfig

from bot.blocks.finished import action_line, finished_text
from bot.blocks.request import build_request_message
from bot.engine.deps import Deps
from bot.engine.failures import fail_run
from bot.engine.jsonsafe import json_safe
from bot.engine.load import current_args, load_view, proposed_action
from bot.engine.notify import send_dms
from bot.engine.paused import stuck_reason, unanswered
from bot.engine.remind import first_reminder
from bot.engine.resolve import policy_detail, resolve_request
from bot.engine.standing import announce_standing, standing_decision
from bot.errors import Unrepresentable
from bot.metrics import METRICS
from bot.policy.resume import resume_templates
from bot.slack.client import SLACK_ERRORS, permanent_error
from graphs.adapters import normalize
from graphs.adapters.reasoning import reasoning_of
from graphs.adapters.templates import with_templates
from graphs.models import ApprovalRequest
from graphs.runner import Snapshot
from persistence import audit, ran, requests, runs, sweeps

log = logging.getLogger(__name__)
POST_LEASE_S = 60.0
MAX_POST_ATTEMPTS = 8  # transient failures, backed off up to 10 minutes apart



def config_of(thread_id: str) -> RunnableConfig:
    """The LangGraph config addressing one thread."""
    return RunnableConfig(configurable={"thread_id": thread_id})


def value_hash(value: Any) -> str:
    """A stable digest of an interrupt value (tells a repeated interrupt id apart).

    Taken over the JSON-safe form, so it is the same in every process (``str`` of a set
    is not: string hashing is seeded per process).
    """
    try:
        safe = json_safe(value)
    except Unrepresentable:
        safe = repr(value)
    text = json.dumps(safe, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def jsonable(value: Any) -> Any:
    """Graph state as JSON (messages and other objects become their string form)."""
    return json.loads(json.dumps(value, default=str))


def _normalized(interrupt: Any, templates: Any) -> ApprovalRequest:
    """The interrupt as a request, from its JSON-safe form (raises Unrepresentable), with
    the operator's resume templates for it (``templates(action_name)``)."""
    schema = getattr(interrupt, "response_schema", None)
    request = normalize(
        json_safe(interrupt.value),
        response_schema=json_safe(schema) if isinstance(schema, dict) else None,
        breakpoint=getattr(interrupt, "breakpoint", None),
    )
    return with_templates(request, templates(request.actions[0].name))


async def store_interrupt(
    deps: Deps, run: dict[str, Any], interrupt: Any, *, values: Any = None
) -> int | None:
    """Normalize, resolve the policy and store one interrupt; None if already stored.

    The value is stored in its JSON-safe form; raises :class:`Unrepresentable` when it
    has none. ``values`` (the thread's state) gives a tool-call pause its reasoning.
    """
    graph = str(run["graph"])
    request = _normalized(interrupt, lambda name: resume_templates(deps.policies, graph, name))
    if request.dialect in ("hitl_batch", "hitl_call") and (said := reasoning_of(values)):
        request = request.model_copy(update={"reasoning": said})
    request, resolution = resolve_request(deps, run, request)
    policy = resolution.policy
    now = deps.clock()
    expires = now + timedelta(seconds=policy.timeout_s)
    remind = first_reminder(policy, now=now)
    async with deps.pool.connection() as conn:
        request_id = await requests.insert_request(
            conn,
            thread_id=run["thread_id"],
            interrupt_id=interrupt.id,
            value_hash=value_hash(interrupt.value),
            request=request.model_dump(mode="json"),
            policy=policy.model_dump(mode="json"),
            channel=policy.channel or run["channel"],
            expires_at=expires,
            remind_at=remind,
            actions=[a.model_dump(mode="json") for a in request.actions],
            policies=[p.model_dump(mode="json") for p in resolution.actions],
        )
        if request_id is not None:
            await audit.record(
                conn,
                "requested",
                thread_id=run["thread_id"],
                request_id=request_id,
                actor=run["requested_by"],
                args_before=[a.args for a in request.actions],
                # e.g. a condition that could not be evaluated and so failed closed, or
                # a block asking for what the file does not allow
                detail=policy_detail(resolution),
            )
    return request_id


async def post_request(deps: Deps, request_id: int) -> bool:
    """Post a stored request to Slack once (a lease keeps instances from doubling it)."""
    async with deps.pool.connection() as conn:
        if not await requests.claim_post(conn, request_id, lease_s=POST_LEASE_S):
            return False
        loaded = await load_view(conn, request_id)
    assert loaded is not None
    view, row, approvals = loaded
    used = await standing_decision(deps, row, approvals)
    if used is not None:  # posted with what was decided: the outcome, not buttons
        async with deps.pool.connection() as conn:
            loaded = await load_view(conn, request_id)
        assert loaded is not None
        view, row, approvals = loaded
    text, blocks = build_request_message(view)
    # At top level, always: a request that waits for someone must reach them (a reply
    # inside an earlier message's thread notifies nobody).
    try:
        resp = await deps.slack.chat_postMessage(channel=row["channel"], text=text, blocks=blocks)
    except SLACK_ERRORS as exc:
        await _post_failed(deps, row, exc)
        return False
    METRICS.inc("approvals_requests_posted_total")
    async with deps.pool.connection() as conn:
        await requests.set_message_ts(conn, request_id, resp["ts"], channel=resp["channel"])
        await runs.set_thread_ts(conn, row["thread_id"], channel=resp["channel"], ts=resp["ts"])
        await audit.record(
            conn,
            "posted",
            thread_id=row["thread_id"],
            request_id=request_id,
            detail={"channel": resp["channel"], "ts": resp["ts"]},
        )
    if used is not None:  # decided (in part, for a batch) under standing approvals
        posted = row | {"channel": resp["channel"], "message_ts": resp["ts"]}
        await announce_standing(deps, posted, used)
        if used.decided.complete:
            return True
    await send_dms(deps, request_id)
    return True


async def _post_failed(deps: Deps, row: dict[str, Any], exc: BaseException) -> None:
    """A permanent error fails the request and its run; a transient one is backed off."""
    request_id = int(row["id"])
    permanent = permanent_error(exc)
    async with deps.pool.connection() as conn:
        attempts = await sweeps.backoff_post(conn, request_id)
    code = permanent[0] if permanent else type(exc).__name__
    METRICS.inc("approvals_post_failures_total", error=code)
    if permanent is None and attempts < MAX_POST_ATTEMPTS:
        log.warning("posting request %s failed (attempt %s, retried later): %s",
                    request_id, attempts, exc)
        return
    what = f"Slack answered {code}: {permanent[1]}" if permanent else (
        f"posting failed {attempts} times, last with {exc}")
    await fail_run(deps, row["thread_id"], error=what, request_id=request_id)


async def sync_run(
    deps: Deps,
    thread_id: str,
    run: dict[str, Any] | None = None,
    *,
    state: Snapshot | None = None,
    settled: bool = False,
) -> str:
    """After an invoke: post new interrupts, or mark the run done. Returns the run status.

    ``run`` is the run's row and ``state`` its snapshot when the caller has just read them.
    ``settled`` says an invoke has just returned: a run that then neither asks anything
    nor has finished is stuck, and is failed saying so (never left "running" silently).
    """
    if run is None:
        async with deps.pool.connection() as conn:
            run = await runs.get_run(conn, thread_id)
    assert run is not None
    if state is None:
        runner, ref = deps.runners.of(run)
        state = await runner.snapshot(ref)
    interrupts = await unanswered(deps, thread_id, state)
    if state.interrupts and not interrupts:
        return str(run["status"])  # a pause already answered (a rejected breakpoint)
    if interrupts:
        try:
            new = [
                rid for i in interrupts
                if (rid := await store_interrupt(deps, run, i, values=state.values))
            ]
        except Unrepresentable as exc:
            await fail_run(deps, thread_id, error=exc.message)
            return "failed"
        async with deps.pool.connection() as conn:
            await runs.set_run_status(conn, thread_id, "waiting")
        for request_id in new:
            await post_request(deps, request_id)
        return "waiting"
    if not is_over(state):
        if settled and not state.busy:
            await fail_run(deps, thread_id, error=stuck_reason(state))
            return "failed"
        return "running"
    outcome = jsonable(state.values)
    async with deps.pool.connection() as conn:
        row = await runs.finish_run(conn, thread_id, outcome=outcome)
    await reply_finished(deps, thread_id, row, outcome)
    return "done"


def is_over(state: Snapshot) -> bool:
    """True when the run has finished: nothing pending, nothing to run next."""
    return not state.interrupts and not state.next


async def reply_finished(
    deps: Deps, thread_id: str, row: dict[str, Any] | None, outcome: Any
) -> None:
    """Reply in the run's Slack thread with its outcome, once: ``row`` is what marking the
    run done returned (None when it was done already)."""
    if row is None or not row["slack_thread_ts"]:
        return
    async with deps.pool.connection() as conn:
        decided = await ran.actions_of_thread(conn, thread_id)
    lines = [
        action_line(proposed_action(a), current_args(a), a["status"])
        for a in decided
        if a["status"] != "pending"
    ]
    text = finished_text(outcome, lines)
    try:
        await deps.slack.chat_postMessage(
            channel=row["channel"], thread_ts=row["slack_thread_ts"], text=text
        )
    except SLACK_ERRORS as exc:
        log.warning("finished-run reply for %s failed: %s", thread_id, exc)

