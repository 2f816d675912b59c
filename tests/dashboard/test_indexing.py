"""Index once, after ingest; dashboard reads never run under the write lock.

Before issue 12 the dashboard built its index lazily inside GETs, under BEGIN IMMEDIATE,
up to 1,000 envelopes per request, and each report was opened twice with two different
category rules. These tests run the real office app under real uvicorn in this process
(so the engine can be watched) and push through the real HTTP API.
"""
from __future__ import annotations

import os
import threading

import pytest
import requests
import uvicorn
from sqlalchemy import event, func, select

from core.net import free_port
from jaga_desa.testing.dashboard import sign_in
from jaga_desa.testing.derive import drain
from jaga_desa.testing.waits import wait_until
from sync import envelope as env
from office import db
from office.app import create_app
from office.dashboard import derived, indexer, search_index
from office.dashboard.schema import dash_reports
from tests.conftest import TEST_OFFICE_KEY, OfficeServer
from tests.support import enroll, valid_answers

from .conftest import PASSWORD


class InProcessOffice(OfficeServer):
    """The office app under a real uvicorn on loopback, in a thread of this process."""

    def start(self, timeout: float = 30.0) -> "InProcessOffice":
        os.environ.setdefault("JAGA_OFFICE_KEY", TEST_OFFICE_KEY)
        # no derive thread: the tests drain the derive queue themselves, when they choose
        self.app = create_app(self.data_dir, None, passphrase=os.environ["JAGA_OFFICE_KEY"], derive=False)
        self.engine = self.app.state.office.engine
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", access_log=False))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        wait_until(lambda: self.server.started, timeout, "uvicorn to start")
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    server = InProcessOffice(tmp_path_factory.mktemp("idx") / "office", port=free_port()).start()
    server.admin(["add-village", "--name", "Entikong", "--region", "Sanggau"])
    os.environ["JAGA_PASSWORD"] = PASSWORD
    server.admin(["add-staff", "--username", "analis", "--role", "admin"])
    try:
        yield server
    finally:
        server.stop()


def login(office) -> requests.Session:
    return sign_in(office.url, "analis", PASSWORD)


PROBE = ("dermaga", "nomor", "sawit", "malaysia", "udin", "facebook")     # words the batch's reports hold


def count(office, table, **where) -> int:
    with db.reading(office.engine) as conn:
        q = select(func.count()).select_from(table)
        for k, v in where.items():
            q = q.where(table.c[k] == v)
        return conn.execute(q).scalar_one()


def test_report_is_indexed_at_ingest_with_one_rule(office):
    vol, client = enroll(office, "Entikong", "volunteer", "Siti")
    s = vol.report(answers={**valid_answers(), "kategori": "penampungan"})
    assert client.push([s.envelope])[0]["status"] == "accepted"
    # no dashboard page has been opened: the filter row exists at once, the search terms
    # once the derive queue is drained
    drain(office.engine, office.app.state.office.keys)
    with db.reading(office.engine) as conn:
        proj = conn.execute(select(dash_reports).where(dash_reports.c.envelope_id == s.envelope_id)).mappings().one()
        stored = conn.execute(select(indexer.envelopes.c.category)
                              .where(indexer.envelopes.c.id == s.envelope_id)).scalar_one()
    assert proj["opened"] and proj["category"] == "penampungan" == stored   # one rule, both columns
    with db.reading(office.engine) as conn:
        assert search_index.indexed(conn, [s.envelope_id]) == {s.envelope_id}


def test_author_flags_cannot_override_the_category(office):
    vol, client = enroll(office, "Entikong", "volunteer", "Flag")
    payload = {"answers": valid_answers(), "flags": {"category": "<script>"}, "category": "x", "rahasia": False}
    s = env.seal(payload, form_id="laporan_kecurigaan", form_version=1, author_id=vol.id,
                 device_id=vol.device_id, signing_key=vol.ed, recipients=[vol.office_x()])
    assert client.push([s.envelope])[0]["status"] == "accepted"
    with db.reading(office.engine) as conn:
        cat = conn.execute(select(dash_reports.c.category).where(dash_reports.c.envelope_id == s.envelope_id)).scalar()
    assert cat == valid_answers()["kategori"]


def test_indexed_words_per_report_are_capped():
    answers = {f"f{i}": " ".join(f"kata{i}x{j}" for j in range(500)) for i in range(10)}
    got = indexer.search_words(None, answers)
    assert len(got) == indexer.MAX_WORDS
    assert "kata0x0" in got          # first come, first kept


def test_dashboard_get_never_reads_under_the_write_lock(office):
    """Every statement a dashboard GET runs in a writing transaction is an audit append or a
    session touch; pages, lists, maps and exports read in deferred (lock-free) transactions."""
    vol, client = enroll(office, "Entikong", "volunteer", "Rina")
    assert all(r["status"] == "accepted" for r in client.push([vol.report().envelope for _ in range(3)]))
    s = login(office)
    seen: list[tuple[bool, str]] = []

    def watch(conn, _cursor, statement, *_a):
        if not statement.upper().startswith("BEGIN"):
            seen.append((bool(conn.get_execution_options().get(db.READ_ONLY)), " ".join(statement.upper().split())[:60]))
    event.listen(office.engine, "before_cursor_execute", watch)
    try:
        for path in ("/dashboard/", "/dashboard/overview", "/dashboard/export?format=csv",
                     "/dashboard/?q=kerja", "/api/v1/partner/reports"):
            seen.clear()
            r = s.get(office.url + path)
            assert r.status_code == 200, (path, r.text[:300])
            writes = [st for ro, st in seen if not ro]
            assert writes and all(st.startswith(("INSERT INTO DASH_AUDIT", "UPDATE DASH_SESSIONS")) for st in writes), \
                (path, writes)
            assert any(ro for ro, _ in seen), path
    finally:
        event.remove(office.engine, "before_cursor_execute", watch)


def test_a_page_does_not_index_what_ingest_left_unindexed(office):
    """Only the start-up backfill indexes older rows, never a GET (it used to, 1,000 at a time)."""
    vol, client = enroll(office, "Entikong", "volunteer", "Lama")
    s = vol.report()
    assert client.push([s.envelope])[0]["status"] == "accepted"
    with office.engine.begin() as conn:        # as if stored by code older than 0006
        search_index.forget(conn, [s.envelope_id])
        conn.execute(dash_reports.delete().where(dash_reports.c.envelope_id == s.envelope_id))
    web = login(office)
    assert web.get(office.url + "/dashboard/").status_code == 200
    detail = web.get(office.url + f"/dashboard/reports/{s.envelope_id}")
    assert detail.status_code == 200
    assert count(office, dash_reports, envelope_id=s.envelope_id) == 0
    assert indexer.backfill(office.engine, office.app.state.office.keys) >= 1
    assert count(office, dash_reports, envelope_id=s.envelope_id) == 1


def test_a_push_batch_is_indexed_with_one_insert_per_table(office):
    """The push writes a whole batch's filter rows with one executemany, the derive worker
    its search terms with one more, and both store exactly what the one-report path
    (`index_one`) stores for the same envelopes."""
    vol, client = enroll(office, "Entikong", "volunteer", "Batch")
    sealed = [vol.report(answers={**valid_answers(), "tempat": f"Dermaga nomor {i}"}) for i in range(5)]
    inserts: list[tuple[str, int]] = []
    drain(office.engine, office.app.state.office.keys)      # what earlier tests pushed

    def watch(_conn, _cursor, statement, parameters, _context, executemany):
        st = " ".join(statement.upper().split()).replace("INSERT OR IGNORE INTO", "INSERT INTO")
        if st.startswith(("INSERT INTO DASH_REPORTS", "INSERT INTO DASH_SEARCH")):
            inserts.append((st.split()[2], len(parameters) if executemany else 1))
    event.listen(office.engine, "before_cursor_execute", watch)
    keys = office.app.state.office.keys
    try:
        assert all(r["status"] == "accepted" for r in client.push([s.envelope for s in sealed]))
        assert [t for t, _ in inserts] == ["DASH_REPORTS"], inserts      # the push: the filter row only
        drain(office.engine, keys)
    finally:
        event.remove(office.engine, "before_cursor_execute", watch)
    ids = [s.envelope_id for s in sealed]
    assert [t for t, _ in inserts] == ["DASH_REPORTS", "DASH_SEARCH", "DASH_SEARCH_FTS"], inserts

    def stored() -> tuple[list[dict], set]:
        with db.reading(office.engine) as conn:
            rows = [dict(r) for r in conn.execute(select(dash_reports).where(dash_reports.c.envelope_id.in_(ids))
                                                  .order_by(dash_reports.c.envelope_id)).mappings()]
            # the index gives no tokens back (contentless): ask it for the words the reports hold
            terms = {(e, w) for w in PROBE for e in search_index.holding(conn, derived.term_hash(keys, w)) & set(ids)}
        for r in rows:      # the point is sealed with a fresh nonce: compare what it opens to
            r["geo"] = derived.open_geo(keys, r["envelope_id"], r["geo"])
            r.pop("indexed_at")
            assert r.pop("search_doc") is not None or office.engine.dialect.name == "postgresql"   # new each indexing
        return rows, terms

    batch_rows, batch_terms = stored()
    assert len(batch_rows) == 5 and batch_rows[0]["geo"] == (4.13681, 117.66642)
    assert {e for e, _ in batch_terms} == set(ids)
    assert [n for _, n in inserts] == [5, 5, 5]      # every row of the batch, at once
    with office.engine.begin() as conn:          # the same envelopes, one by one
        search_index.forget(conn, ids)
        conn.execute(dash_reports.delete().where(dash_reports.c.envelope_id.in_(ids)))
        for row in conn.execute(select(indexer.envelopes).where(indexer.envelopes.c.id.in_(ids))).all():
            indexer.index_one(conn, keys, row)
    assert stored() == (batch_rows, batch_terms)

