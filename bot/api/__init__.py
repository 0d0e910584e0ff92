"""The approvals API: any program asks for a person's decision over HTTP.

``POST /api/approvals`` stores a request as an ``external`` run, so the engine posts,
decides, expires and audits it like a graph's. The decision is read back by long poll
(``GET /api/approvals/{id}?wait=S``) and POSTed, signed, to the caller's
``callback_url``. :mod:`bot.api.client` is a small async client for it.
"""
