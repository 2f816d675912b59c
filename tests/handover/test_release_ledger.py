"""Tier A subtraction, as the attacker (issue 23.8). Before the ledger, two packages of one
period gave a count below k back: with and without rahasia (17 − 14 = 3), and the same
period asked again after one more report (15 − 14 = 1). Now every ISO week is published
once under one policy; asking again returns the ledgered table; a change is a versioned
correction with a notice. Real office over HTTP, real CLI, on SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import timedelta

import forms
import pytest

from jaga_desa.testing.servers import OfficeServer
from office import regions
from office.handover import verify
from tests.support import enroll as enroll_person

from .conftest import DESA_A, Seeded, canary_answers, move_to, seal


def counts(path) -> dict:
    with zipfile.ZipFile(path) as z:
        rows = csv.DictReader(io.StringIO(z.read("counts.csv").decode("utf-8")))
        return {(r["kode_kecamatan"], r["week"], r["category"]): int(r["count"]) for r in rows}


def descriptor(path) -> dict:
    with zipfile.ZipFile(path) as z:
        return json.loads(z.read("datapackage.json"))


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def office(request, tmp_path_factory):
    url = request.getfixturevalue("postgres_server")("handover_ledger") if request.param == "postgres" else None
    server = OfficeServer(tmp_path_factory.mktemp("ledger") / "office", url).start()
    try:
        s = Seeded(server)
        server.admin(["add-village", "--code", DESA_A])
        person, client = enroll_person(server, regions.get(DESA_A).name, "volunteer", "Relawan Buku Besar")
        plain = [seal(person, "laporan_kecurigaan", canary_answers("rekrutmen", i)) for i in range(14)]
        secret = [seal(person, "laporan_kecurigaan", canary_answers("rekrutmen", i, rahasia=True)) for i in range(3)]
        assert all(r["status"] == "accepted" for r in client.push([x.envelope for x in plain + secret]))
        move_to(server.data_dir, [x.envelope_id for x in plain + secret], s.today, url)
        s.people = {"p": (person, client)}
        yield s
    finally:
        server.stop()


def try_export(office, out, *argv):
    return office.cli("export", *office.store, "--tier", "A", "--from", office.today.isoformat(),
                      "--to", office.today.isoformat(), "--out", str(out), "--k", "11", *argv)


def test_no_count_below_k_comes_back_by_subtraction(office, tmp_path):
    week = f"{office.today.isocalendar()[0]}-W{office.today.isocalendar()[1]:02d}"
    cell = (DESA_A[:8], week, "rekrutmen")
    first = office.export("A", tmp_path / "first.zip", "--k", "11")
    assert counts(first) == {cell: 14}

    # 1. the same week with the rahasia reports: 17 - 14 = 3 before; now refused
    rc, _, err = try_export(office, tmp_path / "rahasia.zip", "--include-rahasia")
    assert rc == 1 and err.startswith("error [handover_invalid]:") and "one policy per week" in err
    assert not (tmp_path / "rahasia.zip").exists()

    # 2. one more report lands in that week; asked again: the ledgered 14, not 15 (15 - 14 = 1)
    person, client = office.people["p"]
    late = seal(person, "laporan_kecurigaan", canary_answers("rekrutmen", 77))
    assert client.push([late.envelope])[0]["status"] == "accepted"
    move_to(office.data, [late.envelope_id], office.today, office.server.db_url)
    again = office.export("A", tmp_path / "again.zip", "--k", "11", "--recipient", "Another agency")
    assert counts(again) == counts(first)
    assert descriptor(again)["releases"][0]["sha256"] == descriptor(first)["releases"][0]["sha256"]

    # 3. a wider period holding that week: the same cell, the same count
    wider = office.export_period("A", tmp_path / "wider.zip", office.today - timedelta(days=7), office.today)
    assert counts(wider)[cell] == 14 and len(descriptor(wider)["releases"]) == 2

    # 4. a correction is declared: a new version with its notice, in every later package
    rc, out, err = office.cli("correct", *office.store, "--week", week,
                              "--reason", "laporan terlambat dimasukkan / a late report included")
    assert rc == 0, err
    assert json.loads(out)["version"] == 2 and json.loads(out)["changed"] is True
    corrected = office.export("A", tmp_path / "corrected.zip", "--k", "11")
    assert counts(corrected) == {cell: 15}
    rel = descriptor(corrected)["releases"][0]
    assert rel["version"] == 2 and rel["notices"][0]["notice"].startswith("laporan terlambat")
    for pkg in (first, again, wider, corrected):
        assert verify(pkg)["valid"]


def test_a_week_still_running_is_not_released(office, tmp_path):
    from datetime import datetime, timezone
    today = datetime.now(timezone.utc).date()
    rc, _, err = office.cli("export", *office.store, "--tier", "A", "--from", today.isoformat(),
                            "--to", today.isoformat(), "--out", str(tmp_path / "now.zip"))
    assert rc == 1 and "has not ended" in err


def test_a_period_is_widened_to_whole_weeks(office, tmp_path):
    out = office.export_period("A", tmp_path / "w.zip", office.today, office.today)
    period = descriptor(out)["period"]
    monday = office.today - timedelta(days=office.today.weekday())
    assert period["start"] == monday.isoformat() and period["end"] == (monday + timedelta(days=6)).isoformat()


@pytest.mark.parametrize("argv", [["--week", "2026-W99", "--reason", "x"], ["--week", "soon", "--reason", "x"],
                                  ["--week", "2001-W01", "--reason", "x"], ["--week", "2001-W01", "--reason", " "]])
def test_bad_corrections_get_a_typed_error(office, argv):
    rc, _, err = office.cli("correct", *office.store, *argv)
    assert rc == 1 and err.startswith("error [handover_invalid]:"), err


def test_decades_at_once_are_refused_not_ledgered(office, tmp_path):
    rc, _, err = office.cli("export", *office.store, "--tier", "A", "--from", "2000-01-03",
                            "--to", "2020-12-27", "--out", str(tmp_path / "x.zip"))
    assert rc == 1 and "at most 260 ISO weeks" in err
