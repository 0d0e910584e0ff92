"""Callback signatures, made the way Slack signs its requests to apps.

``X-Approvals-Signature: v0=<hex HMAC-SHA256 of "v0:{timestamp}:{body}">`` with the
secret ``APPROVALS_CALLBACK_SECRET``, and the timestamp (Unix seconds) in
``X-Approvals-Request-Timestamp``. A receiver recomputes the HMAC over the raw body,
compares in constant time, and refuses a timestamp more than five minutes away.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

SIGNATURE_HEADER = "X-Approvals-Signature"
TIMESTAMP_HEADER = "X-Approvals-Request-Timestamp"
VERSION = "v0"
TOLERANCE_S = 300


def signature(secret: str, timestamp: int | str, body: bytes | str) -> str:
    """``v0=`` and the hex HMAC-SHA256 of ``v0:{timestamp}:{body}`` under ``secret``."""
    raw = body.encode() if isinstance(body, str) else body
    base = f"{VERSION}:{timestamp}:".encode() + raw
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return f"{VERSION}={digest}"


def signed_headers(secret: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    """The two headers that sign ``body`` now."""
    timestamp = int(time.time() if now is None else now)
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }


def verify_signature(
    secret: str,
    body: bytes | str,
    headers: Mapping[str, str],
    *,
    now: float | None = None,
    tolerance_s: int = TOLERANCE_S,
) -> bool:
    """True when ``headers`` sign ``body`` with ``secret``, within ``tolerance_s``.

    ``headers`` is the request's headers (any mapping; the names are matched without
    regard to case). Verify the raw body before parsing it.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    stamp = lowered.get(TIMESTAMP_HEADER.lower(), "")
    given = lowered.get(SIGNATURE_HEADER.lower(), "")
    if not stamp.isdigit() or not given:
        return False
    if abs((time.time() if now is None else now) - int(stamp)) > tolerance_s:
        return False
    return hmac.compare_digest(signature(secret, stamp, body), given)
