"""Conditions on an action's arguments, for policy rules. Parsed, never evaluated as code.

A condition compares one argument (``amount``, or a dotted path into nested objects
such as ``payee.country``) with a literal::

    amount > 10000            currency == "EUR"          urgent == true
    payee.country in ["US", "CA"]                        env not in ['prod']

Operators: ``> >= < <= == != in``, ``not in``. The literal is a TOML value (a number,
a quoted string, ``true``/``false``, or for ``in`` a list of those). The table form
``{ arg = "amount", op = ">", value = 10000 }`` means the same; a list of conditions
matches when all of them do.

Matching is deliberately forgiving about the graph's types and strict about meaning:
a missing argument never matches (whatever the operator); a number compares with a
number or a numeric string (``"12500.00"``), exactly (as decimals); strings order
lexicographically; a value of another type never matches, except that ``!=`` and
``not in`` match any value that is present and not equal.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict

Op = Literal[">", ">=", "<", "<=", "==", "!=", "in", "not in"]
OPERATORS: tuple[str, ...] = get_args(Op)
Scalar = bool | int | float | str

_PATH = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*"
_CONDITION = re.compile(
    rf"^\s*(?P<arg>{_PATH})\s*(?P<op>not\s+in(?=[\s\[])|in(?=[\s\[])|>=|<=|==|!=|>|<)"
    r"\s*(?P<value>.+?)\s*$"
)
_LOOSE = re.compile(rf"^\s*(?P<arg>{_PATH})\s*(?P<op>[^\w\s\"'\[.-]+|\w+)\s*(?P<value>.*)$")


class ConditionError(ValueError):
    """A condition in a policy file cannot be understood."""


class Condition(BaseModel):
    """``arg op value``: one comparison against an action's arguments."""

    model_config = ConfigDict(frozen=True)

    arg: str
    op: Op
    value: Scalar | tuple[Scalar, ...]

    def matches(self, args: Mapping[str, Any]) -> bool:
        """Whether ``args`` satisfy this condition (see the module docstring)."""
        found, actual = _lookup(args, self.arg)
        if not found:
            return False
        if self.op in ("in", "not in"):
            assert isinstance(self.value, tuple)
            inside = any(_equal(actual, option) for option in self.value)
            return inside if self.op == "in" else not inside
        assert not isinstance(self.value, tuple)
        if self.op == "==":
            return _equal(actual, self.value)
        if self.op == "!=":
            return not _equal(actual, self.value)
        return _ordered(actual, self.op, self.value)

    def __str__(self) -> str:
        return f"{self.arg} {self.op} {self.value!r}"


def parse_conditions(raw: object) -> tuple[Condition, ...]:
    """The conditions of a rule's ``when``: a string, a table, or a list of those (all).

    Raises :class:`ConditionError` with a sentence saying what is wrong.
    """
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise ConditionError("must not be an empty list")
    return tuple(_parse_one(item) for item in items)


def _parse_one(raw: object) -> Condition:
    if isinstance(raw, str):
        return _parse_text(raw)
    if isinstance(raw, dict):
        return _parse_table(raw)
    raise ConditionError(
        'must be a string such as "amount > 10000", a table '
        '{ arg = "amount", op = ">", value = 10000 }, or a list of those'
    )


def _parse_text(text: str) -> Condition:
    found = _CONDITION.match(text)
    if found is None:
        loose = _LOOSE.match(text)
        if loose is not None and loose["op"] not in OPERATORS:
            raise ConditionError(f"unknown operator {loose['op']!r} in {text!r}; {_OPS_HINT}")
        raise ConditionError(f"cannot read {text!r}; write ARGUMENT OPERATOR VALUE, {_OPS_HINT}")
    op = " ".join(found["op"].split())
    return _build(found["arg"], op, _literal(found["value"], text=text))


def _parse_table(table: dict[str, Any]) -> Condition:
    unknown = sorted(set(table) - {"arg", "op", "value"})
    if unknown:
        raise ConditionError(f"unknown key {unknown[0]!r}; a condition table has arg, op, value")
    missing = [key for key in ("arg", "op", "value") if key not in table]
    if missing:
        raise ConditionError(f"missing key {missing[0]!r}; a condition table has arg, op, value")
    arg, op = table["arg"], table["op"]
    if not isinstance(arg, str) or re.fullmatch(_PATH, arg) is None:
        raise ConditionError(f"arg must be an argument name or dotted path, got {arg!r}")
    if op not in OPERATORS:
        raise ConditionError(f"unknown operator {op!r}; {_OPS_HINT}")
    return _build(arg, op, table["value"])


_OPS_HINT = "use one of " + ", ".join(OPERATORS)


def _literal(source: str, *, text: str) -> object:
    try:
        return tomllib.loads(f"v = {source}")["v"]
    except tomllib.TOMLDecodeError:
        raise ConditionError(
            f"cannot read the value {source!r} in {text!r}; use a number, a quoted string, "
            "true/false, or a [list] of those"
        ) from None


def _build(arg: str, op: str, value: object) -> Condition:
    if op in ("in", "not in"):
        if not isinstance(value, list) or not value:
            raise ConditionError(f"{op!r} needs a non-empty list such as [\"EUR\", \"GBP\"]")
        options = tuple(_scalar(item, op=op) for item in value)
        return Condition.model_validate({"arg": arg, "op": op, "value": options})
    scalar = _scalar(value, op=op)
    if op in (">", ">=", "<", "<=") and (isinstance(scalar, bool) or _number(scalar) is None):
        if not isinstance(scalar, str):
            raise ConditionError(f"{op!r} needs a number or a string, got {value!r}")
    return Condition.model_validate({"arg": arg, "op": op, "value": scalar})


def _scalar(value: object, *, op: str) -> Scalar:
    if isinstance(value, float) and not math.isfinite(value):
        raise ConditionError(f"{op!r} needs a finite number, got {value!r}")
    if isinstance(value, bool | int | float | str):
        return value
    raise ConditionError(f"{op!r} needs a number, a string or true/false, got {value!r}")


def _lookup(args: Mapping[str, Any], path: str) -> tuple[bool, object]:
    current: object = args
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return False, None
        current = current[part]
    return True, current


def _number(value: object) -> Decimal | None:
    """``value`` as an exact decimal if it is a number or a numeric string, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip().replace("_", "")
    else:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _equal(actual: object, expected: Scalar) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual == expected
    if isinstance(expected, int | float):
        number = _number(actual)
        return number is not None and number == _number(expected)
    return isinstance(actual, str) and actual == expected


def _ordered(actual: object, op: str, expected: Scalar) -> bool:
    left: Any
    right: Any
    if isinstance(expected, str):
        if not isinstance(actual, str):
            return False
        left, right = actual, expected
    else:
        left, right = _number(actual), _number(expected)
        if left is None or right is None:
            return False
    if op == ">":
        return bool(left > right)
    if op == ">=":
        return bool(left >= right)
    if op == "<":
        return bool(left < right)
    return bool(left <= right)
