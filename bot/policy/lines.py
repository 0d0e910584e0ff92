"""Where each key of a TOML document is written, so errors can name a line.

``tomllib`` reports lines only for syntax errors; this scanner maps a key path such as
``("graphs", "payments", "actions", "pay", "rules", 0, "required_approvals")`` to the
line that wrote it. It understands table headers, arrays of tables and (dotted) keys,
which is all a policy file needs; anything it misses falls back to the enclosing table.
"""

from __future__ import annotations

import re

KeyPath = tuple[str | int, ...]

_PART = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_DOTTED = rf"{_PART}(?:\s*\.\s*{_PART})*"
_HEADER = re.compile(rf"^\s*(?P<open>\[\[?)\s*(?P<key>{_DOTTED})\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(rf"^\s*(?P<key>{_DOTTED})\s*=")
_TOKEN = re.compile(r""""([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+)""")
_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def split_key(text: str) -> tuple[str, ...]:
    """``a."b.c".d`` as ``("a", "b.c", "d")``."""
    return tuple(next(group for group in found if group) for found in _TOKEN.findall(text))


def key_lines(text: str) -> dict[KeyPath, int]:
    """The 1-based line of every table header and key in ``text``, by full key path."""
    lines: dict[KeyPath, int] = {}
    table: KeyPath = ()
    counts: dict[KeyPath, int] = {}
    in_multiline = False
    for number, line in enumerate(text.splitlines(), start=1):
        quotes = line.count('"""') + line.count("'''")
        if in_multiline:
            in_multiline = quotes % 2 == 0
            continue
        header = _HEADER.match(line)
        if header is not None:
            path: KeyPath = split_key(header["key"])
            if header["open"] == "[[":
                counts[path] = counts.get(path, -1) + 1
                path = (*path, counts[path])
            table = path
            _record(lines, table, number)
            continue
        key = _KEY.match(line)
        if key is not None:
            _record(lines, (*table, *split_key(key["key"])), number)
        in_multiline = quotes % 2 == 1
    return lines


def _record(lines: dict[KeyPath, int], path: KeyPath, number: int) -> None:
    # Implicit parents (``graphs`` in ``[graphs.pay]``) are first written on this line too.
    for end in range(1, len(path) + 1):
        lines.setdefault(path[:end], number)


def line_of(lines: dict[KeyPath, int], path: KeyPath) -> int | None:
    """The line of ``path``, else of its nearest enclosing key or table that was found."""
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


def format_path(path: KeyPath) -> str:
    """``("graphs", "pay", "rules", 0, "when")`` as ``graphs.pay.rules[0].when``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            name = part if _BARE.match(part) else f'"{part}"'
            text += f".{name}" if text else name
    return text
