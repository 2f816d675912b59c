"""Ingest of batches of sealed envelopes (reports); signed receipts.

A batch is checked item by item before anything is written, then stored with one insert
per table in the caller's transaction: each envelope is stored whole (sealed bytes +
filter columns + recipients + attachment slots + receipt) or not at all.
The office opens each report once: to check it against its form (admission) and to write
its filter row (office/store/filter_row.py: the inbox, filters and DARURAT banner need it
at once). Everything else learnt from a report is derived after the commit: the push
queues one job per consumer (office/derive) and imports none of them, so a fault in a
derived feature never costs a push and a phone on 2G never waits for analytics.
The answers stay sealed in the stored bytes and are never logged.
A replay of the same bytes returns the ORIGINAL receipt (same received_at): the phone
may have lost the first answer on a dropped connection.
"""
from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime

from sqlalchemy import Connection, and_, select

from core.errors import EnvelopeError, NotFound
from sync import envelope as env
from sync import receipt as rc
from office import clock, inbox, opening, phone_limits
from office.derive import queue as derive_queue
from office.keys import OfficeKeys
from office.schema import attachments, envelope_recipients, envelopes, persons
from office.store import bulk, filter_row

from . import admission, quarantine
from .common import Rejected, _checked_author, _phone_ms, _verify_and_open, signed_refusal, stored_receipt

log = logging.getLogger("jaga.office.ingest")
BACKLOG_RETRY = 10          # seconds a phone deferred for its derive backlog is told to wait
_STORED = json.JSONEncoder(sort_keys=True).encode    # json.dumps(wire, sort_keys=True), built once


def ingest_envelope(conn: Connection, data: bytes, *, device_id: str, keys: OfficeKeys,
                    now: datetime | None = None, purpose: str = "push", nonce: str | None = None,
                    quota: int | None = None, backlog: int | None = None) -> dict:
    """One item -> {envelope_id, status, receipt | code+reason}. Raises nothing for bad input."""
    return ingest_batch(conn, [data], device_id=device_id, keys=keys, now=now, purpose=purpose, nonce=nonce,
                        quota=quota, backlog=backlog)[0]


def ingest_batch(conn: Connection, items: list[bytes], *, device_id: str, keys: OfficeKeys,
                 now: datetime | None = None, purpose: str = "push", nonce: str | None = None,
                 quota: int | None = None, backlog: int | None = None) -> list[dict]:
    """A whole batch in one pass: one lookup of known ids and authors, crypto per item, then
    one multi-row insert per table (`ingest_envelope` is the batch of one).

    Every check runs before anything is written, so a refused item leaves no row; the
    caller commits once (one fsync) before any receipt leaves. An IntegrityError (the same
    id raced in on another connection) propagates: the caller retries item by item.
    """
    now = now or clock.now()
    received_at = clock.iso(now)
    now_ms = clock.ms(now)
    results: list[dict | None] = [None] * len(items)
    parsed = []
    for i, data in enumerate(items):
        try:
            header = env.peek(data)
        except EnvelopeError as exc:
            results[i] = _rejected(None, "envelope_invalid", exc.message)
            continue
        if header.form_id.startswith("_"):
            results[i] = _rejected(header.envelope_id, "wrong_endpoint",
                                   "reviews and feedback do not go to /envelopes")
            continue
        if not env.id_bound_to(header.envelope_id, header.author_id):
            # Ids are minted per author (sync/envelope.new_envelope_id): nobody can occupy
            # another person's id, so a victim's pending report cannot be pre-empted.
            results[i] = _rejected(header.envelope_id, "id_not_bound",
                                   "the envelope id was not minted for its author")
            continue
        parsed.append((i, data, header, hashlib.sha256(data).hexdigest()))
    ids = list({h.envelope_id for _, _, h, _ in parsed})
    known = {r.id: (r.sha256, r.device_id, r.receipt) for r in conn.execute(
        select(envelopes.c.id, envelopes.c.sha256, envelopes.c.device_id, envelopes.c.receipt)
        .where(envelopes.c.id.in_(ids)))} if ids else {}
    authors = {r["id"]: dict(r) for r in conn.execute(select(persons).where(
        persons.c.id.in_({h.author_id for _, _, h, _ in parsed}))).mappings()} if parsed else {}
    # Envelopes are padded with decoy wraps (sync/envelope.PAD_TO): keep only the key ids that
    # are someone's — the office's and enrolled persons' — as the envelope's recipients.
    wanted = {k for _, _, h, _ in parsed for k in h.recipients}
    real_keys = {keys.key_id} | (set(conn.execute(select(persons.c.key_id).where(
        persons.c.key_id.in_(wanted))).scalars()) if wanted else set())
    # this phone's bytes today, read once when a quota applies — before opening ahead, so a
    # phone past its quota costs the office no decryption (red team round 6)
    spent = phone_limits.used_today(conn, device_id, received_at) if quota is not None else None
    # `backlog`: a phone with that many reports still waiting for derive is deferred, unopened
    # (office/phone_limits.py), so pushing faster than derive cannot grow the lag without bound
    busy = backlog is not None and phone_limits.waiting_for_derive(conn, device_id, backlog) >= backlog
    ahead = _open_ahead(parsed, known, authors, device_id, keys,
                        0 if busy else None if quota is None else quota - spent)
    rows: dict[str, list] = {"env": [], "rcpt": [], "att": [], "review": [], "filter": []}
    meta: dict[str, dict] = {}           # envelope id -> its filter columns, worked out once
    signing: list[tuple[int, dict, rc.Receipt]] = []
    for i, data, header, sha in parsed:
        eid = header.envelope_id
        if eid in known:
            old_sha, old_device, old_receipt = known[eid]
            results[i] = (_rejected(eid, "id_conflict", "another envelope with this id is already stored")
                          if old_sha != sha or old_device != device_id else
                          {"envelope_id": eid, "status": "duplicate",
                           "receipt": stored_receipt(old_receipt, keys) if old_receipt else None})
            continue
        if busy:
            results[i] = {"envelope_id": eid, "status": "deferred", "code": "rate_limited",
                          "reason": f"this phone has {backlog} reports or more the office has not yet "
                                    "worked through; send again later", "retry_after": BACKLOG_RETRY}
            continue
        cost = _cost(data, header)
        if quota is not None and spent is not None:
            if spent + cost > quota:
                # Not a refusal (no signature): the phone keeps it and sends it again tomorrow.
                results[i] = {"envelope_id": eid, "status": "deferred", "code": "quota_exceeded",
                              "reason": f"this phone has sent {spent} of {quota} bytes the office takes "
                                        f"from one phone today; this report needs {cost}",
                              "retry_after": phone_limits.seconds_to_tomorrow(now)}
                continue
        try:
            author = _checked_author(authors.get(header.author_id), header, device_id)
            opened = ahead.pop(i, None) or _verify_and_open(data, header, author, keys)
            if isinstance(opened, Rejected):
                raise opened
            form, answers = admission.admit(header, opened.payload)
        except Rejected as exc:
            results[i] = _rejected(eid, exc.code, exc.reason)
            if quarantine.keep_if_emergency(conn, data, header, authors.get(header.author_id), exc, keys,
                                            received_at):
                log.warning("refused emergency %s kept in quarantine (%s)", eid, exc.code)
            continue
        opening.remember(keys, sha, author["ed25519_public"], opened.payload)   # for this process's derive
        meta[eid] = filter_row.columns(header.form_id, opened.payload)
        row, receipt = _envelope_row(header, data, sha, author, opened.payload, meta[eid], device_id, now_ms,
                                     received_at)
        row["rahasia"] = row["rahasia"] or form.is_confidential(answers)
        rows["env"].append(row)
        rows["filter"].append((row, opened.payload))
        signing.append((i, row, receipt))
        rows["rcpt"] += [{"envelope_id": eid, "key_id": k} for k in sorted(set(header.recipients) & real_keys)]
        rows["att"] += [{"envelope_id": eid, "att_id": a.att_id, "size": a.size, "sha256": a.sha256,
                         "received": 0, "complete": False, "data": None} for a in header.attachments]
        if not row["rahasia"]:
            rows["review"].append((author, header, data))
        known[eid] = (sha, device_id, None)       # a second copy in this batch: duplicate
        results[i] = {"envelope_id": eid, "status": "accepted"}
        if spent is not None:
            spent += cost
    _sign_receipts(signing, results, keys)
    for data, res in zip(items, results):
        if res is not None and res["status"] == "rejected":
            # final on the phone: signed for these bytes, this device and this push (its nonce)
            refusal = signed_refusal(keys, res["code"], device_id, data, res["envelope_id"], received_at,
                                     purpose=purpose, nonce=nonce)
            if refusal is not None:
                res["refusal"] = refusal
    # One lock order for every writer: two workers inserting overlapping batches on
    # PostgreSQL then wait on each other instead of deadlocking.
    rows["env"].sort(key=lambda r: r["id"])
    for table, key in ((envelopes, "env"), (envelope_recipients, "rcpt"), (attachments, "att")):
        bulk.insert_rows(conn, table, rows[key])
    filter_row.write_batch(conn, keys, sorted(rows["filter"], key=lambda t: t[0]["id"]), now, meta)
    _queue_review_batch(conn, rows["review"], received_at)
    derive_queue.enqueue(conn, [r["id"] for r in rows["env"]], now)
    log.info("batch from device %s: %d accepted of %d", device_id, len(rows["env"]), len(items))
    return results  # type: ignore[return-value]


def _open_ahead(parsed: list[tuple], known: dict, authors: dict, device_id: str,
                keys: OfficeKeys, budget: int | None = None) -> dict[int, env.Opened | Rejected]:
    """Item index -> its envelope verified and opened (or why not), for the first copy of each
    id not stored yet whose author may send from this device: the crypto of the whole batch
    before the Python of admission, which cost half as much again interleaved with it (each
    evicting the other's working set from the CPU caches). The item loop takes these in its
    own order and makes every decision as before. With a quota, `budget` is the bytes this
    phone may still send today: only reports that fit it, counted as if each were accepted,
    are opened ahead, so a phone past its quota costs no decryption (a report the loop then
    admits beyond that is opened there, one at a time, as before)."""
    out: dict[int, env.Opened | Rejected] = {}
    seen = set(known)
    for i, data, header, _ in parsed:
        if header.envelope_id in seen:
            continue
        seen.add(header.envelope_id)
        if budget is not None:
            budget -= _cost(data, header)
            if budget < 0:
                break
        try:
            author = _checked_author(authors.get(header.author_id), header, device_id)
            out[i] = _verify_and_open(data, header, author, keys)
        except Rejected as exc:
            if exc.code not in _AUTHOR_CODES:
                out[i] = exc
    return out


_AUTHOR_CODES = ("unknown_person", "revoked", "wrong_device")    # _checked_author's: the loop re-raises them


def _cost(data: bytes, header: env.Header) -> int:
    """The bytes a report counts against its phone's daily quota: the envelope and the
    photos it announces — one definition for the quota check and for opening ahead."""
    return len(data) + sum(a.size for a in header.attachments)


def _rejected(envelope_id: str | None, code: str, reason: str) -> dict:
    return {"envelope_id": envelope_id, "status": "rejected", "code": code, "reason": reason}


def _sign_receipts(signing: list[tuple[int, dict, rc.Receipt]], results: list, keys: OfficeKeys) -> None:
    """One office signature for the whole batch (a Merkle root, sync/receipt.py); each stored
    row and each result gets its own receipt: body, audit path and the signed root."""
    wires = rc.sign_batch([r for _, _, r in signing], keys.ed25519)
    by_id = {}
    for (i, row, _), wire in zip(signing, wires):
        row["receipt"] = _STORED(wire)
        results[i]["receipt"] = by_id[row["id"]] = wire
    for res in results:      # a second copy of an envelope accepted in this same batch
        if res is not None and res["status"] == "duplicate" and res["receipt"] is None:
            res["receipt"] = by_id[res["envelope_id"]]


def _envelope_row(header: env.Header, data: bytes, sha: str, author: dict, payload: dict, meta: dict,
                  device_id: str, now_ms: int, received_at: str) -> tuple[dict, rc.Receipt]:
    complete = not header.attachments
    receipt = rc.Receipt(header.envelope_id, sha, received_at, {}, complete)
    phone_ms = _phone_ms(header)
    return dict(
        id=header.envelope_id, author_id=author["id"], device_id=device_id,
        village_id=author["village_id"], form_id=header.form_id,
        form_version=header.form_version, category=meta["category"], urgent=meta["urgent"],
        has_photo=bool(header.attachments), rahasia=bool(payload.get("rahasia", False)), created_ms=phone_ms,
        received_at=received_at, skew_ms=now_ms - phone_ms, sha256=sha,
        size=len(data), data=data, complete=complete, receipt=None, triage="new"), receipt


def _queue_review_batch(conn: Connection, accepted: list[tuple], stamp: str) -> None:
    """Review requests for a batch: one query for the heads of every village involved."""
    if not accepted:
        return
    villages = {a["village_id"] for a, _, _ in accepted}
    heads: dict[int, list] = {}
    for h in conn.execute(select(persons.c.id, persons.c.key_id, persons.c.village_id).where(and_(
            persons.c.village_id.in_(villages), persons.c.role == "head", persons.c.revoked_at.is_(None)))):
        heads.setdefault(h.village_id, []).append(h)
    out = []
    for author, header, data in accepted:
        targets = [h for h in heads.get(author["village_id"], []) if h.key_id in header.recipients]
        if targets:
            # By id: the stored envelope is read when the head's phone pages its inbox
            # (office/inbox.py), instead of a second base64 copy of every report.
            body = json.dumps({"envelope_id": header.envelope_id})
            out += [{"person_id": h.id, "kind": "review_request", "ref_id": header.envelope_id,
                     "body": body, "created_at": stamp} for h in targets]
    inbox.queue(conn, out)


def receipt_for(conn: Connection, envelope_id: str, device_id: str, keys: OfficeKeys) -> dict:
    row = conn.execute(select(envelopes.c.receipt, envelopes.c.device_id)
                       .where(envelopes.c.id == envelope_id)).first()
    if row is None or row.device_id != device_id:
        raise NotFound("no such envelope from this device")
    return stored_receipt(row.receipt, keys)
