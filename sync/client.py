"""HTTP client for the office API (requests + urllib3 Retry), errors translated at the boundary.

    requests / urllib3 error (connect, read, reset, timeout, bad body) -> core.errors.SyncError
    TLS certificate other than the pinned one                          -> core.errors.TlsPinMismatch
    plain HTTP to a non-loopback office without `insecure`             -> core.errors.InsecureTransport
    office JSON refusal {code, message[, refusal]} with status         -> core.errors.ApiError
                                      (`refusal`: the office's signed statement, checked by sync.runner;
                                       `nonce`: the one this request carried)

Every authenticated request carries a fresh nonce (`X-Jaga-Nonce`, sync/statement.py): the
office binds a refusal to it, so a refusal is an answer to exactly one request of this phone.
A push's results carry theirs as `request_nonce` (set here, never taken from the wire).

TLS: the office's certificate is pinned by its SHA-256 (from the enrollment code), with
urllib3's `assert_fingerprint` — a self-signed office certificate is fine, any other
certificate (even one a public CA signed) is refused. Without a pin the system CAs apply.

Retries (exponential back-off with jitter) cover connect/read errors and 502/503/504
for every method: every office endpoint is idempotent by design (an envelope replay
returns its original receipt, a chunk at a stale offset is refused with 409 and the
upload resumes from what the office holds).
The push/receipt/inbox orchestration lives in sync.runner (sync_once, SyncLoop).
"""
from __future__ import annotations

import base64
import gzip
import json
import time

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from core.errors import ApiError, SyncError, TlsPinMismatch
from sync import receipt as rc
from sync import statement
from sync.identity import Ticket, check_transport

API = "/api/v1"
_STATUS = ("received", "size", "complete")
CHUNK = 64 * 1024          # a 2G link moves ~10 KB/s: small chunks lose little on a drop


def default_retry() -> Retry:
    # PUT (attachment chunks) is left out on purpose: after a drop, put_attachment asks the
    # office where to resume instead of blindly resending the whole chunk.
    return Retry(total=5, connect=5, read=3, status=3, other=2,
                 allowed_methods=frozenset({"GET", "HEAD", "POST"}),
                 status_forcelist=(502, 503, 504), backoff_factor=0.2, backoff_jitter=0.3,
                 backoff_max=10, raise_on_status=False, respect_retry_after_header=True)


class PinnedAdapter(HTTPAdapter):
    """HTTPS to one certificate, named by its SHA-256: urllib3 compares the presented
    certificate with the pin after the handshake and refuses any other."""

    def __init__(self, tls_sha256: str, **kw) -> None:
        self.tls_sha256 = tls_sha256
        super().__init__(**kw)

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        pool_kwargs["assert_fingerprint"] = self.tls_sha256
        super().init_poolmanager(connections, maxsize, block=block, **pool_kwargs)

    def send(self, request, **kw):
        # The pin replaces CA validation (the office's certificate is usually self-signed).
        # Set here, not on the Session: REQUESTS_CA_BUNDLE in the environment would win there.
        kw["verify"] = False
        return super().send(request, **kw)


class OfficeClient:
    def __init__(self, base_url: str, token: str | None = None, *,
                 timeout: tuple[float, float] = (5.0, 60.0), retry: Retry | None = None,
                 tls_sha256: str | None = None, insecure: bool = False) -> None:
        base = base_url.rstrip("/")
        check_transport(base, insecure=insecure)
        self.base_url = base if base.endswith(API) else base + API
        self.token = token
        self.timeout = timeout
        self.session = requests.Session()
        self._probe = requests.Session()   # fails fast: the caller (SyncLoop) does its own back-off
        adapter = HTTPAdapter(max_retries=retry if retry is not None else default_retry())
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        if tls_sha256:
            self.session.mount("https://", PinnedAdapter(tls_sha256, max_retries=retry if retry is not None
                                                         else default_retry()))
            self._probe.mount("https://", PinnedAdapter(tls_sha256, max_retries=0))

    def close(self) -> None:
        self.session.close()
        self._probe.close()

    # --- transport --------------------------------------------------------------------
    def _request(self, method: str, path: str, *, auth: bool = True, probe: bool = False,
                 expect: tuple[str, ...] = (), keep_nonce: bool = False, **kw) -> dict:
        headers = kw.pop("headers", {})
        session = self._probe if probe else self.session
        nonce = None
        if auth:
            if not self.token:
                raise SyncError("this phone is not enrolled (no sync token)")
            headers["Authorization"] = f"Bearer {self.token}"
            headers[statement.NONCE_HEADER] = nonce = statement.new_nonce()
        try:
            resp = session.request(method, self.base_url + path, headers=headers,
                                        timeout=self.timeout, **kw)
            body = resp.json()
        except requests.exceptions.JSONDecodeError as exc:
            raise SyncError(f"the office sent an unreadable answer ({exc.__class__.__name__})") from exc
        except requests.exceptions.SSLError as exc:
            if "fingerprint" in str(exc).lower():
                raise TlsPinMismatch("the office's TLS certificate is not the one pinned at "
                                     "enrollment: refused") from exc
            raise SyncError(f"TLS with the office failed: {exc.__class__.__name__}") from exc
        except requests.exceptions.RequestException as exc:
            raise SyncError(f"cannot reach the office: {exc.__class__.__name__}") from exc
        except Exception as exc:   # urllib3/http.client errors that escape requests' wrappers
            raise SyncError(f"connection to the office failed: {exc.__class__.__name__}") from exc
        if resp.status_code >= 400:
            if isinstance(body, dict) and "code" in body:
                refusal = body.get("refusal")
                exc = ApiError(str(body["code"]), str(body.get("message", "")), resp.status_code,
                               refusal if isinstance(refusal, dict) else None)
                exc.nonce = nonce
                raise exc
            raise SyncError(f"the office answered HTTP {resp.status_code}")
        if not isinstance(body, dict) or any(k not in body for k in expect):
            raise SyncError("the office sent an incomplete answer")
        if keep_nonce:
            body["request_nonce"] = nonce
        return body

    # --- endpoints --------------------------------------------------------------------
    def health(self, *, probe: bool = False) -> dict:
        """Liveness and office time; `probe=True` tries once, without retries."""
        return self._request("GET", "/health", auth=False, probe=probe,
                             expect=("status", "server_time"))

    def office_identity(self) -> dict:
        return self._request("GET", "/office-identity", auth=False,
                             expect=("office_x25519_public", "office_ed25519_public"))

    def enroll(self, code: str, name: str, x25519_public: bytes, ed25519_public: bytes, *,
               device_id: str | None = None, device_token: str | None = None,
               fingerprint: str | None = None) -> dict:
        """Redeem a one-time code. With the ticket's `fingerprint`, first ask the office who it
        is and refuse (IdentityMismatch) before the code is spent on the wrong office; the
        caller still verifies the signed answer (fieldapp Device.apply_enrollment)."""
        if fingerprint:
            ident = self.office_identity()
            try:
                keys = (base64.b64decode(ident["office_x25519_public"]),
                        base64.b64decode(ident["office_ed25519_public"]))
            except (TypeError, ValueError) as exc:
                raise SyncError("the office sent unreadable keys") from exc
            Ticket(code, fingerprint).check(*keys)
        body = {"code": code, "name": name,
                "x25519_public": base64.b64encode(x25519_public).decode(),
                "ed25519_public": base64.b64encode(ed25519_public).decode(),
                "device_id": device_id, "device_token": device_token}
        out = self._request("POST", "/enroll", auth=False, json=body,
                            expect=("person_id", "device_id", "office_ed25519_public"))
        if out.get("sync_token"):
            self.token = out["sync_token"]
        return out

    @staticmethod
    def push_body(envelopes: list[bytes]) -> bytes:
        """A push's request body, built apart from sending it: sync.runner builds the next
        batch's while this one travels. gzip takes back most of base64's third (the office
        inflates /envelopes only)."""
        return gzip.compress(json.dumps({"envelopes": [base64.b64encode(e).decode() for e in envelopes]},
                                        separators=(",", ":")).encode(), 6)

    def push(self, envelopes: list[bytes], body: bytes | None = None) -> list[dict]:
        """POST /envelopes: one result per envelope, in order. `body`: push_body(envelopes),
        when the caller built it already."""
        body = self.push_body(envelopes) if body is None else body
        out = self._request("POST", "/envelopes", data=body, expect=("results",), keep_nonce=True,
                            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
        results = out["results"]
        if not isinstance(results, list) or len(results) != len(envelopes) \
                or not all(isinstance(r, dict) for r in results):
            raise SyncError("the office answered a batch with the wrong number of results")
        for r in results:
            r["request_nonce"] = out["request_nonce"]      # what a refusal in it must answer
        # Batch receipts: rebuild each receipt's proof (audit path + signed root), verified later.
        return rc.expand_batch(results, out.get("batch")) if out.get("batch") else results

    def receipt(self, envelope_id: str) -> dict:
        return self._request("GET", f"/receipts/{envelope_id}", expect=("signature", "complete"))

    def attachment_status(self, envelope_id: str, att_id: str) -> dict:
        return self._request("GET", f"/attachments/{envelope_id}/{att_id}", expect=_STATUS)

    def put_chunk(self, envelope_id: str, att_id: str, offset: int, chunk: bytes) -> dict:
        return self._request("PUT", f"/attachments/{envelope_id}/{att_id}", params={"offset": offset},
                             data=chunk, headers={"Content-Type": "application/octet-stream"},
                             expect=_STATUS)

    def put_attachment(self, envelope_id: str, att_id: str, blob: bytes, *, chunk_size: int = CHUNK,
                       attempts: int = 8, progress=None) -> dict:
        """Upload `blob`, resuming from what the office already holds after any drop."""
        failures = 0
        status = None
        while True:
            try:
                if status is None:
                    status = self.attachment_status(envelope_id, att_id)
                if status["complete"]:
                    return status
                offset = int(status["received"])
                status = self.put_chunk(envelope_id, att_id, offset, blob[offset:offset + chunk_size])
                if progress:
                    progress(int(status["received"]), len(blob))
            except ApiError as exc:
                if exc.code != "offset_mismatch":
                    raise
                status = None                           # ask where to resume
            except SyncError:
                failures += 1
                if failures >= attempts:
                    raise
                time.sleep(min(2.0, 0.05 * 2 ** failures))
                status = None

    def post_courier(self, data: bytes) -> dict:
        """A courier file this phone carries for others (sync/courier.py); the office answers
        with the receipts file (JSON), verified by the caller."""
        return self._request("POST", "/courier", data=data, expect=("format", "results"),
                             headers={"Content-Type": "application/octet-stream"})

    def inbox(self, cursor: str | None = None, limit: int = 100) -> dict:
        params = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        return self._request("GET", "/inbox", params=params, expect=("items", "next_cursor"))

    def post_review(self, envelope: bytes) -> dict:
        return self._request("POST", "/reviews", json={"envelope": base64.b64encode(envelope).decode()},
                             expect=("status", "receipt"))
