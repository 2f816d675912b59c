"""The codebook and metadata a partner analyst needs (issue 23.13): triage, the Darurat
form's category and region names decoded in English; contact, custodian, licence, method
and definitions (Satu Data); HTCDS fields mapped, or a note saying why not."""
from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest

import forms

from .conftest import DESA_A, move_to, seal


def read(path, name):
    with zipfile.ZipFile(path) as z:
        if name.endswith(".json"):
            return json.loads(z.read(name))
        return list(csv.DictReader(io.StringIO(z.read(name).decode("utf-8"))))


@pytest.fixture(scope="module")
def package_b(seeded, tmp_path_factory):
    darurat = seal(seeded.people["a"], "laporan_darurat", forms.load("laporan_darurat", 1).example())
    assert seeded.clients["a"].push([darurat.envelope])[0]["status"] == "accepted"
    move_to(seeded.data, [darurat.envelope_id], seeded.today)
    return seeded.export("B", tmp_path_factory.mktemp("cb") / "b.zip", "--recipient", "BP3MI Kaltara",
                         "--contact", "datin@kanim-nunukan.example", "--custodian", "Pusdatin Ditjen Imigrasi")


def entries(path) -> dict:
    return {(r["variable"], r["code"]): r for r in read(path, "codebook.csv")}


def test_codes_an_analyst_meets_are_decoded(package_b):
    cb = entries(package_b)
    assert cb[("triage", "new")]["label_en"] == "New" and cb[("triage", "forwarded")]["label_id"]
    assert cb[("category", "darurat")]["label_en"].startswith("Emergency report")
    assert cb[("kode_provinsi", "65")]["label_en"] == "North Kalimantan"
    assert cb[("kode_kabupaten", "65.03")]["label_en"] == "Nunukan Regency"
    assert cb[("kode_kecamatan", DESA_A[:8])]["label_en"] == "Sebatik District"
    rows = read(package_b, "reports.csv")
    darurat = [r for r in rows if r["form_id"] == "laporan_darurat"]
    assert len(darurat) == 1 and darurat[0]["category"] == "darurat"          # not an empty cell
    assert all(r["category"] for r in rows)
    assert all(("category", r["category"]) in cb and ("triage", r["triage"]) in cb for r in rows)


def test_htcds_fields_are_mapped_or_say_why_not(package_b):
    cb = entries(package_b)
    pek = [v for (v, c) in cb if v.startswith("keberangkatan_pmi__pekerjaan") and c == "sawit"]
    assert pek and cb[(pek[0], "sawit")]["iom_ctdc"] == "typeOfLabourAgriculture"
    held = [v for (v, c) in cb if v.startswith("keberangkatan_pmi__dokumen_ditahan") and c == "ya"]
    assert held and cb[(held[0], "ya")]["iom_ctdc"] == "meansOfControlWithholdsDocuments"
    assert "recruiterRelation" in cb[("role", "")]["note"]
    status = [v for (v, c) in cb if v.startswith("keberangkatan_pmi__status") and c == ""]
    assert status and "early warning" in cb[(status[0], "")]["note"]
    rek = cb[("laporan_kecurigaan__kategori", "rekrutmen")]
    assert rek["ilo_indicator"] == "deception" and "not a CTDC variable" in rek["note"]


def test_contact_custodian_licence_method_definitions(package_b):
    d = read(package_b, "datapackage.json")
    assert d["licenses"][0]["name"] == "other-closed"
    roles = {c["role"]: c for c in d["contributors"]}
    assert roles["publisher"]["email"] == "datin@kanim-nunukan.example"
    assert roles["maintainer"]["title"] == "Pusdatin Ditjen Imigrasi"
    sd = d["satuData"]
    assert sd["waliData"] == "Pusdatin Ditjen Imigrasi" and "not proven cases" in sd["metodologi"]
    assert {x["term"] for x in sd["definisi"]} >= {"TPPO", "TPPM", "PMI non-prosedural", "rahasia", "k"}
    with zipfile.ZipFile(package_b) as z:
        about = z.read("README.md").decode()
    assert "datin@kanim-nunukan.example" in about and "Restricted" in about
