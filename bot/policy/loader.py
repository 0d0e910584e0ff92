"""Reading and validating a policy file (``APPROVALS_POLICY``) into a :class:`PolicyBook`.

Every problem is reported at once, one per line, as ``FILE:LINE: FIELD: what is wrong``,
in a :class:`~bot.errors.ConfigError` raised at start.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from bot.errors import ConfigError
from bot.policy.book import GraphSection, PolicyBook, Rule, Section
from bot.policy.cel import ConditionError, parse_conditions
from bot.policy.lines import KeyPath, format_path, key_lines, line_of
from bot.policy.model import POLICY_FIELDS, PolicyPatch
from bot.policy.resume import parse_resume

_TOP = ("defaults", "graphs", "actions")
_SYNTAX_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
Problems = list[tuple[KeyPath, str]]


def load_policy_file(path: str | Path) -> PolicyBook:
    """Read the TOML policy file at ``path``; raise ``ConfigError`` naming file, line, field."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: cannot read the policy file: {exc}") from None
    return parse_policy(text, source=source)


def parse_policy(text: str, *, source: str = "<policy>") -> PolicyBook:
    """Parse policy TOML ``text``; ``source`` names it in error messages."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_syntax_message(str(exc), source=source, text=text)) from None
    problems: Problems = []
    book = _book(document, problems, source=source)
    if problems:
        lines = key_lines(text)
        located = sorted(problems, key=lambda problem: line_of(lines, problem[0]) or 0)
        raise ConfigError("\n".join(_describe(path, why, lines, source) for path, why in located))
    return book


def _syntax_message(message: str, *, source: str, text: str) -> str:
    found = _SYNTAX_AT.search(message)
    if found is None:
        reason = message.removesuffix(" (at end of document)")
        end = max(len(text.splitlines()), 1)
        return f"{source}:{end}: TOML syntax error at the end of the file: {reason}"
    reason = message[: found.start()]
    return f"{source}:{found[1]}: TOML syntax error at column {found[2]}: {reason}"


def _describe(path: KeyPath, why: str, lines: dict[KeyPath, int], source: str) -> str:
    line = line_of(lines, path)
    where = f"{source}:{line}" if line is not None else source
    return f"{where}: {format_path(path)}: {why}" if path else f"{where}: {why}"


def _book(document: dict[str, Any], problems: Problems, *, source: str) -> PolicyBook:
    _unknown_keys(document, (), allowed=_TOP, problems=problems)
    defaults = _section(document.get("defaults", {}), ("defaults",), problems)
    graphs: dict[str, GraphSection] = {}
    for name, table in _tables(document.get("graphs", {}), ("graphs",), problems).items():
        graphs[name] = _graph(table, ("graphs", name), problems)
    actions = {
        name: _section(table, ("actions", name), problems)
        for name, table in _tables(document.get("actions", {}), ("actions",), problems).items()
    }
    return PolicyBook(source=source, defaults=defaults, graphs=graphs, actions=actions)


def _tables(value: object, path: KeyPath, problems: Problems) -> dict[str, Any]:
    """A table of named tables (``[graphs.X]``, ``[actions.X]``), keeping only tables."""
    if not isinstance(value, dict):
        problems.append((path, f"must be a table, got {_kind(value)}"))
        return {}
    tables: dict[str, Any] = {}
    for name, table in value.items():
        if isinstance(table, dict):
            tables[name] = table
        else:
            problems.append(((*path, name), f"must be a table, got {_kind(table)}"))
    return tables


def _graph(table: dict[str, Any], path: KeyPath, problems: Problems) -> GraphSection:
    section = _section(table, path, problems, extra=("actions", "graph_may_relax", "resume"))
    actions = {
        name: _section(action, (*path, "actions", name), problems, extra=("resume",)).model_copy(
            update={"resume": parse_resume(action.get("resume"), (*path, "actions", name,
                                                                  "resume"), problems)}
        )
        for name, action in _tables(table.get("actions", {}), (*path, "actions"), problems).items()
    }
    relax = table.get("graph_may_relax", False)
    if not isinstance(relax, bool):
        problems.append(((*path, "graph_may_relax"), f"must be true or false, got {relax!r}"))
        relax = False
    resume = parse_resume(table.get("resume"), (*path, "resume"), problems)
    return GraphSection(
        patch=section.patch, rules=section.rules, actions=actions, graph_may_relax=relax,
        resume=resume,
    )


def _section(
    table: object, path: KeyPath, problems: Problems, *, extra: tuple[str, ...] = ()
) -> Section:
    if not isinstance(table, dict):
        problems.append((path, f"must be a table, got {_kind(table)}"))
        return Section()
    _unknown_keys(table, path, allowed=(*POLICY_FIELDS, "rules", *extra), problems=problems)
    patch = _patch(table, path, problems)
    raw_rules = table.get("rules", [])
    if not isinstance(raw_rules, list):
        problems.append(((*path, "rules"), "must be an array of tables ([[...rules]])"))
        return Section(patch=patch)
    rules = [_rule(raw, (*path, "rules", index), problems) for index, raw in enumerate(raw_rules)]
    return Section(patch=patch, rules=tuple(rule for rule in rules if rule is not None))


def _rule(raw: object, path: KeyPath, problems: Problems) -> Rule | None:
    if not isinstance(raw, dict):
        problems.append((path, f"must be a table, got {_kind(raw)}"))
        return None
    _unknown_keys(raw, path, allowed=("when", *POLICY_FIELDS), problems=problems)
    patch = _patch(raw, path, problems)
    if "when" not in raw:
        problems.append((path, 'a rule needs a condition: when = "amount > 10000"'))
        return None
    try:
        conditions = parse_conditions(raw["when"])
    except ConditionError as exc:
        problems.append(((*path, "when"), str(exc)))
        return None
    if not any(key in POLICY_FIELDS for key in raw):
        problems.append((path, "a rule must set at least one policy field"))
    return Rule(when=conditions, patch=patch)


def _patch(table: dict[str, Any], path: KeyPath, problems: Problems) -> PolicyPatch:
    fields = {key: value for key, value in table.items() if key in POLICY_FIELDS}
    try:
        patch = PolicyPatch.model_validate(fields)
    except ValidationError as exc:
        for error in exc.errors():
            problems.append(((*path, *error["loc"]), _explain(error)))
        return PolicyPatch()
    if patch.standing_when is not None:  # compiled at start, like a rule's condition
        try:
            parse_conditions(patch.standing_when)
        except ConditionError as exc:
            problems.append(((*path, "standing_when"), str(exc)))
    return patch


def _unknown_keys(
    table: dict[str, Any], path: KeyPath, *, allowed: tuple[str, ...], problems: Problems
) -> None:
    for key in table:
        if key in allowed:
            continue
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"expected one of {', '.join(allowed)}"
        problems.append(((*path, key), f"unknown field; {hint}"))


def _explain(error: ErrorDetails) -> str:
    """A pydantic error as a sentence about a TOML value."""
    kind, ctx, value = error["type"], error.get("ctx", {}), error.get("input")
    if kind == "greater_than_equal":
        return f"must be ≥ {ctx['ge']} (got {value!r})"
    if kind == "greater_than":
        return f"must be > {ctx['gt']} (got {value!r})"
    if kind == "literal_error":
        return f"must be one of {ctx['expected']} (got {value!r})"
    if kind == "string_pattern_mismatch":
        field = next((part for part in error["loc"] if isinstance(part, str)), "")
        if field == "approvers":
            return f"must be a Slack user id (U…, W…) or user-group id (S…), got {value!r}"
        return f"must be a Slack channel id or name without spaces, got {value!r}"
    if kind == "too_short":
        return "must not be empty"
    expected = {
        "int_type": "an integer",
        "bool_type": "true or false",
        "string_type": "a string",
        "list_type": "an array",
    }.get(kind)
    if expected is not None:
        return f"must be {expected}, got {_kind(value)} {value!r}"
    return f"{error['msg']} (got {value!r})"


def _kind(value: object) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a float", str: "a string"}
    names |= {list: "an array", dict: "a table"}
    return names.get(type(value), type(value).__name__)
