"""``resume`` tables in the policy file: parsed, checked at load, picked per action."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import ConfigError
from bot.policy.loader import parse_policy
from bot.policy.resume import resume_templates
from graphs.adapters import normalize, resume_value
from graphs.adapters.templates import with_templates
from graphs.models import ActionDecision

TEXT = """\
[graphs.email.resume]
approve = { approved = true }
reject = { approved = false, reason = "${reason}", by = "${decided_by[0]}", cause = "${cause}" }

[graphs.email.actions.send_sms.resume]
approve = "ok"
"""
AT = datetime(2026, 1, 1, tzinfo=UTC)


def test_the_action_table_replaces_the_graph_table() -> None:
    book = parse_policy(TEXT, source="p.toml")
    assert resume_templates(book, "email", "send_email") == {
        "approve": {"approved": True},
        "reject": {"approved": False, "reason": "${reason}", "by": "${decided_by[0]}",
                   "cause": "${cause}"},
    }
    assert resume_templates(book, "email", "send_sms") == {"approve": "ok"}
    assert resume_templates(book, "other", "send_email") is None


def test_a_timeout_renders_with_its_cause() -> None:
    book = parse_policy(TEXT, source="p.toml")
    request = normalize({"action": "send_email", "to": "bob@example.com"})
    request = with_templates(request, resume_templates(book, "email", "send_email"))
    assert request.actions[0].allowed == ("approve", "reject")
    timeout = ActionDecision(kind="reject", args=request.actions[0].args, reason="timed out",
                             decided_by=["UBOT"], decided_at=AT, cause="timeout")
    assert resume_value(request, [timeout], decision_id="d") == {
        "approved": False, "reason": "timed out", "by": "UBOT", "cause": "timeout"}


@pytest.mark.parametrize(("text", "expected"), [
    ('[graphs.g.resume]\napprove = { "$eval" = "nosuch" }\n',
     "p.toml:2: graphs.g.resume.approve: bad JSON-e template: unknown context value nosuch"),
    ('[graphs.g.resume]\nyes = "approved"\n',
     "p.toml:2: graphs.g.resume.yes: unknown decision; expected one of approve, edit, reject"),
    ('[graphs.g]\nresume = "approved"\n',
     "p.toml:2: graphs.g.resume: must be a table of templates"),
    ('[graphs.g.actions.a.resume]\nedit = "${args.x"\n',
     "p.toml:2: graphs.g.actions.a.resume.edit: bad JSON-e template"),
    ('[defaults.resume]\napprove = "x"\n', "p.toml:1: defaults.resume: unknown field"),
])
def test_bad_tables_name_file_line_and_field(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_policy(text, source="p.toml")
    assert expected in str(caught.value)
