"""Interrupt values in a JSON-safe form, so any graph's request can be stored and shown.

The form (documented in the README): ``bytes`` become ``"<N bytes: base64 …>"``;
datetimes, dates and times their ISO-8601 text; sets and frozensets sorted lists; tuples
lists; ``Decimal``, ``UUID`` and paths their text; enums their value; pydantic models
(LangChain messages among them) and dataclasses their fields; non-finite floats their
text. Anything else has no faithful form, so it raises :class:`Unrepresentable` and the
run fails visibly rather than asking a person to approve something they cannot see.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import enum
import math
import uuid
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from pydantic import BaseModel

from bot.errors import Unrepresentable

MAX_DEPTH = 50
_TEXT = (Decimal, uuid.UUID, PurePath)


def json_safe(value: Any, *, _depth: int = 0) -> Any:
    """``value`` with every part JSON can carry kept, and the rest converted (see above)."""
    if _depth > MAX_DEPTH:
        raise Unrepresentable("the value is nested too deeply to show")
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {_key(k): json_safe(v, _depth=_depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v, _depth=_depth + 1) for v in value]
    if isinstance(value, (set, frozenset)):
        items = [json_safe(v, _depth=_depth + 1) for v in value]
        return sorted(items, key=repr)
    return _convert(value, _depth)


def _convert(value: Any, depth: int) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        return f"<{len(raw)} bytes: base64 {base64.b64encode(raw).decode()}>"
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return f"{value.total_seconds()}s"
    if isinstance(value, enum.Enum):
        return json_safe(value.value, _depth=depth + 1)
    if isinstance(value, _TEXT):
        return str(value)
    if isinstance(value, BaseModel):
        return json_safe(value.model_dump(mode="python"), _depth=depth + 1)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return json_safe(fields, _depth=depth + 1)
    raise Unrepresentable(
        f"the interrupt holds a {type(value).__module__}.{type(value).__qualname__}, "
        "which has no JSON form to show for approval"
    )


def _key(key: Any) -> str:
    if isinstance(key, str):
        return key
    safe = json_safe(key)
    return safe if isinstance(safe, str) else str(safe)
