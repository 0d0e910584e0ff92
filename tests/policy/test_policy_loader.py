"""Policy files: the documented example loads; every kind of mistake names file, line, field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import bot.policy
from bot.errors import ConfigError
from bot.policy import load_policy_file


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text)
    return path


def load_error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as raised:
        load_policy_file(write(tmp_path, text))
    return raised.value.message


def test_documented_example_loads(tmp_path: Path) -> None:
    doc = bot.policy.__doc__ or ""
    block = doc.split(".. code-block:: toml", 1)[1].split("\nRules", 1)[0]
    example = "\n".join(line.removeprefix("    ") for line in block.splitlines())
    book = load_policy_file(write(tmp_path, example))
    pay = book.graphs["payments"].actions["pay"]
    assert [str(rule.when[0]) for rule in pay.rules][:2] == ["amount > 10000", "amount >= 100000"]
    assert len(pay.rules[2].when) == 2
    assert book.actions["send_email"].patch.allowed_decisions == ["approve", "reject"]


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    message = load_error(tmp_path, '[defaults]\ntimeout_s = 60\nchannel = "C0\n')
    assert message.startswith(f"{tmp_path / 'policy.toml'}:3: ")
    assert "syntax" in message


def test_unknown_field_names_file_line_and_field(tmp_path: Path) -> None:
    text = (
        '[graphs.payments]\nchannel = "C0PAY"\n\n'
        '[graphs.payments.actions.pay]\napprover = ["U01"]\n'
    )
    message = load_error(tmp_path, text)
    assert "policy.toml:5: graphs.payments.actions.pay.approver: unknown field" in message
    assert "did you mean 'approvers'" in message


def test_unknown_top_level_table(tmp_path: Path) -> None:
    text = '[defaults]\ntimeout_s = 5\n\n[graph.payments]\nchannel = "C1"\n'
    message = load_error(tmp_path, text)
    assert "policy.toml:4: graph: unknown field" in message


def test_wrong_type_names_file_line_and_field(tmp_path: Path) -> None:
    message = load_error(tmp_path, '[defaults]\nchannel = "C0"\ntimeout_s = "1h"\n')
    assert "policy.toml:3: defaults.timeout_s: must be an integer" in message


def test_zero_required_approvals_in_a_rule(tmp_path: Path) -> None:
    text = (
        "[graphs.payments.actions.pay]\ntimeout_s = 60\n\n"
        '[[graphs.payments.actions.pay.rules]]\nwhen = "amount > 1"\nrequired_approvals = 2\n\n'
        '[[graphs.payments.actions.pay.rules]]\nwhen = "amount > 2"\nrequired_approvals = 0\n'
    )
    message = load_error(tmp_path, text)
    field = "graphs.payments.actions.pay.rules[1].required_approvals"
    expected = f"policy.toml:10: {field}: must be ≥ 1"
    assert expected in message


def test_bad_condition_operator(tmp_path: Path) -> None:
    text = (
        '[actions.pay]\nchannel = "C1"\n'
        '[[actions.pay.rules]]\nwhen = "amount => 10"\nchannel = "C2"\n'
    )
    message = load_error(tmp_path, text)
    assert "policy.toml:4: actions.pay.rules[0].when: cannot read 'amount => 10' as CEL" in message


@pytest.mark.parametrize(
    ("when", "reason"),
    [
        ('"amount > 1; x"', "as CEL"),
        ('"launch(amount)"', "unknown function 'launch'"),
        ('"amount > 5 && country not in [1]"', "write !(x in [...])"),
        ('{ arg = "amount", op = "in", value = 5 }', "needs a non-empty list"),
        ('{ arg = "amount", op = "~", value = 1 }', "unknown operator '~'"),
        ('{ arg = "amount", value = 1 }', "missing key 'op'"),
        ("[]", "must not be an empty list"),
        ("5", "must be a CEL string"),
    ],
)
def test_bad_conditions(tmp_path: Path, when: str, reason: str) -> None:
    message = load_error(tmp_path, f"[[defaults.rules]]\nwhen = {when}\ntimeout_s = 5\n")
    assert message.startswith(f"{tmp_path / 'policy.toml'}:2: defaults.rules[0].when: ")
    assert reason in message


def test_unknown_decision_and_bad_approver(tmp_path: Path) -> None:
    text = '[defaults]\napprovers = ["U01", "bob"]\nallowed_decisions = ["approve", "maybe"]\n'
    message = load_error(tmp_path, text)
    lines = message.splitlines()
    assert lines[0].startswith(f"{tmp_path / 'policy.toml'}:2: defaults.approvers[1]: ")
    assert "'bob'" in lines[0]
    pattern = r"policy\.toml:3: defaults\.allowed_decisions\[1\]: must be one of .*'maybe'"
    assert re.search(pattern, lines[1])


def test_rule_without_when_or_fields(tmp_path: Path) -> None:
    text = '[[actions.pay.rules]]\nchannel = "C1"\n[[actions.pay.rules]]\nwhen = "a > 1"\n'
    message = load_error(tmp_path, text)
    assert "policy.toml:1: actions.pay.rules[0]: a rule needs a condition" in message
    assert "policy.toml:3: actions.pay.rules[1]: a rule must set at least one" in message


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="missing.toml: cannot read"):
        load_policy_file(tmp_path / "missing.toml")
