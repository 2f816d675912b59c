"""conversation.thread keyed by report: a volunteer with several reports gets feedback on
each; the thread of one report fetches from the database only that report's feedback items,
never the author's others (observed on the rows the real connection returned), on SQLite
and on a real PostgreSQL — the database narrows by the report id as text (no JSON
functions, which fail on a malformed stored row) and thread() keeps the exact matches."""
from __future__ import annotations

import pytest

from office import conversation, db, feedback
from office import keys as office_keys
from tests.support import enroll, village


class Watched:
    """A real SQLAlchemy connection that keeps a copy of every row it returned from
    inbox_items, so the test sees what thread() read, not only what it kept."""

    def __init__(self, conn):
        self.conn, self.inbox_rows = conn, []

    def __getattr__(self, name):
        return getattr(self.conn, name)

    def execute(self, stmt, *args, **kw):
        frozen = self.conn.execute(stmt, *args, **kw).freeze()
        if "inbox_items" in str(stmt):
            self.inbox_rows.extend(frozen.data)
        return frozen()


@pytest.fixture(params=["sqlite", "postgresql"])
def office(request, office_factory):
    url = (request.getfixturevalue("postgres_server")("office_conversation")
           if request.param == "postgresql" else None)
    return office_factory("conv-" + request.param, db_url=url)


def test_a_thread_reads_only_its_own_reports_feedback(office):
    village(office)
    siti, client = enroll(office, "Entikong", "volunteer", "Siti")
    mine, other, third = siti.report(), siti.report(), siti.report()
    assert all(r["status"] == "accepted" for r in client.push([mine.envelope, other.envelope, third.envelope]))
    keys = office_keys.load_or_create(office.data_dir)
    eng = db.make_engine(office.db_url or db.sqlite_url(office.data_dir))
    try:
        with eng.begin() as c:
            asked = feedback.send_feedback(c, mine.envelope_id, "Siapa nama calonya?", keys=keys, kind="needs_info")
            elsewhere = [feedback.send_feedback(c, rid, f"Pesan {i} untuk laporan lain", keys=keys)
                         for i, rid in enumerate([other.envelope_id, third.envelope_id] * 3)]
            closed = feedback.send_feedback(c, mine.envelope_id, "Kasus ditutup", keys=keys, kind="closed")
        with eng.connect() as c:
            watched = Watched(c)
            got = conversation.thread(watched, keys, mine.envelope_id)
            assert [m["message"] for m in conversation.thread(c, keys, other.envelope_id)] == [
                f"Pesan {i} untuk laporan lain" for i in (0, 2, 4)]
    finally:
        eng.dispose()
    assert [(m["id"], m["message"], m["kind"], m["ok"]) for m in got] == [
        (asked, "Siapa nama calonya?", "needs_info", True), (closed, "Kasus ditutup", "closed", True)]
    fetched = {row[0] for row in watched.inbox_rows}
    assert fetched == {asked, closed}                  # read only this report's items ...
    assert not fetched & set(elsewhere)                # ... none of her six others
