"""Courier import: a file of sealed envelopes carried by hand goes through the same door as
the push, and the office's signed receipts go back in a file.

The courier — a village head going to town, a boat, a second phone — is not trusted with
anything: every envelope is checked as the push checks it (office.ingest.store_batch →
ingest_batch: the author's signature, an enrolled and unrevoked author, sealed on the
author's own phone, the office as a recipient, the form's admission rules), each under the
device that sealed it (the envelope's own device id, which must be the author's enrolled
phone), so the office credits it to its real author whoever carried it, and a receipt or a
refusal is signed as the push would have signed it — for the author's phone — but naming
the courier door (`purpose` "courier", no nonce: the author's phone sent no request to
bind; sync/statement.py), so it closes a report only through the courier path.
Photos go through the resumable upload (office.ingest.attachments), checked against the
signed manifest. A replay is a duplicate with the original receipt; an envelope already
pushed over the network is the same duplicate.

What is not whole — a damaged record, a cut-off file, a photo whose pieces did not all
arrive, an envelope the office refuses — is counted and named, never guessed at: those
reports stay on the phone (it purges only on a receipt it verifies) and leave with the
next courier or the next sync.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

from sqlalchemy import Engine

from core.errors import ChecksumMismatch, CourierWrongOffice, JagaError
from office import ingest
from office.dashboard import audit
from office.ingest.attachments import attachment_status, put_stream
from office.keys import OfficeKeys
from sync import courier
from sync import envelope as env

log = logging.getLogger("jaga.office.courier")
MAX_BATCH = 500                     # as the push (office/routes/envelopes.py)


@dataclass
class Imported:
    """What one courier file brought: results per envelope (as the push's), and what was not whole."""
    results: list[dict]
    receipts: bytes                                   # the receipts file to carry back
    damaged: int = 0                                  # records of the file that were not whole
    truncated: bool = False
    unreadable: int = 0                               # records that are not an envelope at all
    photos_missing: list[str] = field(default_factory=list)   # "envelope/att" not (fully) in the file

    def counts(self) -> dict:
        refused: dict[str, int] = {}
        for r in self.results:
            if r["status"] == "rejected":
                refused[r["code"]] = refused.get(r["code"], 0) + 1
        return {"envelopes": len(self.results),
                "accepted": sum(r["status"] == "accepted" for r in self.results),
                "duplicate": sum(r["status"] == "duplicate" for r in self.results),
                "refused": refused, "damaged_records": self.damaged, "truncated": self.truncated,
                "unreadable": self.unreadable, "photos_missing": len(self.photos_missing)}

    @property
    def whole(self) -> bool:
        """True when nothing in the file was lost on the way (refusals are answers, not losses)."""
        return not (self.damaged or self.truncated or self.unreadable or self.photos_missing)

    def not_whole(self) -> str:
        """What was not whole, in one sentence for the error line and the page."""
        bits = []
        if self.truncated:
            bits.append("the file was cut off")
        if self.damaged:
            bits.append(f"{self.damaged} damaged record(s) skipped")
        if self.unreadable:
            bits.append(f"{self.unreadable} unreadable envelope(s)")
        if self.photos_missing:
            bits.append(f"{len(self.photos_missing)} photo(s) incomplete")
        return "; ".join(bits) + ": those reports stay on the phone until the next courier or sync"


def import_file(engine: Engine, keys: OfficeKeys, data: bytes, *, staff: dict | None = None,
                username: str | None = None, ip: str | None = None) -> Imported:
    """Import one courier file; audited as `courier_import` (who, counts — no content).
    Raises CourierError (not a courier file) or CourierWrongOffice before anything is stored."""
    unpacked = courier.unpack(data)
    if unpacked.office_key_id != keys.key_id:
        raise CourierWrongOffice("this courier file was made for another office: nothing was imported")
    by_device: dict[str, list[tuple[int, bytes]]] = {}
    unreadable = 0
    for i, item in enumerate(unpacked.envelopes):
        header = courier.header_or_none(item)
        if header is None:
            unreadable += 1
            continue
        by_device.setdefault(header.device_id, []).append((i, item))
    placed: dict[int, tuple[dict, str, bytes]] = {}
    for device_id, items in by_device.items():
        for k in range(0, len(items), MAX_BATCH):
            part = items[k:k + MAX_BATCH]
            for (i, item), res in zip(part, ingest.store_batch(engine, keys, [d for _, d in part], device_id,
                                                                      purpose="courier")):
                placed[i] = (res, device_id, item)
    missing: list[str] = []
    results = []
    uploaded: set[tuple[str, str]] = set()
    for i in sorted(placed):
        res, device_id, item = placed[i]
        if res["status"] in ("accepted", "duplicate"):
            res = _photos(engine, keys, unpacked, res, device_id, item, missing, uploaded)
        results.append(res)
    out = Imported(results, courier.pack_receipts(results, keys.key_id), unpacked.damaged,
                   unpacked.truncated, unreadable, missing)
    with engine.begin() as conn:
        audit.record(conn, "courier_import", staff=staff, username=username, ip=ip, detail=out.counts())
    log.info("courier file: %s", out.counts())
    return out


def _photos(engine: Engine, keys: OfficeKeys, unpacked: courier.Unpacked, res: dict, device_id: str,
            item: bytes, missing: list[str], done: set[tuple[str, str]]) -> dict:
    """Upload each photo the office does not hold yet, from where the office stands (as a
    resumed push would) — but only one whose whole bytes are in the file and match the
    author's signed manifest, and each once per file (`done`). Whoever made the file may be
    another phone: junk it adds for someone's photo is never written, so it can neither
    stall her upload nor, by repeating her envelope, make the office hash junk many times.
    Then the receipt as it stands now."""
    header = env.peek(item)
    if not header.attachments:
        return res
    todo = [a for a in header.attachments if (header.envelope_id, a.att_id) not in done]
    done.update((header.envelope_id, a.att_id) for a in todo)
    for a in todo:
        with engine.begin() as conn:
            status = attachment_status(conn, header.envelope_id, a.att_id, device_id)
        if status["complete"]:
            continue
        blob = unpacked.blob(header.envelope_id, a.att_id, limit=a.size)
        whole = len(blob) == a.size and hashlib.sha256(blob).hexdigest() == a.sha256
        if not whole or not _upload(engine, keys, header.envelope_id, a.att_id, device_id, blob,
                                    status["received"]):
            missing.append(f"{header.envelope_id}/{a.att_id}")
    with engine.begin() as conn:
        return {**res, "receipt": ingest.receipt_for(conn, header.envelope_id, device_id, keys)}


def _upload(engine: Engine, keys: OfficeKeys, envelope_id: str, att_id: str, device_id: str,
            blob: bytes, received: int) -> bool:
    """The signed blob from `received` on; if what the office held before does not add up to
    the signed checksum (it was discarded), once more from the start. True when complete."""
    for start in (received, 0):
        try:
            return bool(put_stream(engine, envelope_id, att_id, start, iter([blob[start:]]), len(blob) - start,
                                   device_id=device_id, keys=keys).get("complete"))
        except JagaError as exc:
            log.info("courier photo %s/%s: %s", envelope_id, att_id, exc.code)
            if not isinstance(exc, ChecksumMismatch) or start == 0:
                return False
    return False
