"""Where code may live: SQL only in persistence/, and no import cycle in the CLI."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The project writes SQL keywords in capitals; a sentence such as "Select a channel" is not SQL.
SQL = re.compile(r"^\s*(SELECT|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|WITH\s+\w+\s+AS)\b")


def _strings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_sql_lives_only_in_persistence() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {text.strip()[:60]}"
        for package in ("bot", "graphs")
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, text in _strings(path)
        if SQL.match(text)
    ]
    assert found == []


def test_the_checker_sees_sql(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text(
        'Q = """\nSELECT 1 FROM runs"""\nR = "UPDATE runs SET x = 1"\nS = "Select who"\n'
    )
    assert [line for line, text in _strings(sample) if SQL.match(text)] == [1, 3]


def test_cli_commands_do_not_import_the_cli() -> None:
    tree = ast.parse((ROOT / "bot" / "cli_commands.py").read_text())
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    } | {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
         for alias in node.names}
    assert "bot.cli" not in imported
