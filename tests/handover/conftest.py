"""A real office (uvicorn subprocess) seeded with villages picked by Kemendagri code and
real sealed reports pushed over HTTP; hand-overs are then made by the real CLI.

Seeded (all received on `Seeded.today`, the Wednesday of last ISO week, UTC, so that tier A
can release that week: it publishes weeks once they are over; see ledger.py):
  Sebatik / Tanjungkarang 65.03.01.2001: 12 x rekrutmen, 3 x penampungan, 1 rahasia
  Nunukan / (kelurahan) 65.03.02.1001:   11 x keberangkatan_pmi
  "Dusun Tanpa Kode" (no code):           1 rahasia report only
Every free-text answer carries a canary; person names and ids are canaries too.
"""
from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

import forms
from sync import envelope as env
from office import regions
from jaga_desa.testing.servers import OfficeServer
from tests.support import enroll as enroll_person

DESA_A = "65.03.01.2001"        # Tanjungkarang, kec. Sebatik, Kab. Nunukan
DESA_B = "65.03.02.1001"
CANARY_TEXT = "KENARI7731"
CANARY_HANDLE = "@kenari_rekruter"
CANARY_PHONE = "+62 812-5555-7731"
NAMES = ("Siti Kenari Relawan", "Budi Kenari Relawan", "Wati Kenari Rahasia")


def last_wednesday() -> date:
    today = datetime.now(timezone.utc).date()
    return today - timedelta(days=today.weekday() + 5)


def move_to(data_dir: Path, ids: list[str], day: date, db_url: str | None = None) -> None:
    """Reports received `day` (same time of day): the office's received_at, and the dashboard's
    copy; in the office's store (SQLite in the data dir, or `db_url`)."""
    from sqlalchemy import select, update
    from office import db
    from office.dashboard.indexer import iso_week
    from office.dashboard.schema import dash_reports
    from office.schema import envelopes
    engine = db.open_store(data_dir, db_url)
    try:
        with engine.begin() as conn:
            for i in ids:
                was = conn.execute(select(envelopes.c.received_at).where(envelopes.c.id == i)).scalar_one()
                now = day.isoformat() + was[10:]
                conn.execute(update(envelopes).where(envelopes.c.id == i).values(received_at=now))
                conn.execute(update(dash_reports).where(dash_reports.c.envelope_id == i)
                             .values(received_at=now, week=iso_week(now)))
    finally:
        engine.dispose()


def seal(person, form_id: str, answers: dict) -> env.Sealed:
    form = forms.load(form_id, 1)
    rahasia = form.is_confidential(answers)
    payload = {"answers": answers, "flags": form.flags(answers), "rahasia": rahasia, "lang": "id"}
    rcpts = [person.office_x()] + ([] if rahasia else person.heads())
    return env.seal(payload, form_id=form_id, form_version=1, author_id=person.id,
                    device_id=person.device_id, signing_key=person.ed, recipients=rcpts)


def canary_answers(kategori: str, i: int, rahasia: bool = False) -> dict:
    a = forms.load("laporan_kecurigaan", 1).example()
    a.update(kategori=kategori, rahasia="ya" if rahasia else "tidak",
             apa_dilihat=f"{CANARY_TEXT} agen {CANARY_HANDLE} telepon {CANARY_PHONE} nomor {i}",
             tempat=f"Dermaga {CANARY_TEXT} {i}", pelaku=f"Pak {CANARY_TEXT} dari Tawau")
    return a


@dataclass
class Seeded:
    server: OfficeServer
    ids: dict = field(default_factory=dict)
    people: dict = field(default_factory=dict)
    clients: dict = field(default_factory=dict)
    today: date = field(default_factory=lambda: last_wednesday())

    @property
    def data(self) -> Path:
        return self.server.data_dir

    def cli(self, *argv: str) -> tuple[int, str, str]:
        """`jaga-desa handover ...` in-process (the same main() the console script runs)."""
        from jaga_desa.cli import main
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = main(["handover", *argv])
        return rc, out.getvalue(), err.getvalue()

    def export(self, tier: str, out: Path, *extra: str) -> Path:
        return self.export_period(tier, out, self.today, self.today, *extra)

    @property
    def store(self) -> list[str]:
        """`--data DIR` and, on PostgreSQL, `--db URL`: where the CLI finds this office."""
        return ["--data", str(self.data)] + (["--db", self.server.db_url] if self.server.db_url else [])

    def export_period(self, tier: str, out: Path, start: date, end: date, *extra: str) -> Path:
        rc, so, se = self.cli("export", *self.store, "--tier", tier,
                              "--from", start.isoformat(), "--to", end.isoformat(),
                              "--out", str(out), "--producer", "Kanim Nunukan (uji)", *extra)
        assert rc == 0, se
        return out

    def canaries(self) -> list[str]:
        person_ids = [p.id for p in self.people.values()]
        device_ids = [p.device_id for p in self.people.values()]
        return [CANARY_TEXT, CANARY_HANDLE, CANARY_PHONE, "5555-7731", "kenari_rekruter", *NAMES,
                *person_ids, *device_ids, *[i for group in self.ids.values() for i in group]]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Seeded:
    server = OfficeServer(tmp_path_factory.mktemp("handover") / "office").start()
    try:
        s = Seeded(server)
        server.admin(["add-village", "--code", DESA_A])
        server.admin(["add-village", "--code", DESA_B])
        server.admin(["add-village", "--name", "Dusun Tanpa Kode", "--region", "Nunukan"])
        names = {code: regions.get(code).name for code in (DESA_A, DESA_B)}
        a, ca = enroll_person(server, names[DESA_A], "volunteer", NAMES[0])
        b, cb = enroll_person(server, names[DESA_B], "volunteer", NAMES[1])
        c, cc = enroll_person(server, "Dusun Tanpa Kode", "volunteer", NAMES[2])
        s.people = {"a": a, "b": b, "c": c}
        s.clients = {"a": ca, "b": cb, "c": cc}
        batch_a = [seal(a, "laporan_kecurigaan", canary_answers("rekrutmen", i)) for i in range(12)]
        batch_a += [seal(a, "laporan_kecurigaan", canary_answers("penampungan", i)) for i in range(3)]
        rahasia_a = seal(a, "laporan_kecurigaan", canary_answers("rekrutmen", 99, rahasia=True))
        pmi = forms.load("keberangkatan_pmi", 1).example()
        pmi.update(agen=f"Calo {CANARY_TEXT}", catatan=f"{CANARY_PHONE} {CANARY_TEXT}")
        batch_b = [seal(b, "keberangkatan_pmi", dict(pmi)) for _ in range(11)]
        uncoded = seal(c, "laporan_kecurigaan", canary_answers("rekrutmen", 7, rahasia=True))
        for client, batch in ((ca, batch_a + [rahasia_a]), (cb, batch_b), (cc, [uncoded])):
            results = client.push([x.envelope for x in batch])
            assert all(r["status"] == "accepted" for r in results), results
        s.ids = {"rekrutmen": [x.envelope_id for x in batch_a[:12]],
                 "penampungan": [x.envelope_id for x in batch_a[12:]],
                 "rahasia": [rahasia_a.envelope_id], "pmi": [x.envelope_id for x in batch_b],
                 "uncoded": [uncoded.envelope_id]}
        move_to(server.data_dir, [i for group in s.ids.values() for i in group], s.today)
        yield s
    finally:
        server.stop()


STAFF_PASSWORD = "kata-sandi-serah-terima"


@pytest.fixture(scope="module")
def staff(seeded):
    """An admin and an intel analyst of the seeded office, signed in over HTTP."""
    from jaga_desa.testing.dashboard import sign_in
    old = os.environ.get("JAGA_PASSWORD")
    os.environ["JAGA_PASSWORD"] = STAFF_PASSWORD
    try:
        seeded.server.admin(["add-staff", "--username", "admin_ho", "--role", "admin"])
        seeded.server.admin(["add-staff", "--username", "intel_ho", "--role", "intel"])
    finally:
        if old is None:
            os.environ.pop("JAGA_PASSWORD")
        else:
            os.environ["JAGA_PASSWORD"] = old
    return {role: sign_in(seeded.server.url, user, STAFF_PASSWORD)
            for role, user in (("admin", "admin_ho"), ("intel", "intel_ho"))}


def zip_texts(path: Path) -> list[bytes]:
    """Every byte of the zip as stored, plus every member decompressed (deflate hides text)."""
    import zipfile
    out = [path.read_bytes()]
    with zipfile.ZipFile(path) as z:
        out += [z.read(n) for n in z.namelist()]
    return out
