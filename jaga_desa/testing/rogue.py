"""The network attacker of the trust and red-team tests, on loopback: one place, so no test
keeps its own copy of a hostile server. Both are `loopback.LoopbackHTTP` servers.

    RogueOffice     the attacker's own "office": answers health, takes every envelope and
                    hands back receipts signed with the attacker's key (correct hashes: they
                    verify under that key); verdicts and inbox pages answered as the test says
    Mitm            a man in the middle: forwards each request to the real office and may
                    rewrite the JSON answer on its way back (or answer in the office's place)

These are attackers, not stand-ins for our code: the phone and the office stay the real
ones; only the network between them (or the server the phone is pointed at) is hostile.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
from http.server import BaseHTTPRequestHandler
from typing import Callable

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from .loopback import LoopbackHTTP

# rewrite(method, path without query, office's JSON) -> new JSON, or (status, new JSON)
Rewrite = Callable[[str, str, dict], "dict | tuple[int, dict]"]
# review_answer(rogue, sealed verdict) -> (status, JSON); inbox_answer(rogue) -> JSON page
ReviewAnswer = Callable[["RogueOffice", bytes], "tuple[int, dict]"]
InboxAnswer = Callable[["RogueOffice"], dict]

ROGUE_TIME = "2026-01-01T00:00:00.000Z"     # the rogue's clock: any fixed instant will do


class JsonHandler(BaseHTTPRequestHandler):
    """One request per connection (HTTP/1.0: simple framing), JSON in and out, quiet."""
    protocol_version = "HTTP/1.0"

    def answer(self, status: int, body: dict | bytes) -> None:
        out = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def body(self) -> bytes | None:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else None

    def json_body(self) -> dict:
        raw = self.body() or b"{}"
        if self.headers.get("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        return json.loads(raw)

    def log_message(self, *args) -> None:
        pass


class RogueOffice(LoopbackHTTP):
    """The attacker's "office". Every pushed envelope lands in `received` and is "accepted"
    with a receipt under the attacker's key `e`; its X25519 key is `x`. A sealed verdict
    (POST /api/v1/reviews) lands in `reviews` and is answered by `review_answer`; inbox pages
    by `inbox_answer` (default: empty)."""

    def __init__(self, review_answer: ReviewAnswer | None = None,
                 inbox_answer: InboxAnswer | None = None) -> None:
        self.x, self.e = X25519PrivateKey.generate(), Ed25519PrivateKey.generate()
        self.received: list[bytes] = []
        self.reviews: list[bytes] = []
        rogue = self

        class Handler(JsonHandler):
            def do_GET(self) -> None:
                if self.path.startswith("/api/v1/health"):
                    return self.answer(200, {"status": "ok", "server_time": ROGUE_TIME})
                if inbox_answer is not None:
                    return self.answer(200, inbox_answer(rogue))
                return self.answer(200, {"items": [], "next_cursor": None})

            def do_POST(self) -> None:
                body = self.json_body()
                if review_answer is not None and self.path.startswith("/api/v1/reviews"):
                    data = base64.b64decode(body["envelope"])
                    rogue.reviews.append(data)
                    return self.answer(*review_answer(rogue, data))
                results = []
                for b64 in body.get("envelopes", []):
                    data = base64.b64decode(b64)
                    rogue.received.append(data)
                    results.append(rogue.accept(data))
                return self.answer(200, {"results": results})

        super().__init__(Handler)

    def accept(self, data: bytes) -> dict:
        """The office's "accepted" answer for one envelope, its receipt signed by the rogue."""
        from sync import envelope as env
        from sync import receipt as rc
        eid = env.peek(data).envelope_id
        receipt = rc.Receipt(eid, hashlib.sha256(data).hexdigest(), ROGUE_TIME, {}, True)
        return {"envelope_id": eid, "status": "accepted", "receipt": rc.sign(receipt, self.e)}


class Mitm(LoopbackHTTP):
    """A real HTTP proxy in front of `upstream`: `seen` holds (method, path) of every
    request that passed; JSON answers go through `rewrite` when one is given.

        mitm = Mitm(office.url, rewrite=lambda method, path, body: body)
        mitm.url              # what the phone is told the office is

    `requests` holds every request as it came (method, path, headers, body): on plain HTTP
    the attacker reads the phone's token and nonces there, as a real one would.
    """

    def __init__(self, upstream: str, rewrite: Rewrite | None = None) -> None:
        self.upstream, self.rewrite = upstream.rstrip("/"), rewrite
        self.seen: list[tuple[str, str]] = []
        self.requests: list[tuple[str, str, dict, bytes | None]] = []
        mitm = self

        class Handler(JsonHandler):
            def _relay(self) -> None:
                body = self.body()
                mitm.seen.append((self.command, self.path))
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() in ("authorization", "content-type", "content-encoding", "x-jaga-nonce")}
                mitm.requests.append((self.command, self.path.split("?")[0], headers, body))
                resp = requests.request(self.command, mitm.upstream + self.path, data=body,
                                        headers=headers, timeout=30)
                status, out = resp.status_code, resp.content
                if mitm.rewrite is not None and resp.headers.get("content-type", "").startswith("application/json"):
                    changed = mitm.rewrite(self.command, self.path.split("?")[0], resp.json())
                    if isinstance(changed, tuple):
                        status, changed = changed
                    out = json.dumps(changed).encode()
                self.answer(status, out)

            do_GET = do_POST = do_PUT = _relay

        super().__init__(Handler)
