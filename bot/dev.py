"""Bootstrap for a fresh machine, standard library only.

``python3 -m bot.dev serve`` creates ``.venv``, installs the project and runs the bot;
``python3 -m bot.dev test`` installs the dev extra and runs ruff, mypy and pytest.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
PY = VENV / "bin" / "python"


def _stamp(extra: str) -> Path:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    return VENV / f".install-stamp-{extra}-{digest}"


def ensure_env(*, dev: bool) -> None:
    """Create the virtual environment and install the project once per pyproject change."""
    extra = "dev" if dev else "run"
    stamp = _stamp(extra)
    if stamp.exists():
        return
    if not PY.exists():
        print("creating .venv …", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    target = ".[dev]" if dev else "."
    print(f"installing {target} into .venv …", file=sys.stderr)
    subprocess.run(
        [str(PY), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", target],
        cwd=ROOT,
        check=True,
    )
    stamp.touch()


def _run(*args: str) -> int:
    return subprocess.run([str(PY), *args], cwd=ROOT).returncode


def test(argv: list[str]) -> int:
    """Lint, type-check and run the whole suite (what CI runs)."""
    ensure_env(dev=True)
    for step in (("-m", "ruff", "check", "."), ("-m", "mypy")):
        print("$", " ".join(step[1:]), flush=True)
        if code := _run(*step):
            return code
    return _run("-m", "pytest", *argv)


def serve(argv: list[str]) -> int:
    """Install what is missing, then run ``python -m bot serve``."""
    ensure_env(dev=False)
    os.execv(str(PY), [str(PY), "-m", "bot", "serve", *argv])
    return 0  # pragma: no cover - execv does not return


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("serve", "test"):
        print("usage: python3 -m bot.dev {serve|test} [args…]", file=sys.stderr)
        return 2
    return (serve if argv[0] == "serve" else test)(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
