"""The overview's counts for a search (charts and map) are exactly the plain query's: the
reports holding the words, counted from their dashboard rows, under the staff member's grants
— on SQLite (each form a search can take there: set, walk, probe) and on PostgreSQL.

Reports are real `laporan_kecurigaan` answers written as the office writes them: the filter
row as the push writes it (filter_row.write_batch), the search terms by the search consumer
(derive after the receipt). One searched word is only inside the repeat group `terlibat` (a
person's name), never at the top level. Some reports are indexed again (new documents, out of
time order) and some have their filter row written again after their words were indexed,
so their copy of the search document (dash_reports.search_doc, search4_0001) is unknown and
must be looked up. "Plain" is worked out here in Python from what each report was given,
never through the search index; the grants are checked as the attacker would look: a grant
without rahasia never counts a rahasia report, a region's staff never one of another region.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, insert, select, text

from forms import load as load_form
from jaga_desa.testing import archive
from office import clock
from office.dashboard import queries, search_index
from office.dashboard.schema import dash_reports
from office.derive.consumers import search
from office.derive.registry import Stored
from office.schema import envelopes, villages
from office.store import filter_row
from tests.office.test_search_overview import filled

REPORTS, VILLAGES = 150, 6
CHARTS = ("week", "village_id", "category", "route")
STAFF = {
    "admin": {"role": "admin", "region": None},
    "region": {"role": "intel", "region": "Sebatik"},
    "partner": {"role": "admin", "region": None, "scope": {"regions": ["Nunukan"], "rahasia": False}},
    "one_region_no_rahasia": {"role": "intel", "region": "Sebatik",
                              "scope": {"regions": ["Sebatik"], "rahasia": False}},
}
REGION = {v: "Sebatik" if v % 2 == 0 else "Nunukan" for v in range(1, VILLAGES + 1)}
CATEGORIES = ("rekrutmen", "penyelundupan", "lainnya")


def report(i: int) -> tuple[str, dict]:
    """Report i: 'zulkarnaen' only in its repeat group (i % 3 == 0), 'sawit' at the top level
    (i % 4 != 0), 'udin' in its repeat group (every report)."""
    a = load_form("laporan_kecurigaan").example()
    a["kategori"] = CATEGORIES[i % 3]
    a["jalur"] = ("laut", "darat")[i % 2]
    if i % 4 == 0:
        a["apa_dilihat"] = "Orang dari luar desa menawarkan kerja di Malaysia tanpa paspor."
    a["terlibat"] = [a["terlibat"][0], {"peran": "tekong", "kapal": "KM Sinar Jaya",
                                         "nama": "Zulkarnaen" if i % 3 == 0 else "Hasan"}]
    return f"00000000-0000-4000-8000-{i:012d}", {"answers": a}


def words_of(i: int) -> set[str]:
    return {"udin"} | ({"zulkarnaen"} if i % 3 == 0 else set()) | ({"sawit"} if i % 4 else set())


def fill(engine, keys) -> None:
    form = load_form("laporan_kecurigaan")
    start = datetime(2026, 1, 5, tzinfo=timezone.utc)
    rows, stored = [], []
    for i in range(REPORTS):
        eid, payload = report(i)
        village = i % VILLAGES + 1
        at = clock.iso(start + timedelta(days=i // 3, hours=i % 3))
        rows.append(({**archive.envelope_row(eid, village, form.id, at, rahasia=i % 5 == 0),
                      "form_version": form.version}, payload))
        stored.append(Stored(eid, village, form.id, form.version, at, i % 5 == 0, payload))
    with engine.begin() as conn:
        conn.execute(insert(villages), [{"id": v, "name": f"Desa {v}", "region": r} for v, r in REGION.items()])
        archive.ensure_author(conn, 1)
        conn.execute(insert(envelopes), [row for row, _ in rows])
        filter_row.write_batch(conn, keys, rows)                      # the push
    with engine.begin() as conn:
        search.derive(conn, keys, stored, clock.now())                # derived after the receipt
    with engine.begin() as conn:
        search.derive(conn, keys, stored[::4], clock.now())                 # indexed again: new documents
        again = {row["id"] for row, _ in rows[1::7]}                  # filter rows written again
        conn.execute(delete(dash_reports).where(dash_reports.c.envelope_id.in_(again)))
        filter_row.write_batch(conn, keys, [r for r in rows if r[0]["id"] in again])
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory):
    with filled(tmp_path_factory, fill) as (engine, keys, _):
        yield engine, keys


@pytest.fixture(scope="module")
def pg_store(postgres_server, tmp_path_factory):
    with filled(tmp_path_factory, fill, postgres_server("search_overview_counts")) as (engine, keys, _):
        yield engine, keys


def may_see(staff: dict, i: int) -> bool:
    region = REGION[i % VILLAGES + 1]
    scope = staff.get("scope") or {}
    if staff["role"] != "admin" and region != staff["region"]:
        return False
    if scope.get("regions") is not None and region not in scope["regions"]:
        return False
    return not (scope and not scope.get("rahasia") and i % 5 == 0)


def plain(conn, staff: dict, q: str) -> tuple[dict[str, Counter], set[str]]:
    """The charts' counts and the ids the map may show, from each report's own words and its
    dashboard row: no search index involved."""
    wanted = set(q.split())
    ids = {report(i)[0] for i in range(REPORTS) if wanted <= words_of(i) and may_see(staff, i)}
    rows = conn.execute(select(dash_reports).where(dash_reports.c.envelope_id.in_(ids))).mappings().all()
    assert len(rows) == len(ids)
    return {c: Counter(row[c] for row in rows) for c in CHARTS}, {row["envelope_id"] for row in rows}


SEARCHES = ["zulkarnaen", "sawit zulkarnaen", "udin sawit", "udin"]


def check(engine, keys, who: str, q: str) -> None:
    staff, f = STAFF[who], queries.parse_filters({"q": q})
    with engine.connect() as conn:
        expected, ids = plain(conn, staff, q)
        got = queries.charts(conn, staff, f, CHARTS, keys=keys, top=1000)
        assert {c: Counter(dict(v)) for c, v in got.items()} == expected
        assert [n for _, n in queries.counts(conn, staff, f, "category", keys=keys)] == \
            sorted(expected["category"].values(), reverse=True)
        pts = queries.points(conn, staff, f, keys=keys, cap=REPORTS)
        assert {p["envelope_id"] for p in pts} == ids and len(pts) == len(ids)
    assert sum(expected["village_id"].values()) > 0
    secret = {report(i)[0] for i in range(REPORTS) if i % 5 == 0}
    elsewhere = {report(i)[0] for i in range(REPORTS) if REGION[i % VILLAGES + 1] != "Sebatik"}
    shown = ids | {p["envelope_id"] for p in pts}
    if (staff.get("scope") or {}).get("rahasia") is False:          # as the attacker looks
        assert not shown & secret
    if staff["role"] != "admin":
        assert not shown & elsewhere and not set(got["village_id"]) & {v for v, r in REGION.items() if r != "Sebatik"}


@pytest.fixture(params=["set", "walk", "probe"])
def form(request, monkeypatch):
    """Every search on SQLite takes this form, whatever its cost."""
    monkeypatch.setattr(search_index, "_cheapest", lambda found, rows: request.param)
    return request.param


@pytest.mark.parametrize("who", sorted(STAFF))
@pytest.mark.parametrize("q", SEARCHES)
def test_sqlite_overview_counts_are_the_plain_querys(sqlite_store, form, who, q):
    check(*sqlite_store, who, q)


@pytest.mark.parametrize("who", sorted(STAFF))
@pytest.mark.parametrize("q", SEARCHES)
def test_postgres_overview_counts_are_the_plain_querys(pg_store, who, q):
    check(*pg_store, who, q)


def test_sqlite_each_report_keeps_its_document_or_looks_it_up(sqlite_store):
    """Control for the checks above: the reports indexed again carry their new document, the
    filter rows written again carry none (they are found by looking it up), and the words
    the searches use are held where the test says (the repeat group's name only there)."""
    engine, keys = sqlite_store
    r = dash_reports.c
    with engine.connect() as conn:
        kept = dict(conn.execute(select(r.envelope_id, r.search_doc)).all())
        docs = dict(conn.exec_driver_sql("SELECT envelope_id, doc FROM dash_search").all())
    again = {report(i)[0] for i in range(1, REPORTS, 7)}
    assert {e for e, d in kept.items() if d is None} == again
    assert all(kept[e] == docs[e] for e in kept if e not in again) and set(docs) == set(kept)
    assert max(docs.values()) > REPORTS                                # some indexed again
    top = report(0)[1]["answers"]
    assert "Zulkarnaen" not in str({k: v for k, v in top.items() if k != "terlibat"})


def test_sqlite_clear_forgets_every_kept_document(tmp_path_factory):
    """A rebuild of the search consumer empties the index and every report's copy of its
    document (a stale copy would count a report under words of a document it no longer has)."""
    with filled(tmp_path_factory, fill) as (engine, keys, _):
        with engine.begin() as conn:
            search_index.clear(conn)
        with engine.connect() as conn:
            assert conn.execute(select(dash_reports.c.search_doc)
                                .where(dash_reports.c.search_doc.is_not(None))).all() == []
            assert queries.charts(conn, STAFF["admin"], queries.parse_filters({"q": "udin"}), CHARTS, keys=keys) == \
                {c: [] for c in CHARTS}
