"""Rule conditions in CEL (the Common Expression Language), compiled once, never eval'd.

A condition is a CEL expression over the action's arguments, each argument a variable::

    amount > 10000 && currency == "EUR"
    recipient in ["offshore", "unknown"] || amount > 50000
    has(payee.country) && payee.country != "US"

CEL is typed: an integer compares with an integer (``amount > 10000``), a double with a
double (``amount > 10000.0``), a string with a string. A condition that cannot be
evaluated for a request — a missing argument, operands that are not of the types it
compares (``true > 10000``, ``"50000" > 10000``), ``has()`` on a value that is not a map,
a result that is not a boolean — is neither true nor false: :meth:`CelCondition.evaluate`
returns None and the rule fails closed (see :mod:`bot.policy.book`). CEL's own logic
still holds: ``false && <unknown>`` is false, ``true || <unknown>`` is true.

The old one-comparison forms are valid CEL, except ``x not in [...]``: written alone it
is read as ``!(x in [...])``; inside a larger expression it is refused with that hint.
The table form ``{ arg = "amount", op = ">", value = 10000 }`` means ``amount > 10000``.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Mapping
from typing import Any

import celpy
import lark
from celpy import celtypes, evaluation
from pydantic import BaseModel, ConfigDict, PrivateAttr

log = logging.getLogger(__name__)

OPERATORS: tuple[str, ...] = (">", ">=", "<", "<=", "==", "!=", "in", "not in")
_PATH = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*"
_OLD_NOT_IN = re.compile(rf"^\s*(?P<arg>{_PATH})\s+not\s+in\s*(?P<list>\[.*\])\s*$", re.S)
_NOT_IN = re.compile(r"\bnot\s+in\b")


def _strictly(compare: Any) -> Any:
    """A relational operator that refuses operands it cannot order (an error, not false)."""

    def relation(a: Any, b: Any) -> Any:
        if not _comparable(a, b):
            raise TypeError(f"cannot compare {type(a).__name__} with {type(b).__name__}")
        return compare(a, b)

    return relation


_NUMBERS = (celtypes.IntType, celtypes.UintType, celtypes.DoubleType)


def _comparable(a: Any, b: Any) -> bool:
    if isinstance(a, celtypes.BoolType) or isinstance(b, celtypes.BoolType):
        return isinstance(a, celtypes.BoolType) and isinstance(b, celtypes.BoolType)
    if isinstance(a, _NUMBERS) and isinstance(b, _NUMBERS):
        return True
    ordered = (celtypes.StringType, celtypes.BytesType, celtypes.TimestampType,
               celtypes.DurationType)
    return any(isinstance(a, kind) and isinstance(b, kind) for kind in ordered)


def _no_bool_as_number(compare: Any) -> Any:
    """Equality that refuses a boolean against a number (Python would say True == 1)."""

    def equality(a: Any, b: Any) -> Any:
        if isinstance(a, celtypes.BoolType) != isinstance(b, celtypes.BoolType) and (
            isinstance(a, _NUMBERS) or isinstance(b, _NUMBERS)
        ):
            raise TypeError(f"cannot compare {type(a).__name__} with {type(b).__name__}")
        return compare(a, b)

    return equality


_STRICT_FUNCTIONS = {
    name: _strictly(getattr(evaluation, fn))
    for name, fn in (("_<_", "bool_lt"), ("_<=_", "bool_le"), ("_>_", "bool_gt"),
                     ("_>=_", "bool_ge"))
} | {
    "_==_": _no_bool_as_number(evaluation.bool_eq),
    "_!=_": _no_bool_as_number(evaluation.bool_ne),
}


def _selected(exprlist: Any) -> Any:
    """The ``e`` of ``has(e.f)``: the object whose field is asked about, or None."""
    node = exprlist
    while isinstance(node, lark.Tree) and node.data != "member_dot" and len(node.children) == 1:
        node = node.children[0]
    if isinstance(node, lark.Tree) and node.data == "member_dot":
        return node.children[0]
    return None


class _StrictEvaluator(evaluation.Evaluator):
    """CEL as the spec says: ``has(e.f)`` is an error unless ``e`` is a map."""

    def macro_has_eval(self, exprlist: Any) -> Any:
        target = _selected(exprlist)
        if target is not None:
            selected = self.visit(target)
            if isinstance(selected, evaluation.CELEvalError):
                return selected
            if not isinstance(selected, celtypes.MapType):
                return evaluation.CELEvalError("has() needs a map", TypeError, ())
        return super().macro_has_eval(exprlist)


class _StrictRunner(celpy.InterpretedRunner):
    def evaluate(self, context: Any) -> Any:
        return _StrictEvaluator(ast=self.ast, activation=self.new_activation()).evaluate(context)


_ENV = celpy.Environment(runner_class=_StrictRunner)
# CEL's standard functions and macros: any other name is a typo, refused at start.
FUNCTIONS = frozenset({
    "has", "size", "int", "uint", "double", "string", "bool", "type", "duration",
    "timestamp", "contains", "startsWith", "endsWith", "matches", "all", "exists",
    "exists_one", "map", "filter",
})


class ConditionError(ValueError):
    """A condition in a policy file cannot be understood."""


class CelCondition(BaseModel):
    """One compiled CEL expression over an action's arguments."""

    model_config = ConfigDict(frozen=True)

    source: str
    _program: Any = PrivateAttr(default=None)

    @classmethod
    def compile(cls, source: str) -> CelCondition:
        """Compile ``source`` once; raise :class:`ConditionError` if it is not valid CEL."""
        try:
            tree = _ENV.compile(source)
        except celpy.CELParseError:
            raise ConditionError(
                f"cannot read {source!r} as CEL; write for example "
                'amount > 10000 && currency == "EUR"'
            ) from None
        for name in _called(tree):
            if name not in FUNCTIONS:
                raise ConditionError(
                    f"unknown function {name!r} in {source!r}; CEL offers "
                    + ", ".join(sorted(FUNCTIONS))
                )
        condition = cls(source=source)
        condition._program = _ENV.program(tree, functions=_STRICT_FUNCTIONS)
        return condition

    def model_post_init(self, context: Any, /) -> None:
        """A condition built directly (not by :meth:`compile`) is compiled too."""
        if self._program is None:
            self._program = _ENV.program(_ENV.compile(self.source), functions=_STRICT_FUNCTIONS)

    def evaluate(self, args: Mapping[str, Any]) -> bool | None:
        """True or False for ``args``; None when the expression cannot be evaluated."""
        try:
            activation = {str(k): celpy.json_to_cel(v) for k, v in args.items()}
            result = self._program.evaluate(activation)
        except Exception as exc:  # noqa: BLE001 - any failure to evaluate fails closed
            log.info("condition %r cannot be evaluated: %s", self.source, _first_line(exc))
            return None
        if isinstance(result, celpy.celtypes.BoolType) or isinstance(result, bool):
            return bool(result)
        return None

    def matches(self, args: Mapping[str, Any]) -> bool:
        """Whether the condition evaluates to true (an error is not a match)."""
        return self.evaluate(args) is True

    def __str__(self) -> str:
        return self.source


def _called(tree: Any) -> list[str]:
    """The names of the functions and methods an expression calls."""
    names = []
    for node in tree.iter_subtrees():
        if node.data == "ident_arg":
            names.append(str(node.children[0]))
        elif node.data == "member_dot_arg":
            names.append(str(node.children[1]))
    return names


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]


def parse_conditions(raw: object) -> tuple[CelCondition, ...]:
    """The conditions of a rule's ``when``: a string, a table, or a list of those (all).

    Raises :class:`ConditionError` with a sentence saying what is wrong.
    """
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise ConditionError("must not be an empty list")
    return tuple(CelCondition.compile(_source(item)) for item in items)


def _source(raw: object) -> str:
    if isinstance(raw, str):
        return _from_text(raw)
    if isinstance(raw, dict):
        return _from_table(raw)
    raise ConditionError(
        'must be a CEL string such as "amount > 10000", a table '
        '{ arg = "amount", op = ">", value = 10000 }, or a list of those'
    )


def _from_text(text: str) -> str:
    if not text.strip():
        raise ConditionError('must not be empty; write a CEL expression such as "amount > 10000"')
    old = _OLD_NOT_IN.match(text)
    if old is not None:
        return f"!({old['arg']} in {old['list']})"
    if _NOT_IN.search(text):
        raise ConditionError(
            f"CEL has no 'not in' (in {text!r}); write !(x in [...]), "
            'for example !(payee.country in ["US", "CA"])'
        )
    return text


def _from_table(table: dict[str, Any]) -> str:
    unknown = sorted(set(table) - {"arg", "op", "value"})
    if unknown:
        raise ConditionError(f"unknown key {unknown[0]!r}; a condition table has arg, op, value")
    missing = [key for key in ("arg", "op", "value") if key not in table]
    if missing:
        raise ConditionError(f"missing key {missing[0]!r}; a condition table has arg, op, value")
    arg, op, value = table["arg"], table["op"], table["value"]
    if not isinstance(arg, str) or re.fullmatch(_PATH, arg) is None:
        raise ConditionError(f"arg must be an argument name or dotted path, got {arg!r}")
    if op not in OPERATORS:
        raise ConditionError(f"unknown operator {op!r}; use one of {', '.join(OPERATORS)}")
    if op in ("in", "not in") and (not isinstance(value, list) or not value):
        raise ConditionError(f"{op!r} needs a non-empty list such as [\"EUR\", \"GBP\"]")
    literal = _literal([*value] if isinstance(value, list) else value, op=op)
    return f"!({arg} in {literal})" if op == "not in" else f"{arg} {op} {literal}"


def _literal(value: object, *, op: str) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_literal(item, op=op) for item in value) + "]"
    if isinstance(value, float) and not math.isfinite(value):
        raise ConditionError(f"{op!r} needs a finite number, got {value!r}")
    if isinstance(value, bool | int | float | str):
        return json.dumps(value)  # JSON scalars are CEL literals
    raise ConditionError(f"{op!r} needs a number, a string or true/false, got {value!r}")
