"""One sync round (`sync_once`) and the background loop that repeats it (`SyncLoop`).

The rule this module exists for: the phone forgets a report (outbox.mark_received) only
after it holds an office receipt whose Ed25519 signature verifies against the office key
from enrollment, whose envelope hash matches the exact bytes we sent, which is complete,
and which names every sealed attachment with the checksum of the blob we hold. Anything
short of that keeps the report in the outbox for the next round.

Its twin for refusals: a report, verdict or reply is closed as refused, and the phone marks
itself revoked, only on the office's signed refusal for exactly that item (or this device)
under the same office key (sync/statement.py), given in answer to the very request that
sent it: the door it went to (push, review) and the fresh nonce the phone chose for that
request. An unsigned or wrongly signed refusal, or one that answers another request — a
network answering in the office's place — closes nothing, sets nothing and fails the round
(`refusal_untrusted`); the item is sent again next round.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import random
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from core.errors import ApiError, EnvelopeError, JagaError, SyncError, TrustError
from sync import envelope as env
from sync import receipt as rc
from sync import statement
from sync.client import OfficeClient
from sync.ports import InboxItem, Outbox, OutboxItem

log = logging.getLogger("jaga.sync")
Progress = Callable[[int, int, str], None]      # (done, total, stage)


@dataclass
class SyncResult:
    ok: bool = True
    error: str | None = None                 # why the round stopped early (retry later)
    accepted: int = 0                        # newly accepted by the office
    duplicate: int = 0                       # the office already had them (receipt re-sent)
    received: int = 0                        # purged from the outbox with a verified receipt
    failed: dict[str, str] = field(default_factory=dict)     # envelope_id -> code
    attachments: int = 0
    reviews: int = 0
    inbox: int = 0
    carried: int = 0                         # envelopes carried for other phones, answered by the office
    carried_error: str | None = None         # why the carried file did not go this round (they wait)

    def stop(self, error: str) -> "SyncResult":
        self.ok, self.error = False, error
        return self


def _transient(exc: JagaError) -> bool:
    return isinstance(exc, SyncError) or (isinstance(exc, ApiError) and
                                          (exc.http_status >= 500 or exc.http_status == 429))


REFUSAL_UNTRUSTED = "refusal_untrusted"


def _refusal_holds(outbox: Outbox, office_pub, code: str, wire: object, purpose: str, nonce: str | None,
                   envelope: bytes | None = None, envelope_id: str | None = None) -> bool:
    """True when `wire` is the office's signed refusal with `code` for this device and these
    bytes (or, with no envelope, for this device as a whole), answering the request this phone
    sent for `purpose` with `nonce`; logged when it is not."""
    try:
        statement.check_refusal(wire, office_pub, code=code, device_id=outbox.device_id, purpose=purpose,
                                nonce=nonce, envelope=envelope, envelope_id=envelope_id)
    except TrustError as exc:
        log.warning("refusal %s of %s not believed: %s", code, envelope_id or "this device", exc.message)
        return False
    return True


def _stop_code(exc: JagaError, outbox: Outbox, office_pub) -> str:
    """The round's error code. A "revoked" answer marks the whole phone revoked (the device's
    record_round), so it counts only when the office signed it for this device."""
    code = getattr(exc, "code", "sync_failed")
    if code == "revoked" and not _refusal_holds(outbox, office_pub, code, getattr(exc, "refusal", None),
                                                "device", getattr(exc, "nonce", None)):
        return REFUSAL_UNTRUSTED
    return code


def _device_refusal(exc: ApiError) -> bool:
    """A refusal of the whole device (no item named), not of the one item sent."""
    wire = exc.refusal
    return isinstance(wire, dict) and wire.get("envelope_sha256") is None and wire.get("envelope_id") is None \
        and exc.code == "revoked"


MAX_INBOX_PAGES = 50        # per round (100 items a page); the rest waits for the next round


def _advances(last: str | None, nxt: object) -> bool:
    """Inbox cursors are the office's growing item numbers: within a round each page's must be
    larger than the previous page's (the first may restart lower: the office starts a phone
    over when its stored cursor is one the office never handed out)."""
    if not isinstance(nxt, str) or not nxt.isdigit():
        return False
    return last is None or int(nxt) > int(last)


def _expected_blobs(item: OutboxItem) -> dict[str, str]:
    """att_id -> sha256 of the blobs we hold, checked against the signed manifest."""
    header = env.peek(item.envelope)
    manifest = {a.att_id: a.sha256 for a in header.attachments}
    held = {a: hashlib.sha256(b).hexdigest() for a, b in item.blobs.items()}
    if held != manifest:
        raise EnvelopeError("the outbox's attachment blobs do not match the signed manifest")
    return manifest


def _settle(outbox: Outbox, client: OfficeClient, office_pub, item: OutboxItem, res: dict,
            result: SyncResult) -> tuple | None:
    """Handle one push result: (eid, receipt, wire) once a verified, complete receipt is held,
    None when the item failed (marked). Raises SyncError/ApiError (transient) to stop the round."""
    eid = item.envelope_id
    if res.get("status") == "rejected":
        code, reason = str(res.get("code") or "rejected"), str(res.get("reason") or "")
        nonce = res.get("request_nonce")
        if not _refusal_holds(outbox, office_pub, code, res.get("refusal"), "push", nonce, item.envelope, eid):
            result.failed[eid] = REFUSAL_UNTRUSTED            # kept waiting, sent again next round
            outbox.mark_failed(eid, REFUSAL_UNTRUSTED, f"{code} not signed by the office")
            return
        result.failed[eid] = code
        # A device may still refuse (False): fieldapp re-checks the refusal under the office key
        # the report's author attested, exactly as it does receipts.
        if outbox.mark_failed(eid, code, reason, refusal=res["refusal"], nonce=nonce) is False:
            result.failed[eid] = REFUSAL_UNTRUSTED
        return
    if res.get("status") == "deferred" and res.get("envelope_id") == eid:
        # The office's per-phone quota (not a refusal: nothing signed, nothing closed): this
        # item and the rest wait; the round stops as transient and the loop backs off.
        raise ApiError(str(res.get("code") or "quota_exceeded"), str(res.get("reason") or ""), 429)
    if res.get("status") not in ("accepted", "duplicate") or res.get("envelope_id") != eid:
        raise SyncError("the office answered with a result for another envelope")
    try:
        expected = _expected_blobs(item)
        wire = res.get("receipt") or {}
        receipt = rc.verify(wire, office_pub, item.envelope)
        if receipt.envelope_id != eid:
            raise EnvelopeError("receipt names another envelope")
    except EnvelopeError as exc:
        result.failed[eid] = "receipt_invalid"
        outbox.mark_failed(eid, "receipt_invalid", exc.message)
        return
    result.accepted += res["status"] == "accepted"
    result.duplicate += res["status"] == "duplicate"
    if not receipt.complete or any(receipt.attachments.get(a) != s for a, s in expected.items()):
        for att_id, blob in item.blobs.items():
            if receipt.attachments.get(att_id) != expected[att_id]:
                client.put_attachment(eid, att_id, blob)
                result.attachments += 1
        wire = client.receipt(eid)
        try:
            receipt = rc.verify(wire, office_pub, item.envelope, expected)
        except EnvelopeError as exc:
            result.failed[eid] = "receipt_invalid"
            outbox.mark_failed(eid, "receipt_invalid", exc.message)
            return
    if not receipt.complete:
        raise SyncError("the office does not hold every attachment yet")
    return eid, receipt, wire


def _purge(outbox: Outbox, settled: list[tuple], result: SyncResult) -> None:
    """Purge verified items. Optional Outbox.batch(): one local transaction (one fsync)
    for the whole batch; no network I/O happens while it is open."""
    with getattr(outbox, "batch", contextlib.nullcontext)():
        for eid, receipt, wire in settled:
            # A device may still refuse (False): fieldapp re-checks the receipt under the office
            # key the report's author attested, which a rewritten file cannot forge.
            if outbox.mark_received(eid, receipt, wire) is False:
                result.failed[eid] = "receipt_untrusted"
            else:
                result.received += 1


def _push_carried(outbox: Outbox, client: OfficeClient, result: SyncResult) -> None:
    """Courier mode: what this phone carries for other phones (optional Outbox.carried_file)
    goes to the office as one courier file; the device verifies each answer itself (a carried
    envelope is done only on a receipt or signed refusal under its pinned office key)."""
    carried = getattr(outbox, "carried_file", None)
    data = carried() if callable(carried) else None
    if not data:
        return
    try:
        settled = outbox.take_carried_receipts(client.post_courier(data))
    except ApiError as exc:
        if _transient(exc) or exc.code in ("unauthorized", "revoked"):
            raise                   # the network, or this phone itself: the round stops as for a push
        # The office refused the carried file as a whole (too large, unreadable): what this phone
        # carries waits, and must not keep its own reports and inbox from syncing.
        log.warning("carried courier file refused: %s", exc.code)
        result.carried_error = exc.code
        return
    except JagaError as exc:        # an answer that is not this office's receipts file: nothing let go
        log.warning("carried courier answer not used: %s", exc.code)
        result.carried_error = exc.code
        return
    result.carried += settled.delivered


def _next_batch(outbox: Outbox, tried: set, size: int, skip: int) -> list[OutboxItem]:
    """Up to `size` pending items not yet tried this round (failed and in-flight ones are
    still pending, so ask for that many more)."""
    batch = [i for i in outbox.pending(size + skip) if i.envelope_id not in tried][:size]
    tried.update(i.envelope_id for i in batch)
    return batch


class _InPlace:
    """An executor that runs each job when it is submitted: the offline app's Pyodide has no
    threads, so there the next batch leaves after this one instead of alongside it."""

    def __enter__(self) -> "_InPlace":
        return self

    def __exit__(self, *exc) -> None:
        return None

    def submit(self, fn, *args) -> Future:
        done: Future = Future()
        try:
            done.set_result(fn(*args))
        except BaseException as exc:   # noqa: BLE001 - handed to the caller by .result()
            done.set_exception(exc)
        return done


def _pipeline():
    return _InPlace() if sys.platform == "emscripten" else ThreadPoolExecutor(max_workers=1)


def sync_once(outbox: Outbox, client: OfficeClient, progress: Progress | None = None, *,
              batch_size: int = 100) -> SyncResult:
    """Probe, push the outbox, upload attachments, push reviews, pull the inbox. Never raises
    for network trouble: the result says how far it got and why it stopped."""
    result = SyncResult()
    if client.token is None:
        client.token = outbox.sync_token
    if not outbox.office_sign_public or not client.token:
        return result.stop("not_enrolled")
    office_pub = env.load_public_ed25519(bytes(outbox.office_sign_public))
    try:
        client.health(probe=True)
    except JagaError as exc:
        return result.stop(_stop_code(exc, outbox, office_pub))
    count = getattr(outbox, "pending_count", None)
    total = count() if callable(count) else 0
    done, tried = 0, set()
    try:
        with _pipeline() as pool:
            batch = _next_batch(outbox, tried, batch_size, len(result.failed))
            future = pool.submit(client.push, [i.envelope for i in batch]) if batch else None
            while future is not None:
                # The phone's work and the office's overlap instead of taking turns: while this
                # batch travels and the office stores it, the next one is read and its body
                # built here; it leaves the moment this one's answer is in, and this one is
                # checked and purged while the office stores the next. Still one push in flight
                # at a time, in outbox order, and a report is purged only on its own verified
                # receipt (_settle, _purge): a batch whose answer never comes purges nothing.
                nxt = _next_batch(outbox, tried, batch_size, len(result.failed) + len(batch))
                body = client.push_body([i.envelope for i in nxt]) if nxt else None
                results = future.result()
                future = pool.submit(client.push, [i.envelope for i in nxt], body) if nxt else None
                settled = []
                try:
                    for item, res in zip(batch, results):
                        if (ok := _settle(outbox, client, office_pub, item, res, result)) is not None:
                            settled.append(ok)
                        done += 1
                finally:
                    _purge(outbox, settled, result)
                if progress:
                    progress(done, max(total, done), "push")
                batch = nxt
        _push_carried(outbox, client, result)
        for review in outbox.pending_reviews():
            try:
                res = client.post_review(review.envelope)
            except ApiError as exc:
                if _transient(exc) or exc.code == "unauthorized" or _device_refusal(exc):
                    raise           # a revoked *phone* stops the round (its refusal checked below)
                # Refused for good (the office no longer knows the report, this head may not
                # review it, or this head was revoked): close it locally — on the office's
                # signed refusal of these bytes only; one dead verdict must not wedge every
                # sync — a revoked head's phone must still pull the inbox item that tells him so.
                if not _refusal_holds(outbox, office_pub, exc.code, exc.refusal, "review", exc.nonce,
                                      review.envelope, review.envelope_id):
                    result.failed[review.envelope_id] = REFUSAL_UNTRUSTED     # stays to be sent
                    continue
                result.failed[review.envelope_id] = exc.code
                close = getattr(outbox, "close_review", None)
                if close is not None and close(review.envelope_id, exc.code, exc.message,
                                               refusal=exc.refusal, nonce=exc.nonce) is False:
                    result.failed[review.envelope_id] = REFUSAL_UNTRUSTED     # kept by the device
                continue
            try:
                rc.verify(res.get("receipt") or {}, office_pub, review.envelope)
            except EnvelopeError as exc:
                log.warning("review %s: %s", review.envelope_id, exc.message)
                continue
            if outbox.mark_review_sent(review.envelope_id) is False:
                result.failed[review.envelope_id] = "receipt_untrusted"     # kept by the device
                continue
            result.reviews += 1
        if progress:
            progress(done, max(total, done), "reviews")
        cursor, last = outbox.inbox_cursor(), None
        for _ in range(MAX_INBOX_PAGES):
            page = client.inbox(cursor)
            items = [InboxItem(str(i["item_id"]), str(i["kind"]), str(i["person_id"]), i["body"], raw=i)
                     for i in page.get("items", []) if isinstance(i, dict) and
                     all(k in i for k in ("item_id", "kind", "person_id", "body"))]
            if not items:
                break
            nxt = page.get("next_cursor")
            if not _advances(last, nxt):
                # A server that never ends the inbox (or a man in the middle) must not keep the
                # round — and the background loop's lock — forever, nor fill the phone.
                raise SyncError("the office's inbox cursor did not advance")
            cursor = last = nxt
            outbox.add_inbox(items, cursor)
            result.inbox += len(items)
            if progress:
                progress(done, max(total, done), "inbox")
    except (SyncError, ApiError) as exc:
        # Transient (network, 5xx) or refusing the whole phone (revoked, unauthorized):
        # either way the round ends here and nothing unverified was purged.
        log.info("sync round stopped: %s%s", exc.code, "" if _transient(exc) else " (permanent)")
        return result.stop(_stop_code(exc, outbox, office_pub))
    if "receipt_untrusted" in result.failed.values():
        # The device refused receipts (fieldapp: not under the office key the author pinned —
        # the server this file now names is not the one its users trust). Nothing was purged,
        # and no trusted office was reached: not a successful round ("last synced" stays).
        return result.stop("receipt_untrusted")
    if REFUSAL_UNTRUSTED in result.failed.values():
        # A refusal the office did not sign (a network answering in its place): nothing was
        # closed, and no trusted office said so — a failed round, as for receipts.
        return result.stop(REFUSAL_UNTRUSTED)
    return result


def sync_round(outbox: Outbox, client: OfficeClient, progress: Progress | None = None, *,
               batch_size: int = 100, now: Callable[[], str] | None = None) -> SyncResult:
    """The one sync path (CLI `device sync`, the app's button, the background SyncLoop):
    a `sync_once` round, then the outbox's record of it. "Last synced" moves only when the
    round completed; a failed round records its error code instead (optional
    `Outbox.record_round(ok, error, when)`), so nobody is told a failed sync succeeded."""
    result = sync_once(outbox, client, progress, batch_size=batch_size)
    record = getattr(outbox, "record_round", None)
    if callable(record):
        record(result.ok, result.error, (now or _utc_now)())
    return result


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


ClientSource = OfficeClient | Callable[[Outbox], OfficeClient | None]


class SyncLoop:
    """Background sync: retries when connectivity returns, exponential back-off with jitter.

    `outbox` may be a zero-argument factory, called inside the thread (SQLite connections
    belong to the thread that opened them). `client` may be a factory too, called with the
    outbox before every round (the app enrolls, or switches sync off, while the loop runs):
    it returns None to skip a round (not enrolled, sync off), which waits `interval` and
    is neither a success nor a failure. start()/trigger()/stop() never block long.

    Time is injectable for tests: `wait(seconds)` replaces the sleep between rounds and
    `jitter()` the random factor (0.5–1.5) applied to each back-off delay; `lock` is held
    around each round so a "sync now" elsewhere in the process never overlaps it.
    """

    def __init__(self, outbox: Outbox | Callable[[], Outbox], client: ClientSource, *,
                 interval: float = 60.0, min_backoff: float = 2.0, max_backoff: float = 600.0,
                 progress: Progress | None = None,
                 on_result: Callable[[SyncResult], None] | None = None,
                 wait: Callable[[float], object] | None = None,
                 jitter: Callable[[], float] | None = None,
                 lock: threading.Lock | None = None, probe_every: float | None = None) -> None:
        self._outbox, self._client = outbox, client
        self.interval, self.min_backoff, self.max_backoff = interval, min_backoff, max_backoff
        self.progress, self.on_result = progress, on_result
        self._wake, self._stopped = threading.Event(), threading.Event()
        self._wait = wait or self._wake.wait
        self._jitter = jitter or (lambda: random.uniform(0.5, 1.5))
        self._lock = lock or contextlib.nullcontext()
        self._thread: threading.Thread | None = None
        self._backoff = min_backoff
        self.last: SyncResult | None = None
        self.rounds = 0
        self.delays: list[float] = []          # every delay chosen, newest last (for status/tests)
        # While backing off, ask the office's /health every `probe_every` seconds (one cheap GET,
        # no retries): the round runs the moment the network is back, not when the back-off ends.
        self.probe_every = probe_every
        self.next_at: float | None = None      # epoch seconds of the next automatic round

    @property
    def client(self) -> OfficeClient | None:
        return self._client if isinstance(self._client, OfficeClient) else None

    def start(self) -> "SyncLoop":
        if self._thread is None or not self._thread.is_alive():
            self._stopped.clear()
            self._thread = threading.Thread(target=self._run, name="jaga-sync", daemon=True)
            self._thread.start()
        return self

    def trigger(self) -> None:
        """Sync now (a report was finalized, the network came back)."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopped.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def step(self, outbox: Outbox) -> float:
        """One round (or a skipped one) and the delay until the next: `interval` after a
        success or a skip; after a failure the back-off, doubling up to `max_backoff`
        (times jitter), back to `min_backoff` after the next success."""
        if isinstance(self._client, OfficeClient):
            client, own = self._client, False
        else:
            client, own = self._client(outbox), True
        if client is None:
            delay = self.interval
        else:
            try:
                with self._lock:
                    result = sync_round(outbox, client, self.progress)
            except Exception as exc:          # a bug must not kill the loop silently
                log.exception("sync round crashed")
                result = SyncResult().stop(type(exc).__name__)
            finally:
                if own:
                    client.close()
            self.last, self.rounds = result, self.rounds + 1
            if self.on_result:
                self.on_result(result)
            if result.ok:
                delay, self._backoff = self.interval, self.min_backoff
            else:
                delay = min(self.max_backoff, self._backoff * self._jitter())
                self._backoff = min(self.max_backoff, self._backoff * 2)
        self.delays.append(delay)
        self.next_at = time.time() + delay
        return delay

    def _pause(self, outbox: Outbox, delay: float) -> None:
        """Wait `delay`; after a failed round, in slices of `probe_every`, ending early when the
        office answers a probe (the network came back) or someone triggers a round."""
        if not self.probe_every or self.last is None or self.last.ok or delay <= self.probe_every:
            self._wait(delay)
            return
        waited = 0.0
        while waited < delay and not self._stopped.is_set():
            piece = min(self.probe_every, delay - waited)
            self._wait(piece)
            waited += piece
            if self._wake.is_set() or self._office_answers(outbox):
                self.next_at = time.time()
                return

    def _office_answers(self, outbox: Outbox) -> bool:
        own = not isinstance(self._client, OfficeClient)
        try:
            client = self._client(outbox) if own else self._client
        except Exception:   # noqa: BLE001 — not enrolled / sync off: nothing to probe
            return False
        if client is None:
            return False
        try:
            client.health(probe=True)
            return True
        except Exception:   # noqa: BLE001 — still no network: keep backing off
            return False
        finally:
            if own:
                client.close()

    def _run(self) -> None:
        outbox = self._outbox if hasattr(self._outbox, "pending") else self._outbox()
        try:
            while not self._stopped.is_set():
                try:
                    delay = self.step(outbox)
                except Exception:                 # the client factory itself failed
                    log.exception("sync loop step failed")
                    delay = self.interval
                if self._stopped.is_set():
                    break
                self._pause(outbox, delay)
                self._wake.clear()
        finally:
            close = getattr(outbox, "close", None)
            if callable(close) and outbox is not self._outbox:
                close()
