"""``python -m bot audit --since … --until …`` (the export) and ``audit verify``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.errors import ConfigError
from bot.settings import Settings

EXPORT_FLAGS = ("since", "until", "graph", "format")


async def audit_other(settings: Settings, args: argparse.Namespace) -> int | None:
    """Run ``verify`` or the export when asked for; None leaves one run's trail to print."""
    exporting = any(getattr(args, flag) is not None for flag in EXPORT_FLAGS)
    if args.thread_id == "verify":
        if exporting:
            raise ConfigError("verify takes no --since, --until, --graph or --format")
        return await verify(settings, heads=args.heads)
    if args.heads is not None:
        raise ConfigError("--heads goes with verify: python -m bot audit verify --heads FILE")
    if exporting and args.thread_id is not None:
        raise ConfigError("give a THREAD_ID or --since/--until, not both")
    if exporting:
        return await export(settings, args)
    if args.thread_id is None:
        raise ConfigError(
            "give a THREAD_ID, verify, or --since/--until to export (see --help)"
        )
    return None


async def export(settings: Settings, args: argparse.Namespace) -> int:
    """Print every event in the window, then the heads of their chains."""
    from bot.audit_export import EPOCH, csv_lines, jsonl, parse_time, records
    from bot.runtime import open_deps

    since = parse_time(args.since, name="--since") if args.since else EPOCH
    until = parse_time(args.until, name="--until") if args.until else datetime.now(UTC)
    out = sys.stdout
    header = True
    async with open_deps(settings) as deps, deps.pool.connection() as conn:
        async for record in records(conn, since=since, until=until, graph=args.graph):
            if args.format == "csv":
                out.write(csv_lines([record], header=header))
                header = False
            else:
                out.write(jsonl(record) + "\n")
    if header and args.format == "csv":
        out.write(csv_lines([], header=True))
    out.flush()
    return 0


async def verify(settings: Settings, *, heads: str | None) -> int:
    """Recompute every chain; print each break and exit 1 when there is one."""
    from bot.audit_chain import verify as verify_chains
    from bot.audit_export import pinned_heads
    from bot.runtime import open_deps

    pinned = None
    if heads is not None:
        try:
            text = await asyncio.to_thread(Path(heads).read_text, encoding="utf-8")
            pinned = pinned_heads(text.splitlines())
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigError(f"--heads {heads!r}: cannot read its head records ({exc})") from None
    async with open_deps(settings) as deps, deps.pool.connection() as conn:
        result = await verify_chains(conn, pinned)
    for found in result.breaks:
        print(found.line())
    intact = result.chains - len(result.breaks)
    summary = f"{intact} of {result.chains} chains intact"
    print(summary, file=sys.stderr if result.breaks else sys.stdout)
    return 1 if result.breaks else 0
