"""A property of the decision state machine, on real Postgres through the engine.

Random sequences of approve, edit, reject, stale clicks, replays, expiry and cancel, by
random users (eligible or not, of this workspace or not, the requester), under random
policies with argument rules: no sequence ends in a request ready to resume with
arguments that lack the required number of distinct eligible approvals of exactly
those arguments, and no refused-by-the-rules click is ever accepted.

Hypothesis runs in a worker thread and drives the engine on the test's event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.blocks.version import Version
from bot.engine.close import close_request
from bot.engine.decide import decide
from bot.errors import ApprovalError

from support.harness import Harness

POLICY = """
[graphs.rawx]
external_users = true
allow_self_approval = true

[[actions.pay.rules]]
when = "amount > 100"
required_approvals = 2

[[actions.pay.rules]]
when = 'to == "offshore"'
approvers = ["UCFO", "UAA"]
"""
GROUP = {"S0G": ["UAA", "UBB", "UDD"]}
ARGS = [
    {"amount": 50, "to": "acme"},
    {"amount": 5000, "to": "acme"},
    {"amount": 50, "to": "offshore"},
    {"amount": 5000, "to": "offshore"},
]
USERS = ["UAA", "UBB", "UCC", "UDD", "UCFO", "UREQ", "WEXT"]  # WEXT is of another team
REQUESTER = "UREQ"


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY)
    graphs = "raw=support.dialect_graphs:raw,rawx=support.dialect_graphs:raw"
    return {"approvals_policy": str(path), "approvals_graphs": graphs}


BLOCKS = st.fixed_dictionaries(
    {},
    optional={
        "required_approvals": st.integers(1, 3),
        "approvers": st.sampled_from([["UAA", "UBB", "UCC"], ["S0G"], ["UCFO", "UBB"], []]),
        "allow_self_approval": st.booleans(),
        "external_users": st.booleans(),
    },
)
OPS = st.lists(
    st.tuples(
        st.sampled_from(["approve", "approve", "edit", "reject", "replay", "expire", "cancel"]),
        st.sampled_from(USERS),
        st.integers(0, len(ARGS) - 1),  # the arguments an edit proposes
        st.integers(-3, 0),  # which version the clicker saw: 0 is the current one
    ),
    min_size=1,
    max_size=8,
)


def _rule_approvers(args: dict[str, Any]) -> set[str] | None:
    return {"UCFO", "UAA"} if args["to"] == "offshore" else None


def _members(approvers: list[str]) -> set[str]:
    return {u for a in approvers for u in (GROUP.get(a) or [a])}


@dataclass
class Oracle:
    """What the rules say, written independently of the engine."""

    graph: str
    block: dict[str, Any]
    initial: dict[str, Any]

    def required(self, args: dict[str, Any]) -> int:
        rule = lambda a: 2 if a["amount"] > 100 else 1  # noqa: E731
        return max(self.block.get("required_approvals", 1), rule(args), rule(self.initial))

    def may_approve(self, user: str, args: dict[str, Any]) -> bool:
        relaxed = self.graph == "rawx"
        if user == "WEXT" and not (relaxed and self.block.get("external_users", True)):
            return False
        if user == REQUESTER and not (relaxed and self.block.get("allow_self_approval", True)):
            return False
        lists = [_members(self.block.get("approvers") or [])] if self.block.get("approvers") else []
        lists += [s for s in (_rule_approvers(args), _rule_approvers(self.initial)) if s]
        return all(user in s for s in lists)


@dataclass
class Model:
    """The request as the test saw it happen."""

    args: dict[str, Any]
    seen: list[Version] = field(default_factory=list)
    approvers: list[str] = field(default_factory=list)  # approvals of the current version
    closed: bool = False
    expired: bool = False
    last: tuple[str, str, Version, dict[str, Any] | None] | None = None


def _run(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=60)


async def _attempt(harness: Harness, approval_id: int, op: tuple[Any, ...]) -> bool:
    kind, user, version, args = op
    try:
        await decide(
            harness.deps,
            approval_id,
            user=user,
            kind=kind,
            version=version,
            args=args,
            reason="no" if kind == "reject" else None,
            team="T-OTHER" if user == "WEXT" else "T111",
        )
    except ApprovalError:
        return False
    return True


async def _close(harness: Harness, request_id: int, *, expire: bool, user: str) -> bool:
    if expire:
        await harness.rows(
            "UPDATE requests SET expires_at = now() - interval '1 second' WHERE id = %s "
            "RETURNING id",
            request_id,
        )
        status = "expired"
    else:
        status = "cancelled"
    try:
        closed = await close_request(
            harness.deps, request_id, status=status, actor=None if expire else user, reason="x"
        )
    except ApprovalError:
        return False
    return closed is not None


def _check_one(harness: Harness, loop: asyncio.AbstractEventLoop, case: tuple[Any, ...]) -> None:
    graph, block, first, ops = case
    oracle = Oracle(graph, block, ARGS[first])
    payload = {"title": "Pay", "action": "pay", "args": ARGS[first], "approval": block}
    started = _run(loop, harness.start(graph, {"payload": payload}, requested_by=REQUESTER))
    approval_id = _run(loop, harness.approval_ids(started.thread_id))[0]
    request_id = started.request_ids[0]
    model = Model(args=dict(ARGS[first]))
    for kind, user, pick, back in ops:
        current = _run(loop, harness.version_of(approval_id))
        if not model.seen or model.seen[-1] != current:
            model.seen.append(current)
        version = model.seen[max(len(model.seen) - 1 + back, 0)]
        stale = version != current
        if kind in ("expire", "cancel"):
            done = _run(loop, _close(harness, request_id, expire=kind == "expire", user=user))
            assert not done or kind == "expire" or user == REQUESTER, "a stranger cancelled"
            assert not (done and model.closed)
            model.closed |= done
            model.expired |= done and kind == "expire"
            continue
        if kind == "replay":
            if model.last is None:
                continue
            kind, user, version, args = model.last
            stale = version != current
        else:
            args = dict(ARGS[pick]) if kind == "edit" else None
        ok = _run(loop, _attempt(harness, approval_id, (kind, user, version, args)))
        model.last = (kind, user, version, args)
        if not ok:
            continue
        assert not stale, f"a click on an older version counted: {kind} by {user}"
        assert not model.closed and not model.expired, f"{kind} by {user} after closing"
        if kind == "reject":
            model.closed = True
            continue
        if kind == "edit" and args != model.args:
            model.args, model.approvers = args, []
        assert oracle.may_approve(user, model.args), f"{user} may not approve {model.args}"
        assert user not in model.approvers, f"{user} counted twice"
        model.approvers.append(user)
        model.closed = len(model.approvers) >= oracle.required(model.args)
    sql = "SELECT status FROM requests WHERE id = %s"
    request = _run(loop, harness.rows(sql, request_id))[0]
    if request["status"] == "decided":
        sql = "SELECT status, decision FROM approvals WHERE id = %s"
        decision = _run(loop, harness.rows(sql, approval_id))[0]
        if decision["status"] in ("approved", "edited"):
            resumed = decision["decision"]
            assert resumed["args"] == model.args and not model.expired
            approvers = set(resumed["decided_by"])
            assert approvers == set(model.approvers)
            assert all(oracle.may_approve(u, model.args) for u in approvers)
            assert len(approvers) >= oracle.required(model.args), (approvers, model.args)


def _explore(harness: Harness, loop: asyncio.AbstractEventLoop) -> None:
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        st.tuples(
            st.sampled_from(["raw", "rawx"]), BLOCKS, st.integers(0, len(ARGS) - 1), OPS
        )
    )
    def one(case: tuple[Any, ...]) -> None:
        _check_one(harness, loop, case)

    one()


async def test_no_sequence_resumes_without_every_required_eligible_approval(
    harness: Harness,
) -> None:
    harness.fake.usergroups.update(GROUP)
    await asyncio.to_thread(_explore, harness, asyncio.get_running_loop())
