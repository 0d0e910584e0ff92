"""Checking a create request's body, field by field, before anything is written.

Every problem raises :class:`bot.errors.InvalidInput` naming the field (a nested one as
``approval.timeout_s``); the route answers it with 422 (400 for a body that is not a
JSON object).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from jsonschema import SchemaError
from jsonschema.validators import validator_for
from pydantic import ValidationError

from bot.errors import InvalidInput
from bot.policy import PolicyPatch
from graphs.adapters import generic_response_schema

FIELDS = frozenset({
    "title", "description", "action", "args", "approval", "graph", "requested_by",
    "channel", "callback_url", "response_schema",
})
DEFAULT_GRAPH = "api"
GRAPH = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
ACTION = re.compile(r"\S.{0,99}", re.S)
USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
EMAIL = re.compile(r"[^@\s<>|]{1,64}@[^@\s<>|]{1,255}")
CHANNEL = re.compile(r"[^\s<>|]{1,80}")
KEY = re.compile(r"[\x21-\x7e]{1,255}")
LIMITS = {"title": 200, "description": 3000}


@dataclass(frozen=True)
class ApiSpec:
    """A checked create request: what to post, under which policy, and where to call."""

    payload: dict[str, Any]  # title, description, action, args, approval (generic dialect)
    graph: str
    requested_by: str | None  # a user id, or an email still to look up
    channel: str | None
    callback_url: str | None
    response_schema: dict[str, Any] | None
    body_hash: str

    @property
    def requester_email(self) -> str | None:
        """The requester's email when one was given instead of a user id."""
        who = self.requested_by
        return who if who is not None and "@" in who else None


def parse_create(body: Any) -> ApiSpec:
    """The checked request; raises :class:`InvalidInput` naming the first bad field."""
    if not isinstance(body, dict):
        raise InvalidInput('expected a JSON object such as {"action": "refund", ...}',
                           field="body")
    for name in body:
        if name not in FIELDS:
            raise InvalidInput(f"unknown field {name!r}; known: {', '.join(sorted(FIELDS))}",
                               field=str(name))
    action = body.get("action")
    if not isinstance(action, str) or not ACTION.fullmatch(action):
        raise InvalidInput("action is required: the action's name (1-100 characters)",
                           field="action")
    payload: dict[str, Any] = {"action": action, "args": _args(body.get("args"))}
    for name, limit in LIMITS.items():
        if (text := _text(body, name, limit)) is not None:
            payload[name] = text
    if "approval" in body:
        payload["approval"] = _approval(body["approval"])
    return ApiSpec(
        payload=payload,
        graph=_match(body, "graph", GRAPH, "a policy namespace ([A-Za-z0-9_.:-]{1,64})")
        or DEFAULT_GRAPH,
        requested_by=_requester(body.get("requested_by")),
        channel=_match(body, "channel", CHANNEL, "a Slack channel id (C…) or #name"),
        callback_url=_callback_url(body.get("callback_url")),
        response_schema=_schema(body.get("response_schema")),
        body_hash=hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest(),
    )


def parse_key(value: str | None) -> str | None:
    """The ``Idempotency-Key`` header: 1-255 printable ASCII characters, or absent."""
    if value is None:
        return None
    if not KEY.fullmatch(value):
        raise InvalidInput("Idempotency-Key must be 1-255 printable ASCII characters",
                           field="Idempotency-Key")
    return value


def _args(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput("args must be a JSON object of the action's arguments", field="args")
    return value


def _text(body: dict[str, Any], name: str, limit: int) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidInput(f"{name} must be a string of at most {limit} characters", field=name)
    return value


def _match(body: dict[str, Any], name: str, pattern: re.Pattern[str], what: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise InvalidInput(f"{name} must be {what}", field=name)
    return value


def _approval(value: Any) -> dict[str, Any]:
    """A policy block, checked strictly: it may only tighten the operator's file."""
    if not isinstance(value, dict):
        raise InvalidInput("approval must be a JSON object of policy fields", field="approval")
    try:
        PolicyPatch.model_validate(value)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"][:1])
        raise InvalidInput(f"approval.{where}: {error['msg']}", field=f"approval.{where}") from exc
    return value


def _requester(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and (USER_ID.fullmatch(value) or EMAIL.fullmatch(value)):
        return value
    raise InvalidInput("requested_by must be a Slack user id (U… or W…) or an email",
                       field="requested_by")


def _callback_url(value: Any) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value) if isinstance(value, str) and len(value) <= 2000 else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("callback_url must be an http(s) URL", field="callback_url")
    return str(value)


def _schema(value: Any) -> dict[str, Any] | None:
    """The JSON Schema of the decision (its ``args`` type the edit form) or of the args."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidInput("response_schema must be a JSON Schema object",
                           field="response_schema")
    try:
        validator_for(value).check_schema(value)
    except SchemaError as exc:
        raise InvalidInput(f"response_schema is not a valid JSON Schema: {exc.message}",
                           field="response_schema") from exc
    properties = value.get("properties")
    if isinstance(properties, dict) and isinstance(properties.get("args"), dict):
        return value
    return generic_response_schema(value)  # the schema of the args alone
