"""Open (and close) the process's resources: database, checkpointer, graphs, Slack."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bot.api.store import ApiStore
from bot.engine.deps import Deps
from bot.policy import PolicyBook, load_policy_file
from bot.settings import Settings
from bot.slack.client import make_client, open_session
from bot.slack.usergroups import ApproverDirectory
from graphs.agents_sdk import AgentsRunner
from graphs.external import ExternalRunner
from graphs.registry import GraphRegistry, parse_graph_specs
from graphs.remote import RemoteRunner
from graphs.runner import LocalRunner
from graphs.runners import Runners
from persistence.agent_states import AgentStates
from persistence.checkpointer import open_checkpointer
from persistence.embedded import start_embedded
from persistence.migrations import migrate
from persistence.pool import Pool, open_pool

log = logging.getLogger(__name__)


def database_url(settings: Settings) -> tuple[str, Any]:
    """``DATABASE_URL``, or the embedded server's URL (and its handle) when unset."""
    if settings.database_url is not None:
        return settings.secret("database_url"), None
    url, server = start_embedded(settings.approvals_data_dir)
    log.debug("using the embedded Postgres under %s", settings.approvals_data_dir)
    return url, server


def load_policies(settings: Settings) -> PolicyBook:
    """The policy file's book, or an empty one."""
    if not settings.approvals_policy:
        return PolicyBook()
    return load_policy_file(settings.approvals_policy)


def load_graphs(settings: Settings) -> GraphRegistry:
    """Built-in graphs plus ``APPROVALS_GRAPHS``."""
    return GraphRegistry(parse_graph_specs(settings.approvals_graphs))


def load_runners(
    settings: Settings, graphs: GraphRegistry, checkpointer: Any, pool: Pool
) -> Runners:
    """Local graphs, Agents and the approvals API's requests always; a LangGraph Server too
    when ``LANGGRAPH_API_URL`` is set."""
    remote = None
    if settings.langgraph_api_url:
        remote = RemoteRunner(
            settings.langgraph_api_url,
            api_key=settings.secret("langgraph_api_key"),
            wait_s=settings.langgraph_wait_s,
            requester_key=settings.langgraph_requester_key,
        )
    agents = AgentsRunner(graphs, AgentStates(pool))
    external = ExternalRunner(ApiStore(pool, settings))
    return Runners(LocalRunner(graphs, checkpointer), remote, agents, external=external)


@asynccontextmanager
async def open_deps(settings: Settings, *, run_migrations: bool = True) -> AsyncIterator[Deps]:
    """Open everything once, migrate, and close it all on the way out."""
    policies = load_policies(settings)  # fail fast on a bad policy file, before any I/O
    graphs = load_graphs(settings)
    url, server = database_url(settings)
    pool = await open_pool(url, max_size=settings.approvals_pool_size)
    session = open_session()
    try:
        await pool.wait(timeout=30)
        if run_migrations:
            await migrate(pool)
        checkpointer = await open_checkpointer(pool, setup=run_migrations)
        slack = make_client(
            settings.secret("slack_bot_token"), base_url=settings.slack_api_url, session=session
        )
        deps = Deps(
            settings=settings,
            pool=pool,
            checkpointer=checkpointer,
            graphs=graphs,
            slack=slack,
            policies=policies,
            approvers=ApproverDirectory(slack),
            runners=load_runners(settings, graphs, checkpointer, pool),
            resume_slots=asyncio.Semaphore(max(1, settings.approvals_pool_size // 2 - 1)),
            lease_ttl_s=settings.approvals_lease_s,
        )
        await deps.workspace.load(slack)
        yield deps
    finally:
        await session.close()
        await pool.close()
        del server  # the embedded server stops when its last user process exits
