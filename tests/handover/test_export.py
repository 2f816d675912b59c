"""Hand-over export through the real CLI against a real office: tiers, k, rahasia, codes."""
from __future__ import annotations

import csv
import io
import json
import sqlite3
import zipfile

import pytest

from office.handover import verify

from .conftest import DESA_A, zip_texts


def table(path, name: str) -> list[dict]:
    with zipfile.ZipFile(path) as z:
        return list(csv.DictReader(io.StringIO(z.read(f"{name}.csv").decode("utf-8"))))


def descriptor(path) -> dict:
    with zipfile.ZipFile(path) as z:
        return json.loads(z.read("datapackage.json"))


def test_tier_a_publishes_no_cell_below_k(seeded, tmp_path):
    out = seeded.export("A", tmp_path / "a.zip")
    rows = table(out, "counts")
    assert rows, "the 12 rekrutmen and 11 PMI reports make two cells of at least k"
    assert all(int(r["count"]) >= 11 for r in rows)
    cells = {(r["kode_kecamatan"], r["category"]): int(r["count"]) for r in rows}
    assert cells == {(DESA_A[:8], "rekrutmen"): 12, ("65.03.02", "pmi_nonprosedural"): 11}
    d = descriptor(out)
    assert d["disclosure"]["cellsWithheld"] == 1            # the 3 penampungan
    assert d["disclosure"]["rahasiaIncluded"] is False
    assert verify(out)["rows"]["counts"] == 2


def test_a_released_week_keeps_its_policy(seeded, tmp_path):
    """A higher k on an already released week would be another table of that week: refused."""
    seeded.export("A", tmp_path / "a.zip")
    rc, _, err = seeded.cli("export", "--data", str(seeded.data), "--tier", "A", "--from", seeded.today.isoformat(),
                            "--to", seeded.today.isoformat(), "--out", str(tmp_path / "k12.zip"), "--k", "12")
    assert rc == 1 and err.startswith("error [handover_invalid]:") and "released under k=11" in err


def test_empty_period_gives_an_empty_valid_package(seeded, tmp_path):
    for tier in ("A", "B"):
        out = tmp_path / f"{tier}.zip"
        rc, _, err = seeded.cli("export", "--data", str(seeded.data), "--tier", tier, "--from", "2001-01-01",
                                "--to", "2001-01-31", "--out", str(out), "--recipient", "BP3MI Kaltara")
        assert rc == 0, err
        summary = verify(out)
        assert summary["rows"].get("counts" if tier == "A" else "reports", 0) == 0
        assert summary["rows"]["codebook"] > 0


def test_tier_b_rows_are_coded_and_pseudonymous(seeded, tmp_path):
    out = seeded.export("B", tmp_path / "b.zip", "--recipient", "Polda Kalimantan Utara")
    rows = table(out, "reports")
    assert len(rows) == 12 + 3 + 11                          # rahasia left out
    lap = [r for r in rows if r["form_id"] == "laporan_kecurigaan"]
    assert {r["laporan_kecurigaan__kategori"] for r in lap} == {"rekrutmen", "penampungan"}
    assert all(r["kode_kecamatan"] == "65.03.01" and r["rahasia"] == "false" for r in lap)
    assert all(r["laporan_kecurigaan__waktu_kejadian"] == "2025-W03" for r in lap)   # ISO week only
    assert "received_date" not in rows[0] and all(r["week"] for r in rows)
    pmi = [r for r in rows if r["form_id"] == "keberangkatan_pmi"]
    iso = [c for c in pmi[0] if c.startswith("keberangkatan_pmi__negara_tujuan") and c.endswith("__iso3166")]
    assert {r[c] for r in pmi for c in iso if r[c]} == {"MY"}      # one column per type across versions
    assert not any(c.endswith(("__lat", "__lon", "__apa_dilihat", "__tempat", "__pelaku", "__agen"))
                   for c in rows[0])
    assert all(r["report_pid"].startswith("r-") for r in rows)
    all_ids = {i for group in seeded.ids.values() for i in group}
    assert not all_ids & {r["report_pid"] for r in rows}


def test_pseudonyms_are_stable_per_recipient_and_unlinkable_across(seeded, tmp_path):
    def pids(name, recipient):
        return [r["report_pid"] for r in table(seeded.export("B", tmp_path / name, "--recipient", recipient),
                                               "reports")]
    first, again = pids("p1.zip", "Polda Kalimantan Utara"), pids("p2.zip", "polda  kalimantan-utara")
    other = pids("bp.zip", "BP3MI Kalimantan Utara")
    assert first == again
    assert not set(first) & set(other) and len(other) == len(first)


def test_two_agencies_copies_do_not_join_row_by_row(seeded, tmp_path):
    """Issue 23.7, as the two agencies pooling their copies. Before: same row order, so row i
    of one copy was row i of the other (26/26 report pseudonyms mapped). Now each copy is in
    its recipient's pseudonym order; the ground truth (the office recomputes both
    pseudonyms with its key) shows a position join is right only by chance, and the package
    says plainly that rows with unique values can still be matched by those values."""
    from office import keys as office_keys
    from office.handover import keys as pkeys
    a = seeded.export("B", tmp_path / "a.zip", "--recipient", "Polda Kalimantan Utara")
    b = seeded.export("B", tmp_path / "b.zip", "--recipient", "BP3MI Kalimantan Utara")
    ra, rb = table(a, "reports"), table(b, "reports")
    k = office_keys.load_or_create(seeded.data)
    ids = [i for group in ("rekrutmen", "penampungan", "pmi") for i in seeded.ids[group]]

    def truth(recipient):
        key = pkeys.key_for(k, recipient)
        return {pkeys.pseudonym(key, "r", i): i for i in ids}
    ta, tb = truth("Polda Kalimantan Utara"), truth("BP3MI Kalimantan Utara")
    assert set(ta) == {r["report_pid"] for r in ra} and set(tb) == {r["report_pid"] for r in rb}
    by_position = sum(ta[x["report_pid"]] == tb[y["report_pid"]] for x, y in zip(ra, rb))
    assert by_position <= 6, f"{by_position}/26 reports joined by row position"
    assert [r["report_pid"] for r in ra] == sorted(r["report_pid"] for r in ra)
    d = descriptor(a)["disclosure"]
    assert "unlinkable" not in json.dumps(d) and "Not a guarantee of unlinkability" in d["linkability"]


def test_rahasia_only_when_the_admin_includes_it(seeded, tmp_path):
    # The one uncoded village has only a rahasia report: including rahasia must now block A/B.
    rc, _, err = seeded.cli("export", "--data", str(seeded.data), "--tier", "B", "--from",
                            seeded.today.isoformat(), "--to", seeded.today.isoformat(), "--out",
                            str(tmp_path / "r.zip"), "--recipient", "Polda", "--include-rahasia")
    assert rc == 1
    assert err.startswith("error [region_code_missing]:") and "Dusun Tanpa Kode" in err
    assert not (tmp_path / "r.zip").exists()
    seeded.server.admin(["set-village-code", "--village", "Dusun Tanpa Kode", "--code", "65.03.01.2002"])
    try:
        out = seeded.export("B", tmp_path / "r.zip", "--recipient", "Polda", "--include-rahasia")
        rows = table(out, "reports")
        assert sum(r["rahasia"] == "true" for r in rows) == 2
        assert descriptor(out)["disclosure"]["rahasiaIncluded"] is True
    finally:   # give the village back its missing code for the other tests
        with sqlite3.connect(seeded.data / "office.db") as db:
            db.execute("UPDATE villages SET kode_wilayah=NULL, kode_version=NULL, name='Dusun Tanpa Kode' "
                       "WHERE kode_wilayah='65.03.01.2002'")


@pytest.mark.parametrize("tier", ["A", "B"])
def test_canaries_never_leave_in_tier_a_or_b(seeded, tmp_path, tier):
    out = seeded.export(tier, tmp_path / f"{tier}.zip", "--recipient", "Polda Kalimantan Utara")
    blobs = zip_texts(out)
    for canary in seeded.canaries():
        for blob in blobs:
            assert canary.encode() not in blob, f"{canary!r} leaked into tier {tier}"


def test_tier_c_refers_chosen_reports_in_full_and_the_scan_would_see_it(seeded, tmp_path):
    chosen = seeded.ids["rekrutmen"][:2] + seeded.ids["rahasia"]
    argv = ["--recipient", "Polres Nunukan", "--reason", "LP/123/XI/2026: penyidikan TPPO"]
    for rid in chosen:
        argv += ["--report", rid]
    out = seeded.export("C", tmp_path / "c.zip", *argv)
    rows = table(out, "reports")
    assert len(rows) == len(chosen) and sorted(referrals(seeded).values()) == sorted(chosen)
    assert {r["referral_id"] for r in rows} == set(referrals(seeded))
    assert all("KENARI7731" in r["laporan_kecurigaan__apa_dilihat"] for r in rows)
    assert all(r["laporan_kecurigaan__waktu_kejadian"] == "2025-01-15T19:30:00+08:00" for r in rows)  # WITA
    assert all(r["kode_wilayah"] == DESA_A for r in rows)
    blob = b"".join(zip_texts(out))
    assert b"KENARI7731" in blob                 # positive control: the canary scan can fail
    assert descriptor(out)["disclosure"]["reason"].startswith("LP/123")


def referrals(seeded) -> dict:
    """The last tier C export's referral_id -> report id map, from the office's audit."""
    with sqlite3.connect(seeded.data / "office.db") as db:
        detail, = db.execute("SELECT detail FROM dash_audit WHERE action='handover_export' "
                             "ORDER BY id DESC LIMIT 1").fetchone()
    return json.loads(detail)["referrals"]


def test_tier_c_ids_are_per_referral_and_carry_no_author_tag(seeded, tmp_path):
    """Issue 23.9: an envelope id's last 48 bits tag its author, so a recipient could group
    reports by volunteer. A referral carries its own ids: no envelope id anywhere in the zip,
    no shared tail among one volunteer's reports, another referral of the same report gets
    another id, and the office maps them back from its audit."""
    chosen = seeded.ids["rekrutmen"][:6]
    assert len({rid[-12:] for rid in chosen}) == 1, "positive control: one volunteer, one envelope-id tail"
    argv = ["--recipient", "Polres Nunukan", "--reason", "rujukan"]
    for rid in chosen:
        argv += ["--report", rid]
    first = seeded.export("C", tmp_path / "c1.zip", *argv)
    first_map = referrals(seeded)
    second = seeded.export("C", tmp_path / "c2.zip", *argv)
    second_map = referrals(seeded)
    ids1 = [r["referral_id"] for r in table(first, "reports")]
    ids2 = [r["referral_id"] for r in table(second, "reports")]
    assert sorted(first_map.values()) == sorted(second_map.values()) == sorted(chosen)
    assert set(ids1) == set(first_map) and not set(ids1) & set(ids2)
    assert len({i[-12:] for i in ids1}) == len(ids1) and len({i[-6:] for i in ids1}) == len(ids1)
    blob = b"".join(zip_texts(first))
    for rid in chosen:
        assert rid.encode() not in blob and rid[-12:].encode() not in blob
    assert verify(first)["rows"]["reports"] == 6


@pytest.mark.parametrize("argv, code", [
    (["--tier", "C", "--recipient", "Polres"], "handover_invalid"),                    # no reports
    (["--tier", "B"], "handover_invalid"),                                             # no recipient
    (["--tier", "A", "--k", "1"], "handover_invalid"),
])
def test_bad_requests_get_a_typed_error(seeded, tmp_path, argv, code):
    rc, _, err = seeded.cli("export", "--data", str(seeded.data), "--from", "2026-01-01", "--to", "2026-12-31",
                            "--out", str(tmp_path / "x.zip"), *argv)
    assert rc == 1 and err.startswith(f"error [{code}]:"), err


def test_every_export_is_audited(seeded, tmp_path):
    seeded.export("A", tmp_path / "a.zip", "--recipient", "Forum TPPO Kabupaten Nunukan")
    with sqlite3.connect(seeded.data / "office.db") as db:
        rows = db.execute("SELECT username, detail FROM dash_audit WHERE action='handover_export' "
                          "ORDER BY id DESC LIMIT 1").fetchall()
    detail = json.loads(rows[0][1])
    assert rows[0][0] == "cli"
    assert detail["tier"] == "A" and detail["recipient"] == "Forum TPPO Kabupaten Nunukan"
    assert detail["rows"] == 2 and len(detail["sha256"]) == 64


def test_a_village_without_a_code_blocks_a_and_b_by_name(seeded, tmp_path):
    """An ordinary (not rahasia) report from the uncoded village, moved to its own past day."""
    with sqlite3.connect(seeded.data / "office.db") as db:
        was, = db.execute("SELECT received_at FROM envelopes WHERE id=?", (seeded.ids["uncoded"][0],)).fetchone()
        db.execute("UPDATE envelopes SET rahasia=0, received_at='2020-02-03T04:05:06.000Z' WHERE id=?",
                   (seeded.ids["uncoded"][0],))
    try:
        for tier in ("A", "B"):
            rc, _, err = seeded.cli("export", "--data", str(seeded.data), "--tier", tier, "--from", "2020-02-03",
                                    "--to", "2020-02-03", "--out", str(tmp_path / f"{tier}.zip"),
                                    "--recipient", "Polda")
            assert rc == 1 and err.startswith("error [region_code_missing]:") and "Dusun Tanpa Kode" in err
            assert not (tmp_path / f"{tier}.zip").exists()
        rc, _, err = seeded.cli("export", "--data", str(seeded.data), "--tier", "C", "--recipient", "Polres",
                                "--reason", "rujukan", "--report", seeded.ids["uncoded"][0],
                                "--out", str(tmp_path / "c.zip"))
        assert rc == 0, err                      # a referral names its reports; no code needed
    finally:
        with sqlite3.connect(seeded.data / "office.db") as db:
            db.execute("UPDATE envelopes SET rahasia=1, received_at=? WHERE id=?", (was, seeded.ids["uncoded"][0]))
