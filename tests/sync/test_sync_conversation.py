"""A report's conversation over the real wire: the real `Device` (CLI-enrolled phone), a real
office under uvicorn, `sync_round` both ways. The office asks for more information, the
phone shows it verified under the pinned office key, the volunteer replies, the reply
leaves with the normal sync and the office's thread (opened with its key) holds it. Her
readable copy is encrypted under her key and cut to its first words on the receipt; the
summary-retention setting then removes summaries and replies."""
from __future__ import annotations

import datetime as dt
import json

import forms
import pytest
from core.errors import DecryptError, JagaError, NotFound
from fieldapp import history
from office import conversation, db, feedback
from office import keys as office_keys
from sync.runner import sync_round
from tests.sync.test_sync_device import HEAD_PIN, PIN, cli, client_for, phone  # noqa: F401 — fixture

LONG = ("Calonya bernama Pak Udin, datang tiap Selasa dengan mobil hitam ke dermaga, "
        "membawa enam perempuan muda dari desa sebelah.")


def _office_send(server, report_envelope_id: str, message: str, kind: str) -> None:
    eng = db.make_engine(db.sqlite_url(server.data_dir))
    try:
        with eng.begin() as c:
            feedback.send_feedback(c, report_envelope_id, message,
                                   keys=office_keys.load_or_create(server.data_dir), kind=kind)
    finally:
        eng.dispose()


def _office_thread(server, report_envelope_id: str) -> list[dict]:
    eng = db.make_engine(db.sqlite_url(server.data_dir))
    try:
        with eng.connect() as c:
            return conversation.thread(c, office_keys.load_or_create(server.data_dir), report_envelope_id)
    finally:
        eng.dispose()


def _plain(folder, text: str) -> list[str]:
    return [p.name for p in folder.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


def _file(dev, s) -> str:
    form = forms.load("laporan_kecurigaan")
    answers = form.example()
    rid = dev.new_draft(s, form.id, answers)
    dev.finalize(s, rid)
    history.save_summary(dev.db, s, rid, history.summary(form.id, answers))
    return rid


def _asked(server, dev, question: str):
    """Sari files a report, it reaches the office, the office asks `question` (needs_info)
    and her phone syncs it in: (her fresh session, the report id, its envelope id)."""
    s = dev.unlock("Sari", PIN)
    rid = _file(dev, s)
    assert sync_round(dev, client_for(dev)).ok
    eid = dev.db.conn.execute("SELECT envelope_id FROM reports WHERE id=?", (rid,)).fetchone()[0]
    _office_send(server, eid, question, "needs_info")
    assert sync_round(dev, client_for(dev)).ok
    return dev.unlock("Sari", PIN), rid, eid


def test_office_asks_volunteer_replies_office_reads_it(office_server, phone):  # noqa: F811
    dev, data, _ = phone
    s = dev.unlock("Sari", PIN)
    rid = _file(dev, s)
    with pytest.raises(NotFound):                        # the office must hold the report first
        dev.reply(s, rid, "terlalu cepat")
    assert sync_round(dev, client_for(dev)).ok
    eid = dev.db.conn.execute("SELECT envelope_id FROM reports WHERE id=?", (rid,)).fetchone()[0]

    _office_send(office_server, eid, "Siapa nama calonya?", "needs_info")
    assert sync_round(dev, client_for(dev)).ok
    s = dev.unlock("Sari", PIN)
    [asked] = dev.thread(s, rid)
    assert (asked["side"], asked["kind"], asked["message"]) == ("office", "needs_info", "Siapa nama calonya?")

    dev.reply(s, rid, LONG)
    raw = dev.db.conn.execute("SELECT text, summary FROM replies").fetchone()
    assert not _plain(data, "Pak Udin")              # the store, its -wal and -shm: ciphertext only
    head = dev.unlock("Kades", HEAD_PIN)                  # another user of the phone cannot read it
    with pytest.raises(DecryptError):
        head.cipher.decrypt_json("replies", dev.db.conn.execute("SELECT envelope_id FROM replies").fetchone()[0],
                                 "text", bytes(raw[0]))
    s = dev.unlock("Sari", PIN)
    assert [(m["side"], m.get("state")) for m in dev.thread(s, rid)] == [("office", "new"), ("me", "waiting")]

    result = sync_round(dev, client_for(dev))              # the normal sync pushes it
    assert result.ok and result.reviews == 1, result
    office = _office_thread(office_server, eid)
    assert [(m["side"], m["message"]) for m in office] == [("office", "Siapa nama calonya?"), ("author", LONG)]
    assert office[1]["who"] == "Sari"

    # On the receipt the sealed copy leaves and her readable copy keeps only the first words.
    assert dev.pending_reviews() == []
    mine = dev.thread(dev.unlock("Sari", PIN), rid)[-1]
    assert mine["state"] == "sent" and mine["cut"] and LONG.startswith(mine["message"]) and mine["message"] != LONG
    assert dev.db.conn.execute("SELECT text FROM replies").fetchone()[0] is None

    # A second round does not send it again (the office would answer "duplicate" anyway).
    assert sync_round(dev, client_for(dev)).reviews == 0
    assert len(_office_thread(office_server, eid)) == 2


def test_summary_retention_purges_old_summaries_and_replies(office_server, phone):  # noqa: F811
    dev, data, _ = phone
    s = dev.unlock("Sari", PIN)
    old, new = _file(dev, s), _file(dev, s)
    assert sync_round(dev, client_for(dev)).ok
    eid = dev.db.conn.execute("SELECT envelope_id FROM reports WHERE id=?", (old,)).fetchone()[0]
    _office_send(office_server, eid, "Terima kasih", "info")
    assert sync_round(dev, client_for(dev)).ok
    s = dev.unlock("Sari", PIN)
    dev.reply(s, old, "Sama-sama")
    assert sync_round(dev, client_for(dev)).ok
    assert set(history.summaries(dev.db, s)) == {old, new}

    today = dt.date.today()
    assert dev.setting("summary_days", history.DEFAULT_SUMMARY_DAYS) == "30"       # the default
    assert history.purge_old(dev.db, "30", today + dt.timedelta(days=29)) == 0
    assert history.purge_old(dev.db, "forever", today + dt.timedelta(days=3650)) == 0
    assert set(history.summaries(dev.db, s)) == {old, new}

    # Time passes for the first report only (its clear received day, backdated), then a
    # sync round ends: its summary and her reply go, the newer one stays.
    back = (today - dt.timedelta(days=31)).isoformat()
    with dev.db.conn:
        dev.db.conn.execute("UPDATE reports SET received_day=? WHERE id=?", (back, old))
        dev.db.conn.execute("UPDATE replies SET created_day=?", (back,))
    assert sync_round(dev, client_for(dev)).ok
    assert set(history.summaries(dev.db, s)) == {new}
    assert dev.db.conn.execute("SELECT COUNT(*) FROM replies").fetchone()[0] == 0
    assert [m["side"] for m in dev.thread(s, old)] == ["office"]          # its message arrived today

    # The office's messages she has read go past the window too; an unread one waits for her.
    eid_new = dev.db.conn.execute("SELECT envelope_id FROM reports WHERE id=?", (new,)).fetchone()[0]
    _office_send(office_server, eid_new, "Apakah ada anak di kapal itu?", "needs_info")
    assert sync_round(dev, client_for(dev)).ok
    s = dev.unlock("Sari", PIN)
    [read] = dev.thread(s, old)
    dev.mark_read(read["item_id"])
    with dev.db.conn:
        dev.db.conn.execute("UPDATE inbox SET received_day=? WHERE kind='feedback'", (back,))
    dev.purge_old_summaries()
    assert dev.thread(s, old) == []
    assert [m["message"] for m in dev.thread(s, new)] == ["Apakah ada anak di kapal itu?"]
    dev.mark_read(dev.thread(s, new)[0]["item_id"])
    dev.purge_old_summaries()
    assert dev.thread(s, new) == []

    # A shorter setting applies at once, and at every unlock.
    dev.set_setting("summary_days", "7")
    with dev.db.conn:
        dev.db.conn.execute("UPDATE reports SET received_day=? WHERE id=?",
                            ((today - dt.timedelta(days=8)).isoformat(), new))
    dev.unlock("Sari", PIN)
    assert history.summaries(dev.db, s) == {}
    with pytest.raises(JagaError):
        dev.set_setting("summary_days", "3")


def test_reply_and_thread_without_a_screen(office_server, phone):  # noqa: F811
    """The same conversation through the real CLI (`device reply`, `device thread`, `device sync`);
    a reply on a report the office has not received is refused with a typed error."""
    dev, data, _ = phone
    rid = _file(dev, dev.unlock("Sari", PIN))
    early = cli(data, "reply", "--user", "Sari", "--report", rid, "--message", "halo", pin=PIN, check=False)
    assert early.returncode != 0 and early.stderr.startswith("error [not_found]")
    cli(data, "sync")
    eid = dev.db.conn.execute("SELECT envelope_id FROM reports WHERE id=?", (rid,)).fetchone()[0]
    _office_send(office_server, eid, "Kapan kejadiannya?", "needs_info")
    cli(data, "sync")
    cli(data, "reply", "--user", "Sari", "--report", rid, "--message", "Selasa malam", pin=PIN)
    cli(data, "sync")
    got = [(m["side"], m.get("message")) for m in
           json.loads(cli(data, "--json", "thread", "--user", "Sari", "--report", rid, pin=PIN).stdout)]
    assert got == [("office", "Kapan kejadiannya?"), ("me", "Selasa malam")]
    assert [m["message"] for m in _office_thread(office_server, eid)] == ["Kapan kejadiannya?", "Selasa malam"]
