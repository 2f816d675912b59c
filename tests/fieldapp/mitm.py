"""A man in the middle on loopback: a real HTTP proxy that forwards each request to the
office and may rewrite the JSON answer on its way back (or answer in the office's place).

This is the attacker of the trust tests, not a stand-in for our code: the phone and the
office are the real ones; only the network between them is hostile.

    mitm = Mitm(office.url, rewrite=lambda method, path, body: body)
    mitm.url              # what the phone is told the office is
    mitm.seen             # (method, path) of every request that passed
"""
from __future__ import annotations

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

import requests

Rewrite = Callable[[str, str, dict], "dict | tuple[int, dict]"]


class Mitm:
    def __init__(self, upstream: str, rewrite: Rewrite | None = None) -> None:
        self.upstream, self.rewrite = upstream.rstrip("/"), rewrite
        self.seen: list[tuple[str, str]] = []
        mitm = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"          # one request per connection: simple framing

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                mitm.seen.append((self.command, self.path))
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() in ("authorization", "content-type", "content-encoding")}
                resp = requests.request(self.command, mitm.upstream + self.path, data=body,
                                        headers=headers, timeout=30)
                status, out = resp.status_code, resp.content
                if mitm.rewrite is not None and resp.headers.get("content-type", "").startswith("application/json"):
                    changed = mitm.rewrite(self.command, self.path.split("?")[0], resp.json())
                    if isinstance(changed, tuple):
                        status, changed = changed
                    out = json.dumps(changed).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            do_GET = do_POST = do_PUT = _relay

            def log_message(self, *args) -> None:       # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class RogueOffice:
    """An attacker's own "office" on loopback: answers health, takes every envelope, and hands
    back receipts signed with the attacker's key (correct hashes: they verify under that key)."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
        self.x, self.e = X25519PrivateKey.generate(), Ed25519PrivateKey.generate()
        self.received: list[bytes] = []
        rogue = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def _answer(self, status: int, body: dict) -> None:
                out = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def do_GET(self) -> None:
                if self.path.startswith("/api/v1/health"):
                    return self._answer(200, {"status": "ok", "server_time": "2026-01-01T00:00:00.000Z"})
                return self._answer(200, {"items": [], "next_cursor": None})

            def do_POST(self) -> None:
                import base64
                import hashlib

                from sync import envelope as env
                from sync import receipt as rc
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    raw = gzip.decompress(raw)
                body = json.loads(raw)
                results = []
                for b64 in body.get("envelopes", []):
                    data = base64.b64decode(b64)
                    rogue.received.append(data)
                    eid = env.peek(data).envelope_id
                    receipt = rc.Receipt(eid, hashlib.sha256(data).hexdigest(), "2026-01-01T00:00:00.000Z",
                                         {}, True)
                    results.append({"envelope_id": eid, "status": "accepted", "receipt": rc.sign(receipt, rogue.e)})
                return self._answer(200, {"results": results})

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
