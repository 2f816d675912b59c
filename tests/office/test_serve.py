"""office.serve: the office on two uvicorn worker processes, on SQLite (WAL) and on
PostgreSQL, keeps exactly-once under concurrent, overlapping pushes from several phones:
every envelope is stored once, accepted once, and every answer carries a receipt (batch
proof) that verifies on the phone — the same receipt every time it is asked."""
from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from sync import receipt as rc
from sync.client import OfficeClient
from office import db
from office.schema import envelopes
from jaga_desa.testing.servers import OfficeServer
from tests.support import enroll, village


def _workers_of(pid: int) -> list[int]:
    """Child processes of the office's parent process (uvicorn's workers)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_two_workers_store_overlapping_batches_exactly_once(store, request, tmp_path):
    url = request.getfixturevalue("postgres_server")("office_two_workers") if store == "postgres" else None
    server = OfficeServer(tmp_path / "office", url, extra_args=["--workers", "2"]).start(timeout=90)
    try:
        assert len(_workers_of(server.proc.pid)) >= 2, "the office did not start two worker processes"
        village(server)
        phones = []
        for k in range(3):
            person, client = enroll(server, "Entikong", "volunteer", f"Relawan {k}")
            phones.append((person, client.token, [person.report() for _ in range(60)]))
        # Every phone sends two overlapping batches (0-39 and 20-59), each twice, all at once:
        # a retry racing the original, and a next batch overlapping the previous one.
        jobs = [(person, token, reports[a:b]) for person, token, reports in phones
                for a, b in ((0, 40), (20, 60), (0, 40), (20, 60))]

        def push(job):
            person, token, reports = job
            client = OfficeClient(server.url, token=token)
            try:
                return person, reports, client.push([r.envelope for r in reports])
            finally:
                client.close()

        with ThreadPoolExecutor(len(jobs)) as pool:
            answers = list(pool.map(push, jobs))
        statuses, receipts = defaultdict(list), defaultdict(set)
        for person, reports, results in answers:
            assert len(results) == len(reports)
            for report, res in zip(reports, results):
                assert res["envelope_id"] == report.envelope_id and res["status"] in ("accepted", "duplicate"), res
                got = rc.verify(res["receipt"], person.office_ed(), report.envelope)
                assert got.envelope_id == report.envelope_id and got.complete
                statuses[report.envelope_id].append(res["status"])
                receipts[report.envelope_id].add(repr(sorted(res["receipt"].items())))
        assert len(statuses) == 180
        assert all(s.count("accepted") == 1 and len(s) in (2, 4) for s in statuses.values()), statuses
        assert all(len(r) == 1 for r in receipts.values())       # a duplicate gets the stored receipt
        engine = create_engine(url) if url else db.make_engine(db.sqlite_url(tmp_path / "office"))
        with engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(envelopes)).scalar_one()
            distinct = conn.execute(select(func.count(envelopes.c.id.distinct()))).scalar_one()
        engine.dispose()
        assert total == distinct == 180
    finally:
        server.stop()
    assert not _workers_of(server.proc.pid)
