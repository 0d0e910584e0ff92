"""An embedded Postgres (pgserver) for development and tests when DATABASE_URL is unset."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def start_embedded(data_dir: str | Path) -> tuple[str, Any]:
    """Start (or attach to) the embedded server under ``data_dir``; return (url, server).

    The server stops when the last process using it exits. Running as root is handled by
    pgserver itself (it runs postgres as an unprivileged user).
    """
    import pgserver  # imported lazily: production uses DATABASE_URL and never needs it

    path = Path(data_dir).resolve()
    path.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(path, cleanup_mode="stop")
    return server.get_uri(), server
