"""keberangkatan_pmi v3 end to end below the UI: a real phone (fieldapp Device) enrolled
through the CLI in a village picked by its Kemendagri code, a real office (uvicorn
subprocess). The phone offers "Desa X, Kecamatan Y" as where the departure was seen; a
located v3 report reaches the map/GeoJSON, the CSV export has its own columns, and the
early-warning extract reads it. Older versions' reports still open beside it."""
from __future__ import annotations

import csv
import io
import json
import os

import requests

import forms
from fieldapp.device import Device
from fieldapp.ui.form import defaults
from sync.client import OfficeClient
from office.warning import extract
from sync.runner import sync_round
from tests.dashboard.conftest import CSRF_RE, PASSWORD, csrf_of
from tests.sync.test_sync_device import PIN, cli

CODE, VILLAGE, KECAMATAN = "53.03.01.2005", "Bokon", "Miomaffo Timur"


def _login(server, username: str) -> requests.Session:
    s = requests.Session()
    r = s.get(server.url + "/dashboard/login")
    r = s.post(server.url + "/dashboard/login", allow_redirects=False,
               data={"csrf": CSRF_RE.search(r.text).group(1), "username": username,
                     "password": PASSWORD, "next": "/dashboard/"})
    assert r.status_code == 303, r.text[:300]
    s.csrf = csrf_of(s.get(server.url + "/dashboard/").text)
    return s


def _phone(server, data) -> Device:
    server.admin(["add-village", "--code", CODE])
    cli(data, "init")
    cli(data, "add-user", "--name", "Sari", "--role", "volunteer", pin=PIN)
    code = server.admin_json(["enroll-code", "--village", VILLAGE, "--role", "volunteer", "--name", "Sari"])["enroll"]
    cli(data, "--json", "enroll", "--office", server.url, "--code", code, "--user", "Sari", pin=PIN)
    return Device(data)


def _sync(dev: Device) -> None:
    client = OfficeClient(dev.office_url, token=dev.sync_token, **dev.client_options())
    try:
        assert sync_round(dev, client).ok
    finally:
        client.close()


def test_located_v3_departure_reaches_map_export_and_warning(office_server, tmp_path, monkeypatch):
    monkeypatch.setenv("JAGA_KDF_SECONDS", "0.02")
    dev = _phone(office_server, tmp_path / "phone")
    try:
        assert dev.home_place() == f"Desa {VILLAGE}, Kecamatan {KECAMATAN}"     # from the signed answer
        s = dev.unlock("Sari", PIN)
        form = forms.load("keberangkatan_pmi")
        assert form.version == 3
        answers = {**defaults(form.id, dev.home_place()), "status": "sudah", "negara_tujuan": ["my"],
                   "jalur": "jalur_tikus", "jumlah_laki": 3, "jumlah_perempuan": 2, "jumlah_di_bawah_umur": 1,
                   "tempat_berangkat": "Dermaga Sei Nyamuk",
                   "lokasi_berangkat": {"lat": -9.4612, "lon": 124.3721, "accuracy": 15.0}}
        located = dev.new_draft(s, form.id, answers)
        dev.finalize(s, located)
        plain = {k: v for k, v in answers.items() if k not in ("lokasi_berangkat", "tempat_berangkat")}
        dev.finalize(s, dev.new_draft(s, form.id, plain))
        _sync(dev)
    finally:
        dev.close()

    os.environ["JAGA_PASSWORD"] = PASSWORD
    office_server.admin(["add-staff", "--username", "analis", "--role", "admin"])
    web = _login(office_server, "analis")
    r = web.get(office_server.url + "/dashboard/export?format=geojson&form=keberangkatan_pmi")
    assert r.status_code == 200, r.text[:300]
    geo = r.json()
    assert [f["geometry"]["coordinates"] for f in geo["features"]] == [[124.3721, -9.4612]]
    assert geo["jaga_left_out_without_location"] == 1

    r = web.get(office_server.url + "/dashboard/export?format=csv&form=keberangkatan_pmi")
    table = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    head, codes, rows = table[0], table[1], table[2:]
    assert "tempat_terlihat" in codes and "lokasi_berangkat" in codes
    assert "Di mana keberangkatan ini terlihat? (desa, kecamatan)" in head
    seen = {row[codes.index("tempat_terlihat")] for row in rows}
    assert seen == {f"Desa {VILLAGE}, Kecamatan {KECAMATAN}"}
    assert {row[codes.index("lokasi_berangkat")] for row in rows} == {"-9.4612, 124.3721", ""}

    # the warning extract reads a v3 report's departure point and minors
    answers_json = [json.loads(row[codes.index("answers_json")]) for row in rows]
    with_point = next(a for a in answers_json if "tempat_berangkat" in a)
    facts = extract.facts("keberangkatan_pmi", with_point, {})
    assert facts.place and "nyamuk" in facts.place.lower() and facts.minors == 1


def test_phone_enrolled_in_a_village_without_code_offers_the_village_alone(office_server, tmp_path, monkeypatch):
    monkeypatch.setenv("JAGA_KDF_SECONDS", "0.02")
    office_server.admin(["add-village", "--name", "Entikong", "--region", "Sanggau"])
    data = tmp_path / "phone"
    cli(data, "init")
    cli(data, "add-user", "--name", "Sari", "--role", "volunteer", pin=PIN)
    code = office_server.admin_json(["enroll-code", "--village", "Entikong", "--role", "volunteer",
                                     "--name", "Sari"])["enroll"]
    cli(data, "--json", "enroll", "--office", office_server.url, "--code", code, "--user", "Sari", pin=PIN)
    dev = Device(data)
    try:
        assert dev.home_place() == "Desa Entikong"
        assert defaults("keberangkatan_pmi", dev.home_place())["tempat_terlihat"] == "Desa Entikong"
        assert "tempat_terlihat" not in defaults("keberangkatan_pmi", None)
    finally:
        dev.close()
