"""A village head's signed verdict on a report (itself a sealed envelope)."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Connection, and_, insert, select

from core.errors import BadRequest, Forbidden, NotFound
from office import clock
from office.keys import OfficeKeys
from office.schema import envelope_recipients, envelopes, reviews

from office.feedback import send_feedback

from .common import REVIEW_FORM, VERDICTS, _phone_ms, admit_small, make_receipt


NEEDS_INFO_MESSAGE = ("Kepala desa meminta info tambahan tentang laporan ini. Balas di sini, atau tunggu "
                      "petugas menghubungi Anda.")
# His question, verbatim: a generic line left her guessing what he wanted to know.
NEEDS_INFO_QUESTION = "Kepala desa meminta info tambahan: \u201c{question}\u201d Balas di sini."
MAX_NOTE = 2000        # characters, as a reply; the head's phone caps its box at the same length
# As for replies (ingest/replies.py): the longest honest verdict seals well under this, and
# without it a note (or other payload fields) could fill every stored verdict up to the
# 256 KB envelope bound.
MAX_REVIEW_BYTES = 16 * 1024


def ingest_review(conn: Connection, data: bytes, *, device_id: str, keys: OfficeKeys,
                  now: datetime | None = None) -> dict:
    """A head's signed verdict. Raises JagaError subclasses (the route maps them)."""
    a = admit_small(conn, data, form_id=REVIEW_FORM, noun="review", table=reviews, max_bytes=MAX_REVIEW_BYTES,
                    device_id=device_id, keys=keys)
    if a.duplicate is not None:
        return a.duplicate
    header, sha, author, opened = a.header, a.sha, a.author, a.opened
    if author["role"] != "head":
        raise Forbidden("only a village head can review reports")
    p = opened.payload
    report_id, verdict, note = p.get("envelope_id"), p.get("verdict"), p.get("note", "")
    if verdict not in VERDICTS or not isinstance(report_id, str) or not isinstance(note, str):
        raise BadRequest(f"review payload needs envelope_id, verdict in {VERDICTS}, note")
    if len(note) > MAX_NOTE:
        raise BadRequest(f"the verdict's note is longer than {MAX_NOTE} characters")
    report = conn.execute(select(envelopes.c.village_id, envelopes.c.rahasia)
                          .where(envelopes.c.id == report_id)).first()
    if report is None:
        raise NotFound("no such report")
    addressed = conn.execute(select(envelope_recipients.c.key_id).where(and_(
        envelope_recipients.c.envelope_id == report_id,
        envelope_recipients.c.key_id == author["key_id"]))).first()
    if report.village_id != author["village_id"] or report.rahasia or addressed is None:
        raise Forbidden("this head may not review that report")
    now = now or clock.now()
    received_at = clock.iso(now)
    receipt = make_receipt(keys, header.envelope_id, sha, received_at, {}, True)
    conn.execute(insert(reviews).values(id=header.envelope_id, report_id=report_id,
                                        head_id=author["id"], verdict=verdict,
                                        created_ms=_phone_ms(header), received_at=received_at,
                                        sha256=sha, data=data, receipt=receipt))
    if verdict == "needs_more_info":
        # The head's question reaches the reporter in his own words (his phone says it will),
        # sealed and signed by the office like any office message; she answers it in place.
        question = note.strip()
        send_feedback(conn, report_id, NEEDS_INFO_QUESTION.format(question=question) if question
                      else NEEDS_INFO_MESSAGE, keys=keys, kind="needs_info")
    return {"envelope_id": header.envelope_id, "status": "accepted", "receipt": json.loads(receipt)}
