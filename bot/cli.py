"""The command line: ``serve | run | pending | audit | migrate``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Coroutine, Sequence
from typing import Any

from bot.errors import ApprovalError
from bot.settings import Settings


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(  # SUPPRESS: before or after the command, either one counts
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="log in detail (as LOG_LEVEL=INFO does)",
    )
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__, parents=[common])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=text, parents=[common])

    serve = add("serve", "serve Slack (HTTP, or Socket Mode when SLACK_APP_TOKEN is set)")
    serve.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)  # bot.workers
    run = add("run", "start a run, post its requests, print its thread_id")
    run.add_argument("graph", help="a registered graph name (built-in or APPROVALS_GRAPHS)")
    run.add_argument("--input", required=True, help="the input as JSON (plain text: an agent's)")
    run.add_argument("--channel", help="channel to post in (default APPROVALS_CHANNEL)")
    run.add_argument("--requested-by", help="Slack user id of the requester")
    run.add_argument("--json", action="store_true", help="print a JSON object")
    pending = add("pending", "list requests waiting for a decision")
    pending.add_argument("--json", action="store_true", help="print JSON lines")
    audit = add(
        "audit",
        "print one run's trail (THREAD_ID), export every run's (--since/--until), "
        "or check the hash chains (verify)",
    )
    audit.add_argument(
        "thread_id", nargs="?", metavar="THREAD_ID|verify",
        help="one run's trail; or verify: recompute every hash chain (exit 1 on a break)",
    )
    _audit_export_args(audit)
    audit.add_argument(
        "--tz", default="UTC", help="show times in this zone, e.g. Europe/Paris (default UTC)"
    )
    audit.add_argument("--json", action="store_true", help="print a JSON array")
    add("migrate", "create or upgrade the database tables")
    return parser


def _audit_export_args(audit: argparse.ArgumentParser) -> None:
    audit.add_argument("--since", help="export events from this UTC date or time (ISO 8601)")
    audit.add_argument("--until", help="… up to (not including) this one (default: now)")
    audit.add_argument("--graph", help="export only the events of this graph's runs")
    audit.add_argument(
        "--format", choices=("jsonl", "csv"), help="export format (default jsonl)"
    )
    audit.add_argument(
        "--heads", metavar="FILE", help="verify: also check the chain heads of an earlier export"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse, build the settings once, run the command; domain errors become one line."""
    args = _parser().parse_args(argv)
    from bot.cli_commands import COMMANDS  # deferred: keeps --help fast

    try:
        settings = Settings()
        verbose = getattr(args, "verbose", False)
        setup_logging(settings.log_level, verbose=verbose, serving=args.command == "serve")
        return _run(COMMANDS[args.command](settings, args))
    except ApprovalError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _run(command: Coroutine[Any, Any, int]) -> int:
    """Run on uvloop's event loop where it is installed (it spends about a tenth less CPU
    per click than asyncio's, see bench/README.md), else on asyncio's."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - not on Windows
        return asyncio.run(command)
    return uvloop.run(command)


def setup_logging(level: str | None, *, verbose: bool, serving: bool) -> None:
    """Quiet by default: ``serve`` says a few lines of its own, other commands only problems.

    ``LOG_LEVEL`` (or ``--verbose``, as INFO) sets the level of every logger, libraries
    (pgserver, Bolt, psycopg) included.
    """
    chosen = level or ("INFO" if verbose else None)
    logging.basicConfig(
        level=chosen or logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    if chosen is None:
        logging.getLogger("bot").setLevel(logging.INFO if serving else logging.WARNING)
    logging.captureWarnings(True)  # a library's warning is a log record, shown by level
    logging.getLogger("py.warnings").setLevel(chosen or logging.ERROR)

