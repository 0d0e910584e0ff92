"""Rule conditions in CEL: compiled at start, never eval'd, failing closed on errors."""

from __future__ import annotations

from typing import Any

import pytest

from bot.policy import ConditionError, parse_conditions


def matches(when: object, args: dict[str, Any]) -> bool | None:
    """True, False, or None when a condition cannot be evaluated (and none is false)."""
    results = [condition.evaluate(args) for condition in parse_conditions(when)]
    return False if False in results else None if None in results else True


@pytest.mark.parametrize(
    ("when", "args", "expected"),
    [
        ("amount > 10000", {"amount": 10001}, True),
        ("amount > 10000", {"amount": 10000}, False),
        ("amount >= 10000", {"amount": 10000}, True),
        ("amount < 0.5", {"amount": 0.25}, True),
        ("amount <= 3", {"amount": "3.00"}, None),
        # Operands of types the comparison does not order are unknown, never false.
        ("amount > 10000", {"amount": True}, None),
        ("amount > 10000", {"amount": "50000"}, None),
        ("amount == 1", {"amount": True}, None),
        ("has(payee.country)", {"payee": "acme"}, None),
        ("has(payee.country)", {"payee": {}}, False),
        ("has(payee.country)", {"payee": {"country": "US"}}, True),
        ("false && amount > 1", {"amount": True}, False),
        ("amount > 10000", {}, None),
        ("amount != 5", {}, None),
        ("currency == 'EUR'", {"currency": "EUR"}, True),
        ('currency != "EUR"', {"currency": "USD"}, True),
        ("urgent == true", {"urgent": True}, True),
        ("urgent == true", {"urgent": 1}, None),
        ("count == 1", {"count": 1.0}, None),
        ("count == 1.0", {"count": 1.0}, True),
        ("payee.country in ['US', 'CA']", {"payee": {"country": "CA"}}, True),
        ("payee.country not in ['US', 'CA']", {"payee": {"country": "FR"}}, True),
        ("payee.country not in ['US', 'CA']", {"payee": "FR"}, None),
        ('amount > 10000 && currency == "EUR"', {"amount": 20000, "currency": "EUR"}, True),
        ('amount > 10000 && currency == "EUR"', {"amount": 20000, "currency": "USD"}, False),
        ('recipient in ["offshore", "unknown"] || amount > 50000',
         {"recipient": "acme", "amount": 60000}, True),
        ('recipient in ["offshore", "unknown"] || amount > 50000',
         {"recipient": "offshore", "amount": 1}, True),
        ('recipient in ["offshore", "unknown"] || amount > 50000',
         {"recipient": "acme", "amount": 1}, False),
        ('has(payee.country) && payee.country != "US"', {"payee": {"country": "FR"}}, True),
        ('has(payee.country) && payee.country != "US"', {"payee": {}}, False),
        ('has(payee.country) && payee.country != "US"', {"payee": {"country": "US"}}, False),
        ("amount", {"amount": 3}, None),
        ("amount > [1]", {"amount": 3}, None),
        ("amount in []", {"amount": 3}, False),
        ("!(payee.country in ['US'])", {"payee": {"country": "FR"}}, True),
        ({"arg": "payee.country", "op": "not in", "value": ["US"]}, {"payee": {"country": "US"}},
         False),
        ("day >= '2026-01-01'", {"day": "2026-03-01"}, True),
        ({"arg": "amount", "op": ">", "value": 5}, {"amount": 6}, True),
        (["amount > 5", "currency == 'EUR'"], {"amount": 6, "currency": "USD"}, False),
        (["amount > 5", "currency == 'EUR'"], {"amount": 6, "currency": "EUR"}, True),
    ],
)
def test_matching(when: object, args: dict[str, Any], expected: bool | None) -> None:
    assert matches(when, args) is expected


@pytest.mark.parametrize(
    "when",
    [
        "__import__('os').system('true') > 1",
        "amount > 1; x",
        "amount = 1",
        "amount.launch() == 1",
        "",
        "  ",
    ],
)
def test_rejects_what_is_not_cel_at_start(when: str) -> None:
    with pytest.raises(ConditionError):
        parse_conditions(when)


def test_the_old_not_in_is_read_as_cel() -> None:
    (condition,) = parse_conditions("payee.country not  in ['US']")
    assert str(condition) == "!(payee.country in ['US'])"


def test_not_in_inside_an_expression_names_the_cel_spelling() -> None:
    with pytest.raises(ConditionError, match=r"!\(x in \[\.\.\.\]\)"):
        parse_conditions("amount > 5 && country not in ['US']")
