"""The fields that reach people: notify, reminders, escalation, on_timeout; and the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.policy import Policy, PolicyBook, load_policy_file, parse_policy, request_policy
from bot.policy.floor import escalated, meet
from bot.policy.model import POLICY_FIELDS
from graphs.models import Action, ApprovalRequest

SETTINGS = Policy(channel="C0SETTINGS", timeout_s=3600)


def one(args: dict[str, object] | None = None, **approval: object) -> ApprovalRequest:
    return ApprovalRequest(
        dialect="generic", title="t", actions=[Action(name="pay", args=args or {})],
        approval=approval,
    )


def test_defaults() -> None:
    policy = Policy()
    assert (policy.notify, policy.reminders, policy.reminder_s) == ("channel", 1, None)
    assert (policy.escalate_after_s, policy.escalate_to, policy.on_timeout) == (None, (), "reject")


def test_the_file_sets_every_reach_field() -> None:
    book = parse_policy(
        '[defaults]\nnotify = "dm"\nreminder_s = 600\nreminders = 3\n'
        'escalate_after_s = 900\nescalate_to = ["U0BOSS", "S0LEADS"]\non_timeout = "wait"\n'
    )
    policy = book.resolve(defaults=SETTINGS, graph="g", request=one())
    assert (policy.notify, policy.reminder_s, policy.reminders) == ("dm", 600, 3)
    assert (policy.escalate_after_s, policy.escalate_to) == (900, ("U0BOSS", "S0LEADS"))
    assert policy.on_timeout == "wait"


@pytest.mark.parametrize(
    ("line", "field"),
    [('notify = "sms"', "notify"), ('on_timeout = "approve"', "on_timeout"),
     ("reminders = -1", "reminders"), ('escalate_to = ["bob"]', "escalate_to"),
     ("escalate_after_s = 0", "escalate_after_s")],
)
def test_a_bad_value_stops_the_start_naming_file_line_field(
    tmp_path: Path, line: str, field: str
) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(f'[graphs.pay]\nchannel = "C1"\n{line}\n')
    with pytest.raises(ConfigError) as raised:
        load_policy_file(path)
    assert f"policy.toml:3: graphs.pay.{field}" in raised.value.message


def test_a_trusted_graph_block_sets_them_all() -> None:
    book = parse_policy("[graphs.g]\ngraph_may_relax = true\n")
    request = one(notify="dm", escalate_after_s=60, escalate_to=["U0BOSS"], on_timeout="wait",
                  reminders=2, reminder_s=30)
    policy = book.resolve(defaults=SETTINGS, graph="g", request=request)
    assert (policy.notify, policy.escalate_after_s, policy.escalate_to) == ("dm", 60, ("U0BOSS",))
    assert (policy.on_timeout, policy.reminders, policy.reminder_s) == ("wait", 2, 30)


FILE = """
[graphs.g]
escalate_after_s = 900
escalate_to = ["U0BOSS", "U0LEAD"]
reminders = 2
"""


def test_any_other_graph_block_only_tightens_reach() -> None:
    book = parse_policy(FILE)
    sneaky = one(on_timeout="wait", escalate_to=["U0MALLORY", "U0LEAD"], escalate_after_s=1800,
                 reminders=0, notify="dm")
    policy = book.resolve(defaults=SETTINGS, graph="g", request=sneaky)
    assert policy.on_timeout == "reject"  # waiting forever is laxer: not from the graph
    assert policy.escalate_to == ("U0LEAD",)  # nobody new becomes eligible through escalation
    # Escalation makes more people eligible: later is stricter, sooner would be laxer.
    assert policy.escalate_after_s == 1800
    assert policy.reminders == 2 and policy.notify == "dm"  # fewer is laxer; louder is fine
    sooner = book.resolve(defaults=SETTINGS, graph="g", request=one(escalate_after_s=60))
    assert sooner.escalate_after_s == 900


def test_an_edit_keeps_the_louder_of_both_and_escalates_only_as_both_do() -> None:
    floor = Policy(escalate_after_s=900, escalate_to=("U0A", "U0C"), on_timeout="wait")
    other = Policy(escalate_after_s=300, escalate_to=("U0B", "U0C"), notify="dm", reminders=2)
    both = meet(floor, other)
    assert (both.escalate_after_s, both.escalate_to) == (900, ("U0C",))
    assert (both.on_timeout, both.notify, both.reminders) == ("reject", "dm", 2)
    never = meet(floor, Policy())
    assert (never.escalate_after_s, never.escalate_to) == (None, ())


def test_escalation_adds_people_to_every_list_and_never_lowers_the_bar() -> None:
    policy = Policy(approvers=("U0A",), also_approvers=(("U0A", "S0X"),), required_approvals=2,
                    escalate_to=("U0BOSS",))
    up = escalated(policy)
    assert up.approvers == ("U0A", "U0BOSS") and up.also_approvers == (("U0A", "S0X", "U0BOSS"),)
    assert up.required_approvals == 2
    anyone = Policy(escalate_to=("U0BOSS",))
    assert escalated(anyone).approvers == ()  # anyone may decide already


def test_waiting_keeps_a_reminder_period_longer_than_the_timeout() -> None:
    book = parse_policy('[graphs.g]\non_timeout = "wait"\n')
    waits = one(reminder_s=7200)
    assert book.resolve(defaults=SETTINGS, graph="g", request=waits).reminder_s == 7200
    rejects = one(reminder_s=7200)
    assert PolicyBook().resolve(defaults=SETTINGS, graph="g", request=rejects).reminder_s is None


def test_a_batch_reaches_as_loudly_and_strictly_as_its_actions() -> None:
    loud = Policy(notify="dm", reminders=3, reminder_s=600, escalate_after_s=900,
                  escalate_to=("U0A",), on_timeout="wait")
    quiet = Policy(reminder_s=300, escalate_after_s=1800, escalate_to=("U0B",))
    combined = request_policy([loud, quiet], channel=None)
    assert (combined.notify, combined.reminders, combined.reminder_s) == ("dm", 3, 300)
    assert (combined.escalate_after_s, combined.escalate_to) == (900, ("U0A", "U0B"))
    assert combined.on_timeout == "reject"  # only a batch whose every action waits, waits
    both_wait = request_policy([loud, loud.model_copy(update={"notify": "channel"})], channel=None)
    assert both_wait.on_timeout == "wait"


def test_the_readme_lists_every_field_with_its_default(repo_root: Path) -> None:
    readme = (repo_root / "README.md").read_text()
    for field in POLICY_FIELDS:
        row = re.search(rf"^\| `{field}` \|[^\n]*\|([^|\n]+)\|$", readme, re.M)
        assert row, f"README policy reference has no row for {field}"
        assert row.group(1).strip(), f"README gives no default for {field}"
