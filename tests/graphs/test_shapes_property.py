"""Properties of the resume value: nothing a payload holds can turn a Reject into a yes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.adapters import is_stop, normalize, resume_value
from graphs.adapters.templates import TemplateFailed, with_templates
from graphs.models import ActionDecision

AT = datetime(2026, 1, 1, tzinfo=UTC)
YES = ("approve", "approved", "yes", "true", "ok", "accept", True)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=12),
                    st.sampled_from(YES))
keys = st.one_of(st.text(max_size=8), st.sampled_from([
    "title", "action", "args", "approval", "question", "context", "resume", "approve",
    "reject", "decision", "approved", "allowed_decisions", "response_schema", "$eval",
]))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=4)), max_leaves=12)
# What an agent could put in its payload to sway the answer: templates, schemas, blocks.
sways = st.fixed_dictionaries({}, optional={
    "approval": st.fixed_dictionaries({}, optional={
        "resume": st.dictionaries(st.sampled_from(["reject", "approve"]), st.sampled_from(YES)),
        "required_approvals": st.integers(1, 3),
    }),
    "resume": st.dictionaries(st.sampled_from(["reject", "approve"]), st.sampled_from(YES)),
    "decision": st.sampled_from(YES),
})
payloads = st.one_of(json_values, st.builds(lambda a, b: {**a, **b} if isinstance(a, dict)
                                            else b, json_values, sways))
schemas = st.one_of(st.none(), st.sampled_from([
    {"type": "boolean"},
    {"type": "string", "enum": ["yes", "no"]},
    {"type": "string", "enum": ["approved", "rejected"]},
    {"type": "object", "properties": {"approved": {"type": "boolean"},
                                      "reason": {"type": "string"}}},
]))
TEMPLATES = [None, {"approve": "approved", "reject": "rejected: ${reason}"},
             {"approve": {"approved": True}, "reject": {"approved": False}},
             {"approve": {"$eval": "value"}}]


def reads_as_no(value: Any, templates: dict[str, Any] | None) -> bool:
    """What a Reject may arrive as: the operator's reject, a stop, or the schema's no."""
    if is_stop(value):
        return True
    if templates is not None:
        return value in ("rejected: no", {"approved": False})
    if isinstance(value, dict) and "action" in value:
        return value["action"] == "reject"
    return value in (False, "no", "rejected", {"approved": False, "reason": "no"})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=payloads, schema=schemas, templates=st.sampled_from(TEMPLATES))
def test_a_reject_never_arrives_as_an_approval(
    payload: Any, schema: dict[str, Any] | None, templates: dict[str, Any] | None
) -> None:
    request = with_templates(normalize(payload, response_schema=schema), templates)
    if request.dialect in ("hitl_batch", "hitl_call", "agent_inbox", "openai_agents"):
        return  # their own contracts, covered by their adapter tests
    if "reject" not in request.actions[0].allowed:
        return  # not offered, so it cannot be clicked; a timeout then leaves it waiting
    reject = ActionDecision(kind="reject", args=request.actions[0].args, reason="no",
                            decided_by=["U1"], decided_at=AT)
    try:
        value = resume_value(request, [reject], decision_id="d")
    except TemplateFailed:
        return  # nothing is sent at all: the request fails, naming the template
    assert reads_as_no(value, templates), (request.dialect, value)
    assert value not in YES
