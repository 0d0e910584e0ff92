"""The command line: ``serve | run | pending | audit | migrate``."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any

from bot.errors import ApprovalError
from bot.settings import Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("serve", help="serve Slack (HTTP, or Socket Mode when SLACK_APP_TOKEN is set)")
    run = sub.add_parser("run", help="start a run, post its requests, print its thread_id")
    run.add_argument("graph", help="a registered graph name (built-in or APPROVALS_GRAPHS)")
    run.add_argument("--input", required=True, help="the graph input as JSON")
    run.add_argument("--channel", help="channel to post in (default APPROVALS_CHANNEL)")
    run.add_argument("--requested-by", help="Slack user id of the requester")
    run.add_argument("--json", action="store_true", help="print a JSON object")
    pending = sub.add_parser("pending", help="list requests waiting for a decision")
    pending.add_argument("--json", action="store_true", help="print JSON lines")
    audit = sub.add_parser("audit", help="print the audit trail of one run")
    audit.add_argument("thread_id")
    audit.add_argument("--json", action="store_true", help="print a JSON array")
    sub.add_parser("migrate", help="create or upgrade the database tables")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse, build the settings once, run the command; domain errors become one line."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from bot.cli_commands import COMMANDS  # deferred: keeps --help fast

    try:
        settings = Settings()
        return asyncio.run(COMMANDS[args.command](settings, args))
    except ApprovalError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def dump(value: Any) -> str:
    """JSON for the terminal (dates as ISO-8601)."""
    return json.dumps(value, default=str, ensure_ascii=False)
