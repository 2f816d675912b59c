"""A real office (uvicorn subprocess) seeded once per module with villages in two regions,
staff of every role, enrolled people and real sealed reports pushed over HTTP.

    dash.url, dash.reports["urgent"], dash.login("intel_sgu") -> requests.Session
"""
from __future__ import annotations

import base64
import io
import sqlite3
import time
from dataclasses import dataclass, field

import pytest
import requests

import forms
from sync import envelope as env
from jaga_desa.testing.dashboard import CSRF_RE, csrf_of, sign_in
from jaga_desa.testing.servers import OfficeServer
from jaga_desa.testing.waits import wait_until
from tests.support import enroll as enroll_person

PASSWORD = "kata-sandi-uji-1"
STAFF = {"admin": ("admin", None), "intel_sgu": ("intel", "Sanggau"),
         "intel_kh": ("intel", "Kapuas Hulu"), "intel_none": ("intel", None)}
SKEW_MS = 2 * 86400 * 1000


def png_bytes() -> bytes:
    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def seal_report(person, form_id: str, answers: dict, *, attachments=None, created_ms=None,
                zone: str | None = None) -> env.Sealed:
    """`zone`: the phone's zone sealed with the answers (as fieldapp finalize does); None
    seals a report as phones did before they named it."""
    form = forms.load(form_id, 1)
    rahasia = form.is_confidential(answers)
    payload = {"answers": answers, "flags": form.flags(answers), "rahasia": rahasia, "lang": "id",
               **({"zone": zone} if zone else {})}
    rcpts = [person.office_x()] + ([] if rahasia else person.heads())
    return env.seal(payload, form_id=form_id, form_version=1, author_id=person.id,
                    device_id=person.device_id, signing_key=person.ed, recipients=rcpts,
                    attachments=attachments, created_ms=created_ms)


@dataclass
class Dash:
    server: OfficeServer
    reports: dict = field(default_factory=dict)
    att_id: str = ""
    photo: bytes = b""
    people: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    def login(self, username: str, password: str = PASSWORD) -> requests.Session:
        s = sign_in(self.url, username, password)
        s.csrf = csrf_of(s.get(self.url + "/dashboard/").text)
        return s

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.server.data_dir / "office.db", timeout=30)


def _seed(server: OfficeServer) -> Dash:
    d = Dash(server)
    server.admin(["add-village", "--name", "Entikong", "--region", "Sanggau"])
    server.admin(["add-village", "--name", "Badau", "--region", "Kapuas Hulu"])
    import os
    for name, (role, region) in STAFF.items():
        os.environ["JAGA_PASSWORD"] = PASSWORD
        server.admin(["add-staff", "--username", name, "--role", role] + (["--region", region] if region else []))
    head, hclient = enroll_person(server, "Entikong", "head", "Pak Kades")
    vol, vclient = enroll_person(server, "Entikong", "volunteer", "Siti Relawan")
    vol_b, bclient = enroll_person(server, "Badau", "volunteer", "Budi Relawan")
    spare, _ = enroll_person(server, "Badau", "volunteer", "Hp Hilang")
    d.people = {"head": head, "vol": vol, "vol_b": vol_b, "spare": spare}
    lap = forms.load("laporan_kecurigaan", 1).example()
    pmi = forms.load("keberangkatan_pmi", 1).example()
    calm = {**lap, "ada_anak": "tidak", "urgensi": "biasa", "kategori": "dokumen_palsu",
            "apa_dilihat": "Ada pemalsuan KTP di kebun kelapa belakang balai desa"}
    calm.pop("jumlah_anak", None), calm.pop("media_sosial", None), calm.pop("lokasi", None)
    d.photo = png_bytes()
    d.att_id = "ab" * 16
    urgent = seal_report(vol, "laporan_kecurigaan", {**lap, "foto": [d.att_id]},
                         attachments={d.att_id: d.photo})
    sealed = {"urgent": urgent, "pmi": seal_report(vol, "keberangkatan_pmi", pmi),
              "calm": seal_report(vol, "laporan_kecurigaan", calm,
                                  created_ms=int(time.time() * 1000) - SKEW_MS),
              "broken": seal_report(vol, "laporan_kecurigaan", calm)}
    results = vclient.push([s.envelope for s in sealed.values()])
    assert all(r["status"] == "accepted" for r in results), results
    vclient.put_attachment(urgent.envelope_id, d.att_id, urgent.blobs[d.att_id])
    other = seal_report(vol_b, "laporan_kecurigaan",
                        {**lap, "apa_dilihat": "Perahu motor menjemput enam orang di muara sungai"})
    assert bclient.push([other.envelope])[0]["status"] == "accepted"
    sealed["other_region"] = other
    hclient.post_review(head.review(urgent.envelope_id, "verified", "benar, sudah saya cek").envelope)
    d.reports = {k: s.envelope_id for k, s in sealed.items()}
    # Damage one stored envelope and drop its projection, as if stored by code older than
    # indexing at ingest: the start-up backfill indexes it, and it must show as unreadable.
    with d.db() as db:
        data = bytearray(db.execute("SELECT data FROM envelopes WHERE id=?", (d.reports["broken"],)).fetchone()[0])
        data[-80] ^= 0xFF
        db.execute("UPDATE envelopes SET data=? WHERE id=?", (bytes(data), d.reports["broken"]))
        db.execute("DELETE FROM dash_search WHERE envelope_id=?", (d.reports["broken"],))
        db.execute("DELETE FROM dash_reports WHERE envelope_id=?", (d.reports["broken"],))
    server.restart()

    def indexed():
        with d.db() as db:
            return db.execute("SELECT opened FROM dash_reports WHERE envelope_id=?", (d.reports["broken"],)).fetchone()
    wait_until(indexed, 30, "the restarted office to index the broken report", every=0.1)
    server.derived()          # search words and signals, derived after the pushes by its worker
    return d


@pytest.fixture(scope="module")
def dash(tmp_path_factory):
    server = OfficeServer(tmp_path_factory.mktemp("dash") / "office").start()
    try:
        yield _seed(server)
    finally:
        server.stop()
