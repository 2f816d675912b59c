"""Red team on voice notes: a note never leaves the office, not its bytes, not its id.

Two reports carry a real voice note (the phone's encoder, jaga_desa/testing/voice.py's
speech): a suspicion report (v3) and a Darurat (v2), pushed with their attachments to a
real office like a phone does. The attacker then reads everything that goes out: the
partner API (list and detail) with a token of every grant combination, the dashboard's
exports (a token gets none; staff get CSV, the repeat-group CSV, XLSX, GeoJSON), and the
hand-over packages of tiers A, B and C — tier C referring exactly these two reports in full.
In none of them: the attachment id, the Ogg/Opus headers, or any slice of the audio (raw,
hex, base64). A positive control shows the scan can fail: tier C does carry the report's
typed place name, and staff on the report page do get the note.
"""
from __future__ import annotations

import base64
import itertools
import os
import zipfile
from pathlib import Path

import pytest
import requests

import forms
from fieldapp import voice
from jaga_desa.testing.dashboard import sign_in
from jaga_desa.testing.servers import OfficeServer
from jaga_desa.testing.voice import speech_like_pcm
from tests.handover.conftest import DESA_A, Seeded, move_to
from tests.support import enroll
from office import regions

STAFF_PASSWORD = "kata-sandi-uji-suara"
PLACE = "Dermaga SUARA4417"
EXPORTS = ["format=csv", "format=csv&group=terlibat", "format=xlsx", "format=geojson"]


def _marks(att_id: str, note: bytes) -> list[bytes]:
    """What would betray a note: its id, its container, any slice of its audio in any encoding."""
    mid = len(note) // 2
    piece = note[mid:mid + 48]
    b64 = base64.b64encode(note).decode()
    return [att_id.encode(), att_id.upper().encode(), b"OpusHead", b"OpusTags", b"OggS", piece, piece.hex().encode(),
            b64[len(b64) // 2:len(b64) // 2 + 64].encode(), base64.b64encode(piece)[4:60]]


@pytest.fixture(scope="module")
def voice_office(tmp_path_factory):
    server = OfficeServer(tmp_path_factory.mktemp("voice") / "office").start()
    try:
        server.admin(["add-village", "--code", DESA_A])
        os.environ["JAGA_PASSWORD"] = STAFF_PASSWORD
        server.admin(["add-staff", "--username", "admin", "--role", "admin"])
        siti, client = enroll(server, regions.get(DESA_A).name, "volunteer", "Siti Suara")
        notes = {}
        for form_id, text_field in (("laporan_kecurigaan", "tempat"), ("laporan_darurat", "apa_terjadi")):
            form = forms.load(form_id)
            note = voice.encode(speech_like_pcm(15))
            att_id = os.urandom(16).hex()
            answers = form.example()
            answers.pop("apa_dilihat", None)               # answered by voice instead
            answers.update({"suara": [att_id], text_field: PLACE, "rahasia": "tidak"})
            assert form.validate(answers) == {}
            sealed = siti.report(answers=answers, form_id=form.id, form_version=form.version,
                                 attachments={att_id: note})
            got = client.push([sealed.envelope])[0]
            assert got["status"] == "accepted", got
            assert client.put_attachment(sealed.envelope_id, att_id, sealed.blobs[att_id])["complete"]
            notes[sealed.envelope_id] = (att_id, note)
        client.close()
        seeded = Seeded(server)
        move_to(server.data_dir, list(notes), seeded.today)    # a week tier A may release
        yield seeded, notes
    finally:
        server.stop()


def _leaks(blob: bytes, notes: dict) -> list[str]:
    return [f"{eid[:8]}:{m[:20]!r}" for eid, (att, note) in notes.items() for m in _marks(att, note) if m in blob]


def test_staff_play_the_note_on_the_report_page(voice_office):
    seeded, notes = voice_office
    s = sign_in(seeded.server.url, "admin", STAFF_PASSWORD)
    for eid, (att_id, note) in notes.items():
        r = s.get(f"{seeded.server.url}/dashboard/reports/{eid}/voice/{att_id}", timeout=60)
        assert r.status_code == 200 and r.content == note and r.headers["content-type"] == "audio/ogg"
        assert r.headers["cache-control"] == "no-store" and r.headers["accept-ranges"] == "bytes"
        tail = s.get(f"{seeded.server.url}/dashboard/reports/{eid}/voice/{att_id}", headers={"Range": "bytes=-100"},
                     timeout=60)                        # the browser reads the length off the last page
        assert tail.status_code == 206 and tail.content == note[-100:]
        assert tail.headers["content-range"] == f"bytes {len(note) - 100}-{len(note) - 1}/{len(note)}"
        assert f"/voice/{att_id}" in s.get(f"{seeded.server.url}/dashboard/reports/{eid}", timeout=60).text
        assert s.get(f"{seeded.server.url}/dashboard/reports/{eid}/photos/{att_id}", timeout=60).status_code == 404
    # the photo door does not serve a note by another name (only the voice door, audited as a play)
    assert requests.get(f"{seeded.server.url}/dashboard/reports/{eid}/voice/{att_id}",
                        allow_redirects=False, timeout=60).status_code == 303          # signed out


@pytest.mark.parametrize("rahasia,free_text", list(itertools.product([False, True], repeat=2)))
def test_no_partner_token_reads_a_note_or_its_id(voice_office, rahasia, free_text):
    seeded, notes = voice_office
    argv = ["api-token", "issue", "--username", "admin"] + (["--rahasia"] if rahasia else []) \
        + (["--free-text"] if free_text else [])
    h = {"Authorization": f"Bearer {seeded.server.admin(argv).strip()}"}
    listed = requests.get(f"{seeded.server.url}/api/v1/partner/reports", headers=h, timeout=60)
    assert listed.status_code == 200 and {i["envelope_id"] for i in listed.json()["items"]} >= set(notes)
    assert not _leaks(listed.content, notes)
    for eid in notes:
        got = requests.get(f"{seeded.server.url}/api/v1/partner/reports/{eid}", headers=h, timeout=60)
        assert got.status_code == 200, got.text
        assert "suara" not in got.json()["answers"]
        assert not _leaks(got.content, notes), got.text[:500]
        if free_text:                                   # positive control: granted text is there
            assert PLACE in got.text
        for path in (f"/dashboard/reports/{eid}/voice/{notes[eid][0]}", f"/dashboard/reports/{eid}/photos/{notes[eid][0]}"):
            r = requests.get(seeded.server.url + path, headers=h, allow_redirects=False, timeout=60)
            assert r.status_code == 303 and not _leaks(r.content, notes)
    for query in EXPORTS:
        r = requests.get(f"{seeded.server.url}/dashboard/export?{query}", headers=h, allow_redirects=False, timeout=60)
        assert r.status_code == 303 and not _leaks(r.content, notes)


def test_staff_exports_count_a_note_and_never_name_it(voice_office):
    seeded, notes = voice_office
    s = sign_in(seeded.server.url, "admin", STAFF_PASSWORD)
    for query in EXPORTS:
        r = s.get(f"{seeded.server.url}/dashboard/export?{query}", timeout=120)
        assert r.status_code == 200, (query, r.text[-300:])
        blobs = [r.content]
        if "xlsx" in query:
            with zipfile.ZipFile(__import__("io").BytesIO(r.content)) as z:
                blobs += [z.read(n) for n in z.namelist()]
        for blob in blobs:
            assert not _leaks(blob, notes), query
    assert PLACE in s.get(f"{seeded.server.url}/dashboard/export?format=csv", timeout=120).text   # control


@pytest.mark.parametrize("tier", ["A", "B", "C"])
def test_no_hand_over_package_carries_a_note_or_its_id(voice_office, tmp_path, tier):
    seeded, notes = voice_office
    extra = ["--recipient", "Polres Nunukan"]
    if tier == "C":
        extra += ["--reason", "LP/9/XII/2026: penyidikan TPPO"] + [a for eid in notes for a in ("--report", eid)]
    out = seeded.export(tier, tmp_path / f"{tier}.zip", *extra)
    blobs = [out.read_bytes()]
    with zipfile.ZipFile(out) as z:
        blobs += [z.read(n) for n in z.namelist()]
    for blob in blobs:
        assert not _leaks(blob, notes), tier
    if tier == "C":                                    # positive control: the referred reports are in it
        assert any(PLACE.encode() in b for b in blobs)


def test_the_leak_scan_can_fail(voice_office):
    _, notes = voice_office
    eid, (att_id, note) = next(iter(notes.items()))
    assert _leaks(b"x" + note + b"y", notes) and _leaks(att_id.encode(), notes)
    assert _leaks(base64.b64encode(note), notes)
