"""Signals pushed to a partner system: a signed webhook with retries and a delivery log.

    POST <url>   Content-Type: application/json
    X-Jaga-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>

The receiver recomputes the HMAC over the exact bytes it received and compares in
constant time (`verify`). The body carries its own `sent_at` and the signal id, so a
receiver can refuse a replay. It says what kind of lead it is and where (region, village
ids, counts) — never an identifier, a name or a report's content: the partner asks the
office for more through the agreed channel.

Retries: urllib3 Retry with exponential back-off on connection errors and 429/5xx; every
attempt (urllib3 keeps their history) lands in warn_deliveries. A signal not delivered
stays `delivered = false` and goes again in the next round.

Redirects are never followed (issue 22, item 10): a receiver — or whoever answers in its
place — that says 301/302/307/308 would otherwise get the body and a valid signature sent
to an address it chose (an internal service). The body goes only to the configured URL's
host; a redirect is a failed attempt, logged with its status and where it pointed, and the
signal stays queued. Only a 2xx from the configured host counts as delivered.

What the partner is told is a function of the signal's ordinary reports alone (red team
round 8): a signal changed by a rahasia report only is not sent again (its body without
times hashes as what was last told, kept in warn_signals.told), and the body's
`created_at`/`updated_at` are when the partner was first told of it and when this change
was told — not the signal's own times, which rahasia reports set (a spike they raised first,
a ring one of them grew).
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from sqlalchemy import Connection, Engine, insert, select, update
from urllib3.util.retry import Retry

from core.errors import BadRequest
from office import clock

from .config import current as current_config
from .rules import explain, title
from .spike import ordinary
from office.schema import envelopes

from .schema import warn_deliveries, warn_signal_reports, warn_signals

SIGNATURE_HEADER = "X-Jaga-Signature"
RETRY_STATUSES = (429, 500, 502, 503, 504)


@dataclass(frozen=True)
class Webhook:
    url: str
    secret: bytes
    retries: int = 4
    backoff: float = 0.5          # seconds: 0.5, 1, 2, 4 between attempts
    timeout: float = 10.0

    def __post_init__(self) -> None:
        if not self.url.startswith(("https://", "http://")) or not urlsplit(self.url).hostname:
            raise BadRequest("webhook url must be http(s)://host/...")
        if len(self.secret) < 16:
            raise BadRequest("webhook secret must be at least 16 bytes")


def sign(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify(secret: bytes, body: bytes, header: str | None) -> bool:
    """For receivers (and tests): constant-time check of the signature header."""
    return bool(header) and hmac.compare_digest(sign(secret, body), header)


def payload(conn: Connection, signal: dict) -> dict | None:
    """What the partner is told of `signal`, or None when there is nothing it may be told.
    A rahasia report is Immigration's only (like a partner API token without the rahasia
    grant, the partner system has none): the body counts the signal's ordinary reports and
    names their villages only, and a signal made of rahasia reports alone is not sent (red
    team round 7: two rahasia reports naming one phone went out as "2 reports, villages 1
    and 2"). A weekly spike is told as its ordinary reports alone make it — each week's count,
    mean and C2 without rahasia reports — and not at all when they alone make no spike
    (spike.ordinary). Without times: deliver_pending dates it by what the partner was told."""
    detail = json.loads(signal["detail"])
    if signal["rule"] == "weekly_spike" and "counts" in detail:
        detail = ordinary(conn, signal, detail, current_config())
        if detail is None:
            return None
    e = envelopes.c
    shown = conn.execute(select(warn_signal_reports.c.village_id).select_from(warn_signal_reports.join(
        envelopes, e.id == warn_signal_reports.c.envelope_id, isouter=True)).where(
        warn_signal_reports.c.signal_id == signal["id"], e.rahasia.is_not(True))).scalars().all()
    if not shown:
        return None
    villages = sorted(set(shown))
    for field, value in (("reports", len(shown)), ("villages", len(villages)), ("village_ids", villages)):
        if field in detail:
            detail[field] = value
    return {"signal_id": signal["id"], "rule": signal["rule"], "status": signal["status"],
            "title": {"id": title(signal["rule"], "id"), "en": title(signal["rule"], "en")},
            "explanation": {"id": explain(signal["rule"], detail, "id"), "en": explain(signal["rule"], detail, "en")},
            "region": signal["region"], "village_ids": detail.get("village_ids", []), "reports": len(shown),
            "notice": "A signal is a lead, never an accusation."}


def _told(signal: dict, body: dict) -> tuple[str, dict | None]:
    """The hash of `body` (without times) and the times to send it with — None when the
    partner was last told exactly this: nothing new it may know of."""
    sha = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    last = json.loads(signal["told"]) if signal.get("told") else None
    if last is not None and last["sha256"] == sha:
        return sha, None
    now = clock.iso(clock.now())
    return sha, {"created_at": last["created_at"] if last else now, "updated_at": now, "sent_at": now}


def _session(hook: Webhook) -> requests.Session:
    retry = Retry(total=hook.retries, connect=hook.retries, read=hook.retries, status=hook.retries,
                  redirect=0, backoff_factor=hook.backoff, status_forcelist=RETRY_STATUSES,
                  allowed_methods=frozenset({"POST"}), raise_on_status=False, respect_retry_after_header=True)
    s = requests.Session()
    s.trust_env = False          # no proxy from the environment: the body goes to the configured host
    s.mount("http://", HTTPAdapter(max_retries=retry))
    s.mount("https://", HTTPAdapter(max_retries=retry))
    return s


def deliver_pending(engine: Engine, hook: Webhook, limit: int = 100) -> dict:
    """Send every undelivered signal once (with retries); {"sent": n, "failed": m}."""
    with engine.connect() as conn:
        todo = [dict(r) for r in conn.execute(select(warn_signals).where(warn_signals.c.delivered.is_(False), warn_signals.c.status != "merged")
                                              .order_by(warn_signals.c.id).limit(limit)).mappings()]
        bodies = {s["id"]: payload(conn, s) for s in todo}
    sent = failed = 0
    session = _session(hook)
    for s in todo:
        sha, times = _told(s, bodies[s["id"]]) if bodies[s["id"]] is not None else ("", None)
        if times is None:           # rahasia reports only, or nothing new the partner may know of
            with engine.begin() as conn:
                conn.execute(update(warn_signals).where(warn_signals.c.id == s["id"]).values(delivered=True))
            continue
        body = json.dumps({**bodies[s["id"]], **times}, sort_keys=True).encode()
        attempts, ok = _post(session, hook, body)
        with engine.begin() as conn:
            conn.execute(insert(warn_deliveries), [{"signal_id": s["id"], "url": hook.url[:500], **a} for a in attempts])
            if ok:
                told = {"sha256": sha, "created_at": times["created_at"], "updated_at": times["updated_at"]}
                conn.execute(update(warn_signals).where(warn_signals.c.id == s["id"]).values(
                    delivered=True, told=json.dumps(told, sort_keys=True)))
        sent += ok
        failed += not ok
    return {"sent": sent, "failed": failed}


def _post(session: requests.Session, hook: Webhook, body: bytes) -> tuple[list[dict], bool]:
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(hook.secret, body)}
    try:
        resp = session.post(hook.url, data=body, headers=headers, timeout=hook.timeout, allow_redirects=False)
    except requests.RequestException as exc:
        return [_attempt(1, None, False, type(exc).__name__)], False
    history = getattr(getattr(resp.raw, "retries", None), "history", ()) or ()
    attempts = [_attempt(i + 1, h.status, False, type(h.error).__name__ if h.error else None)
                for i, h in enumerate(history)]
    same_host = urlsplit(resp.url).hostname == urlsplit(hook.url).hostname
    ok = 200 <= resp.status_code < 300 and same_host and not resp.is_redirect
    if resp.is_redirect or 300 <= resp.status_code < 400:
        why = f"redirect not followed (to {str(resp.headers.get('Location', '?'))[:200]})"
    else:
        why = None if ok else resp.reason
    attempts.append(_attempt(len(attempts) + 1, resp.status_code, ok, why))
    return attempts, ok


def _attempt(n: int, status: int | None, ok: bool, error: str | None) -> dict:
    return {"attempt": n, "status": status, "ok": ok, "error": (error or None) and str(error)[:300],
            "at": clock.iso(clock.now())}
