"""``run`` says plainly when a graph cannot be built or stops without asking anything,
and ``serve`` refuses a policy file whose resume template is broken."""

from __future__ import annotations

import json
from pathlib import Path

from test_cli import _cli, _env

from support.fake_slack import FakeSlack
from support.tutorial_graphs import GRAPHS


async def test_a_graph_that_fails_to_build_says_so(
    database_url: str, fake_slack: FakeSlack
) -> None:
    env = _env(database_url, fake_slack, APPROVALS_GRAPHS=GRAPHS)
    code, _, err = await _cli("run", "broken", "--input", "{}", env=env)
    assert code != 0 and "Traceback" not in err
    assert "could not be built" in err and "OPENAI_API_KEY is not set" in err
    assert "cannot run with this input" not in err


async def test_a_run_stuck_without_a_request_exits_non_zero(
    database_url: str, fake_slack: FakeSlack
) -> None:
    env = _env(database_url, fake_slack, APPROVALS_GRAPHS=GRAPHS)
    code, out, err = await _cli("run", "nested", "--input", '{"to": "a", "subject": "b"}',
                                "--json", env=env)
    assert code != 0
    answer = json.loads(out)
    assert answer["status"] == "failed" and answer["requests"] == []
    assert "stopped before `mailer` without asking anything" in answer["error"]


async def test_a_bad_resume_template_stops_serve(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('[graphs.plan_review]\nchannel = "C1"\n\n[graphs.plan_review.resume]\n'
                      'approve = "approved"\nreject = { "$eval" = "reason +" }\n'
                      'maybe = "x"\n')
    env = _env(database_url, fake_slack, SLACK_SIGNING_SECRET="s", APPROVALS_POLICY=str(policy))
    code, _, err = await _cli("serve", env=env)
    assert code == 2 and "Traceback" not in err
    assert f"{policy}:6: graphs.plan_review.resume.reject: bad JSON-e template" in err
    assert f"{policy}:7: graphs.plan_review.resume.maybe: unknown decision" in err
