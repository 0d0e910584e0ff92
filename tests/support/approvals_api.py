"""Calling the approvals API of a served bot, as another program would."""

from __future__ import annotations

from typing import Any

from support.harness import Harness

TOKEN = "api-secret"
CALLBACK_SECRET = "callback-secret"


def api_settings(**more: Any) -> dict[str, Any]:
    """Settings that turn the API (and signed callbacks) on."""
    return {"approvals_api_token": TOKEN, "approvals_callback_secret": CALLBACK_SECRET, **more}


async def call(
    harness: Harness,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = TOKEN,
    headers: dict[str, str] | None = None,
    data: bytes | None = None,
) -> tuple[int, Any]:
    """One API call; the status and the JSON answer."""
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    kwargs: dict[str, Any] = {"data": data} if data is not None else {"json": body}
    async with harness.http.request(
        method, f"{harness.base_url}{path}", headers=sent, **kwargs
    ) as resp:
        return resp.status, await resp.json()


async def create(harness: Harness, body: dict[str, Any], **kw: Any) -> dict[str, Any]:
    """Create a request; asserts the 201."""
    status, answer = await call(harness, "POST", "/api/approvals", body, **kw)
    assert status == 201, answer
    return answer  # type: ignore[no-any-return]


async def approval_id(harness: Harness, api_id: str) -> int:
    """The approval row of a request made through the API (its id is its thread id)."""
    ids = await harness.approval_ids(api_id)
    assert len(ids) == 1, ids
    return ids[0]
