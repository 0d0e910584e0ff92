"""Rule conditions: parsed safely, matched against an action's arguments."""

from __future__ import annotations

from typing import Any

import pytest

from bot.policy import ConditionError, parse_conditions


def matches(when: object, args: dict[str, Any]) -> bool:
    return all(condition.matches(args) for condition in parse_conditions(when))


@pytest.mark.parametrize(
    ("when", "args", "expected"),
    [
        ("amount > 10000", {"amount": 10001}, True),
        ("amount > 10000", {"amount": 10000}, False),
        ("amount >= 10000", {"amount": 10000}, True),
        ("amount < 0.5", {"amount": 0.25}, True),
        ("amount <= 3", {"amount": "3.00"}, True),
        ("amount > 10000", {"amount": True}, False),
        ("amount > 10000", {}, False),
        ("amount != 5", {}, False),
        ("currency == 'EUR'", {"currency": "EUR"}, True),
        ('currency != "EUR"', {"currency": "USD"}, True),
        ("urgent == true", {"urgent": True}, True),
        ("urgent == true", {"urgent": 1}, False),
        ("count == 1", {"count": 1.0}, True),
        ("payee.country in ['US', 'CA']", {"payee": {"country": "CA"}}, True),
        ("payee.country not in ['US', 'CA']", {"payee": {"country": "FR"}}, True),
        ("payee.country not in ['US', 'CA']", {"payee": "FR"}, False),
        ("day >= '2026-01-01'", {"day": "2026-03-01"}, True),
        ({"arg": "amount", "op": ">", "value": 5}, {"amount": 6}, True),
        (["amount > 5", "currency == 'EUR'"], {"amount": 6, "currency": "USD"}, False),
        (["amount > 5", "currency == 'EUR'"], {"amount": 6, "currency": "EUR"}, True),
    ],
)
def test_matching(when: object, args: dict[str, Any], expected: bool) -> None:
    assert matches(when, args) is expected


@pytest.mark.parametrize(
    "when",
    [
        "__import__('os').system('true') > 1",
        "amount > 1; x",
        "amount = 1",
        "amount > [1]",
        "amount in []",
        "amount",
        "",
    ],
)
def test_rejects_anything_but_a_comparison(when: str) -> None:
    with pytest.raises(ConditionError):
        parse_conditions(when)


def test_renders_back_as_text() -> None:
    (condition,) = parse_conditions("payee.country not  in ['US']")
    assert (condition.arg, condition.op, condition.value) == ("payee.country", "not in", ("US",))
