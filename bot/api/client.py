"""A small async client of the approvals API, and the callback signature check.

.. code-block:: python

    from bot.api.client import ApprovalsClient

    async with ApprovalsClient("https://approvals.example.com", token) as approvals:
        request = await approvals.create(action="refund", args={"order": "1234"},
                                         title="Refund order 1234", idempotency_key="r-1234")
        decision = await approvals.wait(request["id"])   # long polls until decided
        if decision["action"] != "reject":
            refund(**decision["args"], idempotency_key=decision["decision_id"])

A callback receiver checks the signature over the raw body before trusting it:
``verify_signature(secret, body, request.headers)``.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any

import aiohttp

from bot.api.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature, verify_signature

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "ApprovalsApiError",
    "ApprovalsClient",
    "signature",
    "verify_signature",
]
LONG_POLL_S = 60


class ApprovalsApiError(Exception):
    """The API refused a call: ``status`` (400, 401, 404, 409, 413, 422…) and ``field``."""

    def __init__(self, status: int, message: str, *, field: str | None = None) -> None:
        super().__init__(f"{status}: {message}" + (f" ({field})" if field else ""))
        self.status, self.message, self.field = status, message, field


class ApprovalsClient:
    """Create, wait for and cancel approval requests (``Authorization: Bearer``)."""

    def __init__(
        self, base_url: str, token: str, *, session: aiohttp.ClientSession | None = None
    ) -> None:
        """Talk to the bot at ``base_url``; ``session`` is borrowed, never closed."""
        self.base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._session = session
        self._owned: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> ApprovalsClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session this client opened itself."""
        if self._owned is not None:
            await self._owned.close()
            self._owned = None

    async def create(self, *, idempotency_key: str | None = None, **fields: Any) -> dict[str, Any]:
        """``POST /api/approvals`` with ``fields`` (``action``, ``args``, ``title``…)."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return await self._call("POST", "/api/approvals", json=fields, headers=headers)

    async def get(self, approval_id: str, *, wait_s: float | None = None) -> dict[str, Any]:
        """``GET /api/approvals/{id}``, long polling up to ``wait_s`` (≤ 60) seconds."""
        query = f"?wait={wait_s:g}" if wait_s is not None else ""
        return await self._call("GET", f"/api/approvals/{approval_id}{query}")

    async def wait(self, approval_id: str, *, timeout_s: float | None = None) -> dict[str, Any]:
        """Long poll until the request is decided; its ``decision``.

        Raises :class:`TimeoutError` after ``timeout_s`` (None: wait as long as it takes)
        and :class:`ApprovalsApiError` when the request failed.
        """
        loop = asyncio.get_running_loop()
        deadline = None if timeout_s is None else loop.time() + timeout_s
        while True:
            left = LONG_POLL_S if deadline is None else min(LONG_POLL_S, deadline - loop.time())
            answer = await self.get(approval_id, wait_s=max(0.0, left))
            if answer["status"] == "failed":
                raise ApprovalsApiError(200, answer.get("error", "the request failed"))
            if answer["decision"] is not None:
                return answer["decision"]
            if deadline is not None and loop.time() >= deadline:
                raise TimeoutError(f"approval {approval_id} was not decided in time")

    async def cancel(self, approval_id: str, *, reason: str | None = None) -> dict[str, Any]:
        """``POST /api/approvals/{id}/cancel``; 409 (already decided) raises."""
        body = {"reason": reason} if reason else {}
        return await self._call("POST", f"/api/approvals/{approval_id}/cancel", json=body)

    async def list(
        self, *, status: str | None = None, cursor: str | None = None, limit: int = 50
    ) -> dict[str, Any]:
        """One page of ``GET /api/approvals`` (``approvals`` and ``next_cursor``)."""
        params = {"limit": str(limit)} | ({"status": status} if status else {}) | (
            {"cursor": cursor} if cursor else {})
        return await self._call("GET", "/api/approvals", params=params)

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        headers = {**self._headers, **kwargs.pop("headers", {})}
        async with self._http().request(
            method, self.base_url + path, headers=headers, **kwargs
        ) as resp:
            answer = await resp.json(content_type=None)
        if resp.status >= 400:
            error, field = str(answer.get("error")), answer.get("field")
            raise ApprovalsApiError(resp.status, error, field=field)
        return answer

    def _http(self) -> aiohttp.ClientSession:
        if self._session is not None:
            return self._session
        if self._owned is None:
            timeout = aiohttp.ClientTimeout(total=LONG_POLL_S + 30)
            self._owned = aiohttp.ClientSession(timeout=timeout)
        return self._owned
