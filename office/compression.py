"""gzip for the push endpoint only, both ways: a batch of sealed envelopes travels as base64
in JSON (a third bigger than the bytes) and its receipts repeat the same keys; gzip takes
most of that back on a 2G link.

Only `POST /api/v1/envelopes`: its answers hold receipts, nothing secret. Dashboard pages
are never compressed here — compressing pages that carry a CSRF token next to text an
attacker can reflect is the BREACH attack. A gzip request body is inflated with a cap
(a zip bomb gets a JSON 413, never a 500); the compressed size is capped by BodyLimit.

The device token is checked *before* a byte of the body is read or inflated (issue 22, item
12): a request without a live token never costs the office the inflated body (a few KiB of
gzip become megabytes of JSON and a hundred MiB of parsed list) — it reaches the route with
an empty body, whose device check answers the usual typed 401/403 (and the signed refusal of
a revoked phone).
"""
from __future__ import annotations

import json
import zlib
from typing import Callable

from starlette.concurrency import run_in_threadpool
from starlette.middleware.gzip import GZipMiddleware

PATH = "/api/v1/envelopes"


def _error(status: int, code: str, message: str, headers: dict[bytes, bytes] | None = None):
    body = json.dumps({"code": code, "message": message}).encode()

    async def send_error(send) -> None:
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()), *(headers or {}).items()]})
        await send({"type": "http.response.body", "body": body})
    return send_error


def bearer_token(headers: dict) -> str | None:
    """The bearer token of an ASGI request's headers (bytes keys), or None."""
    value = headers.get(b"authorization", b"").decode("latin-1")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


async def _empty():
    return {"type": "http.request", "body": b"", "more_body": False}


class GzipPush:
    """Authenticate, then inflate a gzip request body and gzip the answer, for PATH only.
    `admit(token)` (blocking; run in the thread pool) is True for a live device token."""

    def __init__(self, app, limit: int, admit: Callable[[str | None], bool]) -> None:
        self.app, self.limit, self.admit = app, limit, admit
        # level 6: a push answer (receipts: mostly hashes) is as small as at the default 9, in
        # two thirds of the time
        self.gzip = GZipMiddleware(app, minimum_size=512, compresslevel=6)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] != PATH:
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        if not await run_in_threadpool(self.admit, bearer_token(headers)):
            # Not read, not inflated: the route's device check gives the typed answer.
            scope = {**scope, "headers": [(k, v) for k, v in scope["headers"]
                                          if k not in (b"content-encoding", b"content-length")]
                     + [(b"content-length", b"0")]}
            return await self.app(scope, _empty, send)
        if headers.get(b"content-encoding", b"").lower() != b"gzip":
            return await self.gzip(scope, receive, send)
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            body = inflater.decompress(b"".join(chunks), self.limit + 1)
        except zlib.error:
            return await _error(422, "bad_request", "the body is not valid gzip")(send)
        if len(body) > self.limit or inflater.unconsumed_tail:
            return await _error(413, "too_large", f"request body over {self.limit} bytes once inflated")(send)
        scope = {**scope, "headers": [(k, v) for k, v in scope["headers"]
                                      if k not in (b"content-encoding", b"content-length")]
                 + [(b"content-length", str(len(body)).encode())]}
        sent = False

        async def inflated():
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await self.gzip(scope, inflated, send)
