"""Fixtures: a real Postgres (a fresh database per test), a fake Slack, the served bot."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
import pytest
from aiohttp.test_utils import TestServer
from psycopg.conninfo import make_conninfo

from bot.server import create_app
from bot.web.keys import DEPS

from support.config import make_settings
from support.fake_slack import FakeSlack, start_fake_slack
from support.graphs import CREATE as CREATE_SIDE_EFFECTS
from support.harness import Harness


@pytest.fixture(scope="session")
def admin_url() -> Iterator[str]:
    """``DATABASE_URL`` when given, else an embedded server for the whole session."""
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    import pgserver

    # Not under pytest's tmp dir: that is private to root, and postgres runs unprivileged.
    data_dir = tempfile.mkdtemp(prefix="approvals-test-pg-")
    server = pgserver.get_server(data_dir, cleanup_mode="stop")
    yield server.get_uri()
    server.cleanup()
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def database_url(admin_url: str) -> Iterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield make_conninfo(admin_url, dbname=name)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    """A fake Slack Web API over HTTP on an ephemeral port."""
    fake = FakeSlack()
    runner = await start_fake_slack(fake)
    yield fake
    await runner.cleanup()
    assert not fake.invalid, f"sent Slack what it refuses: {fake.invalid}"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module to change the bot's settings."""
    return {}


@pytest.fixture
async def harness(
    database_url: str, fake_slack: FakeSlack, settings_overrides: dict[str, Any]
) -> AsyncIterator[Harness]:
    """The bot's real aiohttp app on an ephemeral port, on a fresh database."""
    app = create_app(make_settings(database_url, fake_slack, **settings_overrides))
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    async with app[DEPS].pool.connection() as conn:
        await conn.execute(CREATE_SIDE_EFFECTS)
    async with aiohttp.ClientSession() as http:
        yield Harness(str(server.make_url("")).rstrip("/"), http, app[DEPS], fake_slack)
    await server.close()


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def langgraph_server() -> Iterator[Any]:
    """A real ``langgraph dev`` for the session (see support/langgraph_dev.py)."""
    from support.langgraph_dev import start_langgraph_dev

    server = start_langgraph_dev()
    yield server
    server.stop()
    shutil.rmtree(server.workdir, ignore_errors=True)


@pytest.fixture
async def server(langgraph_server: Any) -> Any:
    """An SDK client of the session's LangGraph Server, emptied of other tests' threads."""
    from support.langgraph_dev import emptied

    return await emptied(langgraph_server)
