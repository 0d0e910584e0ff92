"""A real ``langgraph dev`` server (from ``langgraph-cli[inmem]``) serving the test graph.

Started once per session on a free loopback port: it is slow to start. It keeps its
state in memory (flushed to its working directory, a temporary copy of
``tests/langgraph_server``), so a restart keeps the threads, as a deployed server would.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient

from support.harness import Harness, eventually
from support.procs import ROOT, free_port

SERVER_DIR = Path(__file__).resolve().parent.parent / "langgraph_server"
LANGGRAPH = ROOT / ".venv" / "bin" / "langgraph"
WEBHOOK_SECRET = "lg-webhook-test-secret"
GRAPH = "server_pay"
_LISTENING = re.compile(r"API: (http://[\d.:a-z]+)")


def _answers_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/ok", timeout=1) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


@dataclass
class LangGraphDev:
    """One ``langgraph dev`` process; ``restart`` stops it and starts it again."""

    workdir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, timeout_s: float = 90.0) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LANGGRAPH_")}
        env.update(
            LANGGRAPH_CLI_NO_ANALYTICS="1",
            LANGGRAPH_NO_VERSION_CHECK="true",
            LG_WEBHOOK_SECRET=WEBHOOK_SECRET,
            PYTHONUNBUFFERED="1",
        )
        self.log_path = self.workdir / "server.log"
        args = [str(LANGGRAPH), "dev", "--no-browser", "--no-reload",
                "--host", "127.0.0.1", "--port", str(self.port)]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                args, cwd=self.workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"langgraph dev exited:\n{self.log_path.read_text()[-3000:]}")
            moved = _LISTENING.findall(self.log_path.read_text(errors="replace"))
            if moved and moved[-1] != self.url:  # it moves to another port when busy
                self.port = int(moved[-1].rsplit(":", 1)[1])
            if _answers_ok(self.url):
                return
            time.sleep(0.3)
        tail = self.log_path.read_text()[-3000:]
        raise RuntimeError(f"langgraph dev did not answer /ok:\n{tail}")

    def stop(self, *, crash: bool = False) -> None:
        """SIGTERM and wait (its state is flushed), or SIGKILL at once with ``crash``."""
        if self.proc is None:
            return
        os.killpg(self.proc.pid, signal.SIGKILL if crash else signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


def start_langgraph_dev() -> LangGraphDev:
    """Copy the test graph to a temporary directory and serve it there."""
    workdir = Path(tempfile.mkdtemp(prefix="approvals-langgraph-"))
    for name in ("graph.py", "langgraph.json"):
        shutil.copy(SERVER_DIR / name, workdir / name)
    server = LangGraphDev(workdir)
    server.start()
    return server


def server_settings(server: LangGraphDev, **extra: Any) -> dict[str, Any]:
    """The bot's settings overrides for this server (a fast poll unless told otherwise)."""
    return {
        "langgraph_api_url": server.url,
        "langgraph_poll_s": 0.3,
        "langgraph_webhook_secret": WEBHOOK_SECRET,
        **extra,
    }


async def emptied(server: LangGraphDev) -> LangGraphClient:
    """A client of ``server`` after deleting every thread (other tests' runs)."""
    client = get_client(url=server.url, api_key=None)
    while found := await client.threads.search(limit=100):
        for thread in found:
            await client.threads.delete(thread["thread_id"])
    return client


async def start_on_server(
    client: LangGraphClient, run_input: dict[str, Any], **metadata: Any
) -> str:
    """Start a run directly on the server (not through the bot); wait for its interrupt."""
    thread = await client.threads.create(metadata=metadata)
    await client.runs.wait(thread["thread_id"], GRAPH, input=run_input)
    return str(thread["thread_id"])


async def posted_approval(harness: Harness, thread_id: str) -> int:
    """The approval id of the thread's open request, once the bot has posted it."""

    async def posted() -> list[int]:
        rows = await harness.rows(
            "SELECT a.id FROM approvals a JOIN requests r ON r.id = a.request_id "
            "WHERE r.thread_id = %s AND r.message_ts IS NOT NULL AND r.resumed_at IS NULL",
            thread_id,
        )
        return [int(r["id"]) for r in rows]

    return int((await eventually(posted))[0])


async def answers(client: LangGraphClient, thread_id: str) -> list[Any]:
    """The resume values the server's graph received, in order."""
    state: Any = await client.threads.get_state(thread_id)
    return list(state["values"].get("answers", []))


async def resume_runs(client: LangGraphClient, thread_id: str) -> int:
    """How many runs on the thread carried a resume command."""
    found = await client.runs.list(thread_id, limit=100)
    return sum(1 for r in found if (r.get("kwargs") or {}).get("command"))




async def done_with_sweeps(harness: Harness, thread_id: str) -> None:
    """Wait until the run is ``done``, sweeping as the background loop would meanwhile.

    On a loaded machine the server's thread can stay busy past the resume's own wait;
    the run is then left ``running`` for the sweeper to finish (``sync_left_running``),
    which the tests do not run on a timer.
    """
    from bot.engine.sweeper import sweep_once

    async def done() -> bool:
        if await harness.run_status(thread_id) == "done":
            return True
        await sweep_once(harness.deps, grace_s=0)
        return await harness.run_status(thread_id) == "done"

    await eventually(done)
