"""Courier mode on the phone: the sealed outbox leaves in a file, carried by hand, and the
office's receipts come back the same way. No PIN is needed for any of it — everything
here is sealed to the office and signed by its author, exactly as the push sends it.

- `export`: one courier file (sync/courier.py) of every waiting report and every envelope
  this phone carries for others. A report that left by courier stays waiting ("dibawa
  kurir, menunggu tanda terima") and is still pushed when signal comes: whichever arrives
  first, the office stores it once and answers the other with the same receipt.
- `carry`: another enrolled phone of the same office takes a courier file into its own
  outbox (table `carried`); it cannot open what it carries, and pushes it with its own
  (sync.runner → POST /courier), where the office credits each report to its author.
- `take_receipts`: a receipts file, by hand or from the carrier's push. A report is purged
  only through `Device.mark_received`, which verifies the receipt under the office key the
  report's own author attested — exactly as after a push; a refusal closes a report only
  through `Device.mark_failed` on the office's signed refusal. A carried envelope is done
  when its receipt (or signed refusal) verifies under this phone's pinned office key; the
  answer is kept so the carrier can take it back to the village (`receipts_file`).
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass, field

from core.errors import CourierWrongOffice, EnvelopeError, TrustError
from fieldapp import reports, trust
from fieldapp.store import transaction
from fieldapp.users import today
from sync import courier
from sync import envelope as env
from sync import receipt as rc
from sync import statement
from sync.ports import OutboxItem, is_refusal

log = logging.getLogger("jaga.courier")


def _office_key_id(dev) -> str:
    """The key id of the office every user of this phone attested (never a plaintext row)."""
    office = trust.attested_office(dev.db)
    if office is None:
        raise reports.NotEnrolled("this phone has no office its users attested: enroll first")
    return courier.office_key_id(bytes.fromhex(office["office_x25519"]))


def _carried_ids(dev) -> set[str]:
    return {eid for (eid,) in dev.db.conn.execute("SELECT envelope_id FROM carried WHERE state='waiting'")}


def carried_items(dev) -> list[OutboxItem]:
    """What this phone carries for others and the office has not answered yet."""
    out = []
    for eid, data in dev.db.conn.execute("SELECT envelope_id, envelope FROM carried WHERE state='waiting' "
                                         "ORDER BY rowid").fetchall():
        blobs = dict(dev.db.conn.execute("SELECT att_id, blob FROM carried_blobs WHERE envelope_id=?", (eid,)))
        out.append(OutboxItem(eid, bytes(data), {a: bytes(b) for a, b in blobs.items()}))
    return out


def export(dev, *, pad: bool = True) -> tuple[bytes, int]:
    """(the courier file, how many reports it carries): every waiting report of this phone and
    every envelope it carries for others, oldest first, as many as one file holds (the rest
    go in the next one). Marks this phone's reports in it as left by courier today."""
    key_id = _office_key_id(dev)
    items = courier.fitting(dev.pending(limit=100_000) + carried_items(dev))
    own = [i for i in items if i.envelope_id not in _carried_ids(dev)]
    data = courier.pack(items, key_id, pad=pad)
    with transaction(dev.db) as conn:
        conn.executemany("UPDATE reports SET courier_day=? WHERE envelope_id=? AND status=?",
                         [(today(), i.envelope_id, reports.SEALED) for i in own])
    return data, len(items)


@dataclass
class Carried:
    taken: int = 0                  # new envelopes now in this phone's outbox
    already: int = 0                # already here (its own, or carried before)
    not_for_office: int = 0         # not sealed to this phone's office: left out
    photos_missing: int = 0         # photos whose bytes were not whole in the file
    damaged: int = 0
    truncated: bool = False


def carry(dev, data: bytes) -> Carried:
    """Take a courier file into this phone's outbox (to be pushed with its own). Raises
    CourierError / CourierWrongOffice when the file is not one for this phone's office."""
    key_id = _office_key_id(dev)
    got = courier.unpack(data)
    if got.office_key_id != key_id:
        raise CourierWrongOffice("this courier file is for another office than this phone's")
    out = Carried(damaged=got.damaged, truncated=got.truncated)
    with transaction(dev.db) as conn:
        for item in got.envelopes:
            header = courier.header_or_none(item)
            if header is None:
                out.damaged += 1
                continue
            if key_id not in header.recipients:
                out.not_for_office += 1
                continue
            eid = header.envelope_id
            if conn.execute("SELECT 1 FROM reports WHERE envelope_id=? UNION ALL "
                            "SELECT 1 FROM carried WHERE envelope_id=?", (eid, eid)).fetchone():
                out.already += 1
                continue
            conn.execute("INSERT INTO carried(envelope_id, envelope, state, carried_day) VALUES (?,?,?,?)",
                         (eid, item, "waiting", today()))
            blobs = got.blobs_for(item)
            out.photos_missing += len(header.attachments) - len(blobs)
            conn.executemany("INSERT INTO carried_blobs(envelope_id, att_id, blob) VALUES (?,?,?)",
                             [(eid, a, b) for a, b in blobs.items()])
            out.taken += 1
    return out


@dataclass
class Settled:
    purged: int = 0                 # this phone's reports the office holds: forgotten, receipt kept
    refused: int = 0                # this phone's reports the office refused for good (signed)
    delivered: int = 0              # envelopes carried for others, now answered by the office
    incomplete: int = 0             # the office does not hold every photo yet: kept, sent again
    not_trusted: int = 0            # a receipt or refusal that did not verify: nothing changed
    unknown: int = 0                # about nothing this phone holds (already purged, or not ours)
    codes: dict = field(default_factory=dict)


def take_receipts(dev, data: bytes | dict) -> Settled:
    """Apply a receipts file. Nothing is purged or closed on anything short of a receipt or
    refusal that verifies (see the module docstring); everything else stays waiting."""
    office_id, results = courier.unpack_receipts(data)
    if office_id != _office_key_id(dev):
        raise CourierWrongOffice("this receipts file comes from another office than this phone's")
    office_pub = env.load_public_ed25519(bytes(dev.office_sign_public))
    out = Settled()
    with dev.batch():
        for res in results:
            eid = res["envelope_id"]
            own = dev.db.conn.execute("SELECT envelope FROM reports WHERE envelope_id=? AND status=?",
                                      (eid, reports.SEALED)).fetchone()
            if own is not None and own[0] is not None:
                _settle_own(dev, office_pub, eid, bytes(own[0]), res, out)
                continue
            mine = dev.db.conn.execute("SELECT envelope FROM carried WHERE envelope_id=? AND state='waiting'",
                                       (eid,)).fetchone()
            if mine is not None:
                _settle_carried(dev, office_pub, eid, bytes(mine[0]), res, out)
            else:
                out.unknown += 1
    return out


def _settle_own(dev, office_pub, eid: str, data: bytes, res: dict, out: Settled) -> None:
    code = str(res.get("code") or "")
    if res.get("status") == "rejected":
        if code and is_refusal(code) and isinstance(res.get("refusal"), dict) \
                and dev.mark_failed(eid, code, str(res.get("reason") or ""), refusal=res["refusal"],
                                    purpose=statement.COURIER):
            out.refused += 1
            out.codes[code] = out.codes.get(code, 0) + 1
        else:
            out.not_trusted += 1
        return
    try:
        receipt = rc.verify(res.get("receipt") or {}, office_pub, data)
        if receipt.envelope_id != eid:
            raise EnvelopeError("receipt names another envelope")
    except EnvelopeError as exc:
        log.warning("courier receipt for %s not believed: %s", eid, exc.message)
        out.not_trusted += 1
        return
    if not receipt.complete:
        out.incomplete += 1
        return
    if dev.mark_received(eid, receipt, res["receipt"]):     # verified again under the author's office
        out.purged += 1
    else:
        out.not_trusted += 1


def _settle_carried(dev, office_pub, eid: str, data: bytes, res: dict, out: Settled) -> None:
    try:
        if res.get("status") == "rejected":
            code = str(res.get("code") or "")
            if not is_refusal(code):
                raise TrustError("not a final refusal")
            statement.check_refusal(res.get("refusal"), office_pub, code=code, device_id=env.peek(data).device_id,
                                    purpose=statement.COURIER, nonce=None, envelope=data, envelope_id=eid)
            state = "refused"
        else:
            blobs = {a: hashlib.sha256(b).hexdigest() for a, b in dev.db.conn.execute(
                "SELECT att_id, blob FROM carried_blobs WHERE envelope_id=?", (eid,))}
            receipt = rc.verify(res.get("receipt") or {}, office_pub, data, blobs)
            if not receipt.complete:
                out.incomplete += 1
                return
            state = "delivered"
    except (EnvelopeError, TrustError) as exc:
        log.warning("courier answer for carried %s not believed: %s", eid, exc.message)
        out.not_trusted += 1
        return
    keep = {k: res[k] for k in ("envelope_id", "status", "receipt", "code", "reason", "refusal") if k in res}
    with transaction(dev.db) as conn:
        conn.execute("UPDATE carried SET state=?, answer=?, envelope=X'' WHERE envelope_id=?",
                     (state, json.dumps(keep), eid))
        conn.execute("DELETE FROM carried_blobs WHERE envelope_id=?", (eid,))
    out.delivered += 1


def receipts_file(dev) -> tuple[bytes, int]:
    """(a receipts file, how many answers) of everything this phone carried and the office
    answered: to take back to the phones that wrote the reports."""
    answers = [json.loads(a) for (a,) in dev.db.conn.execute(
        "SELECT answer FROM carried WHERE state IN ('delivered','refused') ORDER BY rowid")]
    return courier.pack_receipts(answers, _office_key_id(dev)), len(answers)


def answered_count(dev) -> int:
    """How many envelopes this phone carried have the office's answer, to take back."""
    return dev.db.conn.execute("SELECT COUNT(*) FROM carried WHERE state IN ('delivered','refused')").fetchone()[0]


def left_by_courier(dev, owner: str | None = None) -> list[dict]:
    """This phone's reports that left in a courier file and wait for their receipt, with the day."""
    sql = ("SELECT id, form_id, form_version, created_day, courier_day FROM reports "
           "WHERE status=? AND courier_day IS NOT NULL" + (" AND owner=?" if owner else "") + " ORDER BY rowid DESC")
    args = (reports.SEALED, owner) if owner else (reports.SEALED,)
    return [dict(zip(("id", "form_id", "form_version", "created_day", "courier_day"), r))
            for r in dev.db.conn.execute(sql, args)]


def summary(result) -> dict:
    return asdict(result)
