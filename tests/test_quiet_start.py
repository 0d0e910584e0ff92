"""What a start and a command print: a few lines of our own, detail only when asked."""

from __future__ import annotations

import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from support.fake_slack import FakeSlack
from support.harness import eventually
from support.procs import Served, bot_env, procs, run_cli


@pytest.fixture
def data_dir() -> Iterator[str]:
    # Not under pytest's tmp dir: that is private to root, and postgres runs unprivileged.
    path = tempfile.mkdtemp(prefix="approvals-cli-pg-")
    yield str(Path(path) / "pg")
    shutil.rmtree(path, ignore_errors=True)


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


async def test_first_embedded_start_of_a_command_prints_only_its_answer(
    database_url: str, fake_slack: FakeSlack, data_dir: str
) -> None:
    env = bot_env(database_url, fake_slack, APPROVALS_DATA_DIR=data_dir)
    del env["DATABASE_URL"]  # the embedded Postgres: initialised on this first start
    code, out, err = await run_cli("pending", env=env)
    assert code == 0, err
    assert _lines(out) == ["no pending requests"] and _lines(err) == []

    code, out, err = await run_cli("pending", "--verbose", env=env)
    assert code == 0 and _lines(out) == ["no pending requests"]
    assert "pgserver" in err  # the detail comes back when asked for


async def test_run_pending_and_audit_write_nothing_to_stderr(
    database_url: str, fake_slack: FakeSlack
) -> None:
    env = bot_env(database_url, fake_slack)
    run_input = '{"amount": 1, "recipient": "x"}'
    code, out, err = await run_cli("run", "payments", "--input", run_input, env=env)
    assert code == 0 and _lines(err) == [] and len(_lines(out)) == 1
    thread_id = out.strip()
    for args in (("pending",), ("audit", thread_id), ("migrate",)):
        code, out, err = await run_cli(*args, env=env)
        assert code == 0 and _lines(err) == [], (args, err)
    code, _, err = await run_cli("pending", env={**env, "LOG_LEVEL": "debug"})
    assert code == 0 and " DEBUG " in err


async def _start_lines(served: Served) -> list[str]:
    async def said() -> list[str]:
        lines = _lines(served.output())
        return lines if len(lines) >= 3 else []

    return await eventually(said)


async def test_serve_says_where_it_listens_which_database_and_mode_in_three_lines(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    async with procs(database_url, fake_slack, tmp_path) as group:
        served = await group.serve(HOST="127.0.0.1")
        lines = await _start_lines(served)
        assert await group.stop(served, signal.SIGTERM) == 0
        output = _lines(served.output())
    assert len(lines) == 3, lines
    assert f"listening on http://127.0.0.1:{served.port}" in lines[0]
    assert "database: Postgres t_" in lines[1] and "mode: HTTP" in lines[2]
    assert output[3:] == [output[3]] and "shutting down" in output[3]
    assert "token` will be unused" not in served.output()


async def test_host_binds_only_the_address_given(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    async with procs(database_url, fake_slack, tmp_path) as group, aiohttp.ClientSession() as http:
        only_one = await group.serve(HOST="127.0.0.1")
        every = await group.serve()
        lines = await _start_lines(every)
        assert f"listening on port {every.port} on every interface" in lines[0]
        # 127.0.0.2 is loopback too: it reaches a socket bound to every interface, only.
        async with http.get(f"http://127.0.0.2:{every.port}/healthz") as resp:
            assert resp.status == 200
        with pytest.raises(aiohttp.ClientConnectionError):
            await http.get(f"http://127.0.0.2:{only_one.port}/healthz")


@pytest.mark.parametrize("argv", [["-v", "pending"], ["pending", "--verbose"]])
def test_verbose_counts_before_or_after_the_command(argv: list[str]) -> None:
    from bot.cli import _parser

    assert _parser().parse_args(argv).verbose is True
    assert not hasattr(_parser().parse_args(["pending"]), "verbose")
