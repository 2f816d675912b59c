"""What the author (and the head) can still see about reports already sent.

A sealed report is ciphertext nobody on the phone can open, so the sent list would be rows
of "Laporan Kecurigaan · 26 November 2026" that all look alike. At sealing, a short summary
(category, place, the first words) is kept under the author's own data key — like her
drafts, unreadable to anyone else who picks up the phone. The head's own verdict on a
report he reviewed is read back from his encrypted note the same way.
"""
from __future__ import annotations

import datetime as dt

import sqlite_utils

from fieldapp.store import scrub, scrub_pending, transaction
from fieldapp.users import Session

FIRST_WORDS = 60
SUMMARY_DAYS = ("7", "30", "90", "forever")     # the setting "keep summaries of sent reports for N days"
DEFAULT_SUMMARY_DAYS = "30"
TEXT_FIELDS = ("apa_dilihat", "apa_terjadi", "catatan", "agen")
# the suspicion form's "tempat"; PMI v3 asks where the departure was seen, v1–v2 only where
# it left from
PLACE_FIELDS = ("tempat", "tempat_terlihat", "tempat_berangkat")
GPS_FIELDS = ("lokasi", "lokasi_berangkat")
CATEGORY_FIELDS = ("kategori", "jalur", "urgensi")


def summary(form_id: str, answers: dict) -> dict:
    """The few answers that tell reports apart; codes, not labels (shown in the reader's language)."""
    out: dict = {"form_id": form_id}
    for key, names in (("category", CATEGORY_FIELDS), ("place", PLACE_FIELDS), ("words", TEXT_FIELDS)):
        for n in names:
            v = answers.get(n)
            if isinstance(v, str) and v.strip():
                out[key] = {"field": n, "value": v.strip()[:FIRST_WORDS]} if key == "category" else v.strip()[:FIRST_WORDS]
                break
    if any(isinstance(answers.get(n), dict) for n in GPS_FIELDS):
        out["gps"] = True
    return out


def save_summary(db: sqlite_utils.Database, session: Session, report_id: str, data: dict) -> None:
    blob = session.cipher.encrypt_json("reports", report_id, "summary", data)
    with transaction(db) as conn:
        conn.execute("UPDATE reports SET summary=? WHERE id=? AND owner=?", (blob, report_id, session.user_id))


def summaries(db: sqlite_utils.Database, session: Session) -> dict[str, dict]:
    """report id -> summary, for this user's reports that have one (unreadable ones are skipped)."""
    out = {}
    for rid, blob in db.conn.execute("SELECT id, summary FROM reports WHERE owner=? AND summary IS NOT NULL",
                                     (session.user_id,)):
        try:
            out[rid] = session.cipher.decrypt_json("reports", rid, "summary", blob)
        except Exception:   # noqa: BLE001 — a damaged row shows as the plain line
            continue
    return out


def my_verdict(db: sqlite_utils.Database, session: Session, item_id: str) -> dict | None:
    """The head's own verdict and note on a review item he answered, or None."""
    row = db.conn.execute("SELECT note FROM inbox WHERE item_id=? AND person_id=? AND state='answered'",
                          (item_id, session.person_id)).fetchone()
    if not row or row[0] is None:
        return None
    try:
        return session.cipher.decrypt_json("inbox", item_id, "note", row[0])
    except Exception:   # noqa: BLE001
        return None


def purge_old(db: sqlite_utils.Database, days: str | None, today: dt.date | None = None) -> int:
    """Forget the summaries of reports sent more than `days` ago, her replies about them and
    the office's messages she has read (the office holds them all; a lost phone should not).
    An office message she has not opened yet stays until she has: it may ask her something.
    Needs no PIN: it only deletes. Returns how many summaries went."""
    if days not in SUMMARY_DAYS:
        days = DEFAULT_SUMMARY_DAYS
    if days == "forever":
        return 0
    cutoff = ((today or dt.date.today()) - dt.timedelta(days=int(days))).isoformat()
    due = db.conn.execute(
        "SELECT EXISTS(SELECT 1 FROM reports WHERE summary IS NOT NULL AND status IN ('received','refused') "
        "AND COALESCE(received_day, updated_day, created_day) < ?) "
        "OR EXISTS(SELECT 1 FROM replies WHERE state!='waiting' AND created_day < ?) "
        "OR EXISTS(SELECT 1 FROM inbox WHERE %s)" % _OLD_OFFICE_MESSAGES,
        (cutoff, cutoff, cutoff)).fetchone()[0]
    if not due:             # the usual case: no write, no lock taken at every unlock and sync
        if scrub_pending(db):
            scrub(db)       # an earlier scrub was kept from finishing by another reader
        return 0
    with transaction(db) as conn:
        gone = conn.execute(
            "UPDATE reports SET summary=NULL WHERE summary IS NOT NULL AND status IN ('received','refused') "
            "AND COALESCE(received_day, updated_day, created_day) < ?", (cutoff,)).rowcount
        gone_replies = conn.execute("DELETE FROM replies WHERE state!='waiting' AND created_day < ?",
                                    (cutoff,)).rowcount
        gone_messages = conn.execute("DELETE FROM inbox WHERE " + _OLD_OFFICE_MESSAGES, (cutoff,)).rowcount
    if gone or gone_replies or gone_messages:
        scrub(db)           # no older page image keeps the forgotten ciphertext (red team)
    return gone


# the office's messages (feedback items, sealed to her) she has read, received before the cutoff
_OLD_OFFICE_MESSAGES = "kind='feedback' AND state IN ('read','answered','closed') AND received_day < ?"
