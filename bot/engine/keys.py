"""The idempotency key of a decision, shared by the resume value and its sending."""

from __future__ import annotations

import uuid
from typing import Any

_KEYS = uuid.UUID("6f1c2b0e-6a43-4c8e-9d0a-0a7e55a1d3c1")


def decision_id_of(row: dict[str, Any]) -> str:
    """The idempotency key of a request's decision: the same on every retry of it."""
    return str(uuid.uuid5(_KEYS, f"{row['thread_id']}/{row['id']}"))
