"""A property of standing approvals, on real Postgres through the engine.

Random sequences of grants ("Approve & allow for …", and for the rest of a run),
revocations, edits, policy changes, the clock moving on and new requests, by random
people: no request is ever decided under a standing approval unless its granter could
have decided it by hand at that moment (eligible under the request's policy as the file
says now, not its requester, one approval enough), under a grant that was live (not
revoked, not expired) and for its run (when it is for one), and never for edited
arguments.

Hypothesis runs in a worker thread and drives the engine on the test's event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.engine.decide import decide
from bot.engine.standing import Grant
from bot.engine.standing_admin import revoke
from bot.errors import ApprovalError
from bot.policy import parse_policy

from support.config import TEST_GRAPHS
from support.harness import Harness

BOTH = '["UALICE", "UBOB"]'
POLICIES = [
    f"approvers = {BOTH}\nstanding_max_s = 3600",
    'approvers = ["UBOB"]\nstanding_max_s = 3600',  # alice is no longer an approver
    f"approvers = {BOTH}\nstanding_max_s = 900",  # a shorter window than some grants
    f"approvers = {BOTH}\nstanding_max_s = 3600\nstanding_when = 'amount <= 500'",
    f"approvers = {BOTH}\nstanding_max_s = 3600\n"
    "[[graphs.shop.actions.pay.rules]]\nwhen = 'amount > 100'\nrequired_approvals = 2",
    f"approvers = {BOTH}",  # standing approvals off
    f"approvers = {BOTH}\nalways_approve = true",  # only for the rest of a run
]
AMOUNTS = [5, 50, 400, 2000]
USERS = ["UALICE", "UBOB", "UCAROL", "UREQ"]
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("grant"), st.sampled_from(USERS), st.sampled_from(AMOUNTS),
                  st.sampled_from([900, 3600, None])),  # None: for the rest of the run
        st.tuples(st.just("request"), st.sampled_from(USERS), st.sampled_from(AMOUNTS),
                  st.just(0)),
        st.tuples(st.just("edit"), st.sampled_from(USERS), st.sampled_from(AMOUNTS),
                  st.just(0)),
        st.tuples(st.just("revoke"), st.sampled_from(USERS), st.integers(0, 3), st.just(0)),
        st.tuples(st.just("policy"), st.just(""), st.integers(0, len(POLICIES) - 1),
                  st.just(0)),
        st.tuples(st.just("clock"), st.just(""), st.sampled_from([5, 20, 70]), st.just(0)),
    ),
    min_size=1,
    max_size=8,
)


def _file(body: str) -> str:
    head, _, rules = body.partition("[[")
    return f"[graphs.shop.actions.pay]\n{head}\n" + (f"[[{rules}" if rules else "")


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "policy.toml"
    path.write_text(_file(POLICIES[0]))
    return {"approvals_policy": str(path),
            "approvals_graphs": f"{TEST_GRAPHS},shop=test_standing:build_shop"}


def by_hand(policy: int, user: str, amount: int, requester: str) -> bool:
    """Whether ``user`` alone could approve it now, written apart from the engine."""
    approvers = {"UBOB"} if policy == 1 else {"UALICE", "UBOB"}
    required = 2 if policy == 4 and amount > 100 else 1
    return user in approvers and user != requester and required == 1


@dataclass
class Model:
    policy: int = 0
    minutes: int = 0
    # id → (until, revoked, the run it is for: None for any run)
    grants: dict[int, tuple[int, bool, str | None]] = field(default_factory=dict)


def _run(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=60)


async def _request(harness: Harness, amount: int, requester: str) -> tuple[str, int]:
    started = await harness.start(
        "shop", {"action": "pay", "amount": amount, "recipient": "acme"}, requested_by=requester)
    (approval_id,) = (await harness.rows(
        "SELECT a.id FROM approvals a JOIN requests r ON r.id = a.request_id "
        "WHERE r.thread_id = %s", started.thread_id))
    return started.thread_id, int(approval_id["id"])


async def _used(harness: Harness, thread_id: str) -> list[dict[str, Any]]:
    return await harness.rows(
        "SELECT a.actor, a.detail FROM audit_log a WHERE a.thread_id = %s "
        "AND a.event = 'standing_used'", thread_id)


async def _try(coro: Coroutine[Any, Any, Any]) -> bool:
    try:
        await coro
    except ApprovalError:
        return False
    return True


def _check_used(model: Model, used: list[dict[str, Any]], amount: int, requester: str,
                *, thread: str, edited: bool = False) -> None:
    for use in used:
        granter, grant_id = use["actor"], int(use["detail"]["standing_approval"])
        until, revoked, run = model.grants[grant_id]
        assert by_hand(model.policy, granter, amount, requester), (model.policy, use)
        assert not revoked and model.minutes * 60 < until, (model, use)
        assert run is None or run == thread, (model, use)  # never another run's grant
        assert not edited


def _step(harness: Harness, loop: asyncio.AbstractEventLoop, model: Model,
          op: tuple[Any, ...]) -> None:
    kind, user, value, window = op
    if kind == "policy":
        model.policy = value
        harness.deps.policies = parse_policy(_file(POLICIES[value]))
    elif kind == "clock":
        model.minutes += value
    elif kind == "revoke":
        ids = sorted(model.grants)
        if value < len(ids) and _run(loop, _try(revoke(harness.deps, ids[value], user=user))):
            until, _, run = model.grants[ids[value]]
            model.grants[ids[value]] = (until, True, run)
    elif kind in ("request", "grant", "edit"):
        thread, approval_id = _run(loop, _request(harness, value, "UREQ"))
        _check_used(model, _run(loop, _used(harness, thread)), value, "UREQ", thread=thread)
        if kind == "grant":
            _grant(harness, loop, model, approval_id, user, window, thread=thread)
        elif kind == "edit":  # an edit, then a grant of what it left: never a grant
            version = _run(loop, harness.version_of(approval_id))
            edit = decide(harness.deps, approval_id, user=user, kind="edit", version=version,
                          args={"amount": value + 1, "recipient": "acme"}, team="T111")
            if _run(loop, _try(edit)):
                assert not _grant(harness, loop, model, approval_id, "UBOB", 900, thread=thread)
    if kind == "request" and user != "UREQ":  # also: a request of one of the approvers
        thread, _ = _run(loop, _request(harness, value, user))
        _check_used(model, _run(loop, _used(harness, thread)), value, user, thread=thread)


def _grant(harness: Harness, loop: asyncio.AbstractEventLoop, model: Model, approval_id: int,
           user: str, window: int | None, *, thread: str) -> bool:
    version = _run(loop, harness.version_of(approval_id))
    hook = Grant(window, user, "T111", None)
    made = _run(loop, _try(decide(harness.deps, approval_id, user=user, kind="approve",
                                  version=version, team="T111", hook=hook)))
    if made:
        rows = _run(loop, harness.rows("SELECT id FROM standing_approvals ORDER BY id DESC"))
        until = model.minutes * 60 + (window or 86400)
        model.grants[int(rows[0]["id"])] = (until, False, None if window else thread)
    return made


def _explore(harness: Harness, loop: asyncio.AbstractEventLoop) -> None:
    clock = harness.deps.clock

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(OPS)
    @example([("grant", "UALICE", 5, 3600), ("request", "UBOB", 5, 0), ("policy", "", 1, 0),
              ("request", "UREQ", 5, 0), ("policy", "", 0, 0), ("revoke", "UBOB", 0, 0),
              ("request", "UREQ", 5, 0)])
    def one(ops: list[tuple[Any, ...]]) -> None:
        _run(loop, harness.rows("UPDATE standing_approvals SET revoked_at = now() "
                                "WHERE revoked_at IS NULL RETURNING id"))
        model = Model()
        harness.deps.policies = parse_policy(_file(POLICIES[0]))
        harness.deps.clock = lambda: clock() + timedelta(minutes=model.minutes)
        for op in ops:
            _step(harness, loop, model, op)

    one()


async def test_no_standing_approval_decides_what_its_granter_could_not_by_hand(
    harness: Harness,
) -> None:
    await asyncio.to_thread(_explore, harness, asyncio.get_running_loop())
    used = await harness.rows("SELECT count(*) AS n FROM audit_log WHERE event = 'standing_used'")
    assert used[0]["n"] > 0  # the property was exercised, not only refused every time
