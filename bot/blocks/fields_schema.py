"""Check edited arguments against their JSON Schema and say, per modal field, what is
wrong in words a person reads under the field."""

from __future__ import annotations

import json
from typing import Any

from jsonschema.exceptions import SchemaError, ValidationError
from jsonschema.validators import validator_for

_MESSAGES = {
    "minimum": "Must be at least {}",
    "maximum": "Must be at most {}",
    "exclusiveMinimum": "Must be greater than {}",
    "exclusiveMaximum": "Must be less than {}",
    "multipleOf": "Must be a multiple of {}",
    "minLength": "Must be at least {} characters",
    "maxLength": "Must be at most {} characters",
    "pattern": "Must match the pattern {}",
    "minItems": "Must have at least {} items",
    "maxItems": "Must have at most {} items",
    "type": "Must be of type {}",
    "const": "Must be {}",
    "format": "Must be a valid {}",
}


def schema_errors(
    schema: dict[str, Any], args: dict[str, Any], *, block_of: dict[str, str], fallback: str
) -> dict[str, str]:
    """Block id → message for the first schema violation of each top-level argument.

    ``block_of`` maps argument names to block ids; a violation that belongs to no
    argument (say ``additionalProperties``) lands on ``fallback``. A schema that is not
    itself valid is not checked: the graph's author must fix it, the person cannot.
    """
    cls = validator_for(schema)
    try:
        cls.check_schema(schema)
    except SchemaError:
        return {}
    errors: dict[str, str] = {}
    for error in cls(schema).iter_errors(args):
        name, message = _locate(error)
        block = block_of.get(name) if name is not None else None
        if block is None:
            block = fallback
            message = f"{name}: {message}" if name is not None else message
        errors.setdefault(block, message)
    return errors


def _locate(error: ValidationError) -> tuple[str | None, str]:
    """The top-level argument an error belongs to, and what to say about it."""
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        missing = _missing(error)
        if not path:
            return missing, "Required"
        return path[0], "/".join([*path[1:], missing or "?"]) + ": required"
    message = _message(error)
    if not path:
        return None, message
    inner = "/".join(path[1:])
    return path[0], f"{inner}: {message}" if inner else message


def _missing(error: ValidationError) -> str | None:
    """The property a ``required`` error is about (jsonschema says it in its message)."""
    wanted = error.validator_value if isinstance(error.validator_value, list) else []
    instance = error.instance if isinstance(error.instance, dict) else {}
    for name in wanted:
        if name not in instance and error.message.startswith(repr(name)):
            return str(name)
    return None


def _message(error: ValidationError) -> str:
    template = _MESSAGES.get(str(error.validator))
    value = error.validator_value
    if template is None or isinstance(value, bool):
        return error.message
    shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if error.validator == "type" and isinstance(value, list):
        shown = " or ".join(str(v) for v in value)
    return template.format(shown)
