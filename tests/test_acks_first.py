"""Acks first: renders and resumes wait while a Slack request is being answered, and the
answer goes out as soon as the listener acks."""

from __future__ import annotations

import asyncio

from bot.app import build_bolt_app
from bot.engine.urgent import Urgent
from bot.slack.prompt_ack import PromptListenerRunner

from support.harness import Harness


async def test_after_returns_at_once_when_nothing_is_being_answered() -> None:
    await asyncio.wait_for(Urgent().after(), timeout=5)


async def test_after_waits_until_every_answer_is_out() -> None:
    urgent = Urgent(max_wait_s=60)
    first, second = urgent.answering(), urgent.answering()
    await first.__aenter__()
    await second.__aenter__()
    waiting = asyncio.ensure_future(urgent.after())
    await asyncio.sleep(0)
    await first.__aexit__(None, None, None)
    await asyncio.sleep(0)
    assert not waiting.done()  # one request is still being answered
    await second.__aexit__(None, None, None)
    await asyncio.wait_for(waiting, timeout=5)
    assert urgent.answering_now == 0


async def test_a_request_that_never_ends_holds_work_back_only_so_long() -> None:
    urgent = Urgent(max_wait_s=0.01)
    async with urgent.answering():
        await asyncio.wait_for(urgent.after(), timeout=5)  # gave up waiting, did not hang


async def test_an_answer_that_raises_still_counts_as_out() -> None:
    urgent = Urgent()
    try:
        async with urgent.answering():
            raise RuntimeError("listener failed")
    except RuntimeError:
        pass
    assert urgent.answering_now == 0
    await asyncio.wait_for(urgent.after(), timeout=5)


async def test_the_app_answers_slack_with_the_prompt_runner(harness: Harness) -> None:
    assert isinstance(build_bolt_app(harness.deps).listener_runner, PromptListenerRunner)
    started = await harness.start("payments", {"amount": 2500, "recipient": "acme"})
    (approval_id,) = await harness.approval_ids(started.thread_id)
    status, _ = await harness.click("approve", approval_id, user="UALICE")
    assert status == 200
    await harness.wait_done(started.thread_id)
