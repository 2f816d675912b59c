"""Red team, round 4: voice notes' door, the offline app's photo scrub, the new search index.

Each test is an attack written as the attacker would run it against the real office (uvicorn
over loopback, real SQLite, real sealed reports) or, for photos, against the bytes the phone
stores (photos.pixels_only, the check every offline-app photo passes before it is sealed).
"""
from __future__ import annotations

import io
import os
import sqlite3
import struct

import pytest
import requests

from fieldapp.photos import PhotoError, pixels_only
from jaga_desa.testing.servers import OfficeServer
from tests.adversarial.test_redteam_voice import voice_office  # noqa: F401  (a module fixture)
from tests.dashboard.conftest import dash  # noqa: F401  (a module fixture)
from tests.fieldapp.conftest import device, office, volunteer  # noqa: F401  (the phone's store, an office key)

SECRET = b"RAHASIA-GPS-1.2345,109.8765-NamaPemilik"

# ---------------------------------------------------------------- 1. voice notes

HOSTILE_RANGES = ["bytes=-0", "bytes=999999999-", "bytes=0-1,5-9", "bytes=-5-", "bytes=5-2", "bytes=--1",
                  "bytes=-", "bytes=0--1", "bytes= 0-0", "bytes=0-" + "9" * 5000, "bytes=" + "9" * 5000 + "-",
                  "bytes=-" + "9" * 5000, "bytes=\u00b2-", "bytes=0-\u00b3", "bytes=-\u00b9",
                  "bytes=0-0\u00b2", "bytes=1_0-", "bytes=+5-", "bytes=0x10-", "items=0-5", "bytes=0-0"]


@pytest.mark.parametrize("rng", HOSTILE_RANGES, ids=range(len(HOSTILE_RANGES)))
def test_a_hostile_range_header_never_5xx_nor_reads_outside_the_note(voice_office, rng):  # noqa: F811
    seeded, notes = voice_office
    from jaga_desa.testing.dashboard import sign_in
    from tests.adversarial.test_redteam_voice import STAFF_PASSWORD
    s = sign_in(seeded.server.url, "admin", STAFF_PASSWORD)
    eid, (att_id, note) = next(iter(notes.items()))
    r = s.get(f"{seeded.server.url}/dashboard/reports/{eid}/voice/{att_id}",
              headers={"Range": rng.encode("latin-1")}, timeout=60)
    assert r.status_code in (200, 206, 416), (rng[:40], r.status_code, r.text[:200])
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["cache-control"] == "no-store"
    if r.status_code == 200:
        assert r.content == note
    elif r.status_code == 206:
        start, end = map(int, r.headers["content-range"].split()[1].split("/")[0].split("-"))
        assert r.content == note[start:end + 1] and 0 <= start <= end < len(note)


def test_a_voice_id_bent_out_of_shape_is_not_a_5xx(voice_office):  # noqa: F811
    """The office looks the attachment up by the id's first 32 characters: a longer id, an
    upper-case one, a path-ish one must each be a plain not-found (or the same note), never 5xx."""
    seeded, notes = voice_office
    from jaga_desa.testing.dashboard import sign_in
    from tests.adversarial.test_redteam_voice import STAFF_PASSWORD
    s = sign_in(seeded.server.url, "admin", STAFF_PASSWORD)
    eid, (att_id, note) = next(iter(notes.items()))
    for bent in (att_id + "00", att_id + "x" * 5000, att_id.upper(), att_id[:31], "..%2f" + att_id,
                 att_id + "%00", "%00" * 16, os.urandom(16).hex()):
        r = s.get(f"{seeded.server.url}/dashboard/reports/{eid}/voice/{bent}", timeout=60)
        assert r.status_code < 500, (bent[:40], r.status_code)
        assert r.status_code != 200 or r.content == note


def test_staff_of_another_region_cannot_play_or_probe_an_attachment(dash):  # noqa: F811
    """intel_kh (Kapuas Hulu) guesses the Sanggau report's attachment id at the voice door."""
    kh = dash.login("intel_kh")
    eid = dash.reports["urgent"]
    for att in (dash.att_id, os.urandom(16).hex()):
        r = kh.get(f"{dash.url}/dashboard/reports/{eid}/voice/{att}", allow_redirects=False, timeout=60)
        assert r.status_code in (403, 404) and dash.photo not in r.content, r.status_code
    # ...nor through a report of its own region with the other report's attachment id, nor
    # by a staff member with no region at all
    own = dash.reports["other_region"]
    for door in ("voice", "photos"):
        r = kh.get(f"{dash.url}/dashboard/reports/{own}/{door}/{dash.att_id}", allow_redirects=False, timeout=60)
        assert r.status_code == 404 and dash.photo not in r.content, (door, r.status_code)
        r = dash.login("intel_none").get(f"{dash.url}/dashboard/reports/{eid}/{door}/{dash.att_id}",
                                         allow_redirects=False, timeout=60)
        assert r.status_code in (403, 404) and dash.photo not in r.content, (door, r.status_code)
    # control: the region's own intel reaches the report, and the voice door refuses a photo
    sgu = dash.login("intel_sgu")
    assert sgu.get(f"{dash.url}/dashboard/reports/{eid}/photos/{dash.att_id}", timeout=60).content == dash.photo
    assert sgu.get(f"{dash.url}/dashboard/reports/{eid}/voice/{dash.att_id}", timeout=60).status_code == 404


def _staff(seeded):
    from jaga_desa.testing.dashboard import sign_in
    from tests.adversarial.test_redteam_voice import STAFF_PASSWORD
    return sign_in(seeded.server.url, "admin", STAFF_PASSWORD)


HOSTILE_NOTES = {"ogg_then_html": b"OggS<html><script>document.title='pwned'</script></html>",
                 "html": b"<!doctype html><html><script>alert(1)</script></html>",
                 "svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
                 "js": b"alert(document.cookie)//" + b"A" * 64}


def test_a_rogue_phone_cannot_get_a_voice_note_served_as_something_a_browser_runs(voice_office):  # noqa: F811
    """A phone (or anyone holding an enrolled key) seals a report whose voice answer is HTML,
    SVG or script, pushes it with its attachment, and staff open the note: each door answers
    with a type no browser executes, nosniff, no caching and a CSP that runs no inline script."""
    import forms
    from office import regions
    from tests.handover.conftest import DESA_A
    from tests.support import enroll
    seeded, _ = voice_office
    rogue, client = enroll(seeded.server, regions.get(DESA_A).name, "volunteer", "Rogue Suara")
    form = forms.load("laporan_kecurigaan")
    s = _staff(seeded)
    try:
        for name, body in HOSTILE_NOTES.items():
            att = os.urandom(16).hex()
            answers = {**form.example(), "suara": [att], "rahasia": "tidak"}
            answers.pop("apa_dilihat", None)
            sealed = rogue.report(answers=answers, form_id=form.id, form_version=form.version, attachments={att: body})
            assert client.push([sealed.envelope])[0]["status"] == "accepted"
            client.put_attachment(sealed.envelope_id, att, sealed.blobs[att])
            for door in ("voice", "photos"):
                r = s.get(f"{seeded.server.url}/dashboard/reports/{sealed.envelope_id}/{door}/{att}", timeout=60)
                assert r.status_code in (200, 404), (name, door, r.status_code)
                ctype = r.headers.get("content-type", "")
                if r.status_code == 404:                # the dashboard's own error page, not the file
                    assert body not in r.content and body[4:40] not in r.content, (name, door)
                else:
                    assert not any(t in ctype for t in ("html", "svg", "xml", "javascript")), (name, door, ctype)
                assert r.headers["x-content-type-options"] == "nosniff" and r.headers["cache-control"] == "no-store"
                assert "script-src 'unsafe-inline'" not in r.headers.get("content-security-policy", "x")
                if r.status_code == 200:
                    assert ctype in ("audio/ogg", "application/octet-stream"), (name, door, ctype)
    finally:
        client.close()


def test_every_read_of_a_voice_note_leaves_an_audit_entry(voice_office):  # noqa: F811
    """`play_voice` was written only for a read from byte 0 (so the browser's tail probe is not
    a second play): `Range: bytes=1-` took the whole note but its first byte — the "O" of
    OggS — with no audit entry."""
    seeded, notes = voice_office
    s = _staff(seeded)
    eid, (att_id, note) = list(notes.items())[-1]       # a note the range attacks above did not play

    def plays() -> int:
        with sqlite3.connect(seeded.server.data_dir / "office.db", timeout=30) as db:
            return db.execute("SELECT count(*) FROM dash_audit WHERE action='play_voice' AND target=?",
                              (eid,)).fetchone()[0]
    before = plays()
    r = s.get(f"{seeded.server.url}/dashboard/reports/{eid}/voice/{att_id}", headers={"Range": "bytes=1-"}, timeout=60)
    assert r.status_code == 206 and b"O" + r.content == note          # the whole note, for the listener
    assert plays() == before + 1, "the note was read without an audit entry"
    # ...while one play stays one entry: its tail read just after is the same play
    s.get(f"{seeded.server.url}/dashboard/reports/{eid}/voice/{att_id}", headers={"Range": "bytes=-100"}, timeout=60)
    assert plays() == before + 1


# ---------------------------------------------------------------- 2. offline-app photos


def _jpeg(size=(64, 48)) -> bytes:
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", size, (20, 120, 200)).save(out, "JPEG", quality=80)
    return out.getvalue()


def _seg(marker: int, body: bytes) -> bytes:
    return b"\xff" + bytes([marker]) + struct.pack(">H", len(body) + 2) + body


def _after_soi(jpeg: bytes, *segments: bytes) -> bytes:
    return jpeg[:2] + b"".join(segments) + jpeg[2:]


def _exif() -> bytes:
    from PIL import Image
    img = Image.new("RGB", (8, 8))
    ex = img.getexif()
    ex[0x010F] = SECRET.decode()     # Make
    ex[0x013B] = SECRET.decode()     # Artist
    return b"Exif\x00\x00" + ex.tobytes()


def _smuggled():
    inner = _after_soi(_jpeg((8, 8)), _seg(0xFE, SECRET))
    base = _jpeg()
    return {
        "exif_app1": _after_soi(base, _seg(0xE1, _exif())),
        "xmp_app1": _after_soi(base, _seg(0xE1, b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>" + SECRET + b"</x:xmpmeta>")),
        "comment": _after_soi(base, _seg(0xFE, SECRET)),
        "every_appn": _after_soi(base, *[_seg(m, SECRET) for m in range(0xE0, 0xF0)]),
        "icc_with_text": _after_soi(base, _seg(0xE2, b"ICC_PROFILE\x00\x01\x01" + b"desc" + SECRET * 3)),
        "trailing_after_eoi": base + SECRET,
        "jpeg_in_app": _after_soi(base, _seg(0xE3, inner)),
        "jpeg_after_eoi": base + inner,
        "comment_between_tables": base[:2] + base[2:].replace(b"\xff\xdb", _seg(0xFE, SECRET) + b"\xff\xdb", 1),
        "padded_sof": _pad(base, 0xC0),
        "padded_sos": _pad(base, 0xDA),
        "padded_dqt": _pad(base, 0xDB),
        "padded_dht": _pad(base, 0xC4),
    }


def _pad(jpeg: bytes, marker: int) -> bytes:
    """The first `marker` segment with SECRET appended inside its length (a decoder reads
    the fields it needs and skips the rest)."""
    i = 2
    while True:
        m, length = jpeg[i + 1], struct.unpack(">H", jpeg[i + 2:i + 4])[0]
        if m == marker:
            body = jpeg[i + 4:i + 2 + length] + SECRET
            return jpeg[:i] + _seg(marker, body) + jpeg[i + 2 + length:]
        i += 2 + length


SMUGGLED = _smuggled()


@pytest.mark.parametrize("name", [n for n in SMUGGLED if not n.startswith("padded_")])
def test_pixels_only_drops_every_metadata_carrier(name):
    from PIL import Image
    clean = pixels_only(SMUGGLED[name])
    assert SECRET not in clean and SECRET[:12] not in clean, name
    assert clean.count(b"\xff\xd8") == 1 and clean.endswith(b"\xff\xd9")
    assert Image.open(io.BytesIO(clean)).size == (64, 48)          # still the picture


@pytest.mark.parametrize("marker", ["sof", "sos", "dqt", "dht"])
def test_pixels_only_refuses_text_padded_inside_a_picture_segment(marker):
    """A picture segment longer than its fields: the rest is a hidden payload that a decoder
    skips and pixels_only copied verbatim into the sealed photo."""
    bad = SMUGGLED[f"padded_{marker}"]
    try:
        clean = pixels_only(bad)
    except PhotoError:
        return
    assert SECRET not in clean


@pytest.mark.parametrize("name", ["every_appn", "jpeg_in_app", "icc_with_text", "padded_sos"])
def test_the_device_without_pillow_seals_no_smuggled_bytes(device, volunteer, office, monkeypatch, name):  # noqa: F811
    """The offline app's store path (no Pillow, as in Pyodide): the crafted photo goes to
    Device.add_photo; either it is refused with nothing stored, or the sealed envelope that
    reaches the office opens to a photo without the payload."""
    import sys

    import forms
    from sync import envelope
    monkeypatch.setitem(sys.modules, "PIL", None)
    form = forms.load("laporan_kecurigaan")
    answers = form.example()
    photo_field = next(f.name for f in form.fields if f.type == "photo")
    rid = device.new_draft(volunteer, form.id, answers)
    try:
        att, _ = device.add_photo(volunteer, rid, SMUGGLED[name])
    except PhotoError:
        assert name.startswith("padded_") and device.db["attachments"].count == 0
        return
    assert not name.startswith("padded_"), "a padded picture segment was stored"
    device.save_draft(volunteer, rid, {**answers, photo_field: [att]})
    device.finalize(volunteer, rid)
    [item] = device.pending()
    assert SECRET not in item.envelope and all(SECRET not in b for b in item.blobs.values())
    opened = envelope.open(item.envelope, recipient_key=office.x, author_public=volunteer.ed25519.public_key())
    photo = opened.attachment(att, item.blobs[att])
    assert photo.startswith(b"\xff\xd8") and SECRET not in photo and SECRET[:12] not in photo


def test_the_photo_scan_can_fail():
    assert SECRET in SMUGGLED["comment"] and SECRET in SMUGGLED["trailing_after_eoi"]
    assert SECRET not in pixels_only(_jpeg())
    with pytest.raises(PhotoError):
        pixels_only(b"\xff\xd8" + _seg(0x01, b"x") + b"\xff\xd9")


# ---------------------------------------------------------------- 3. search index

FTS_SYNTAX = ['"', '""', '"kelapa', 'kelapa"', 'NEAR(kelapa balai)', 'kelapa NEAR balai', '*', 'kel*', '^kelapa',
              'terms:kelapa', '{terms}: kelapa', '-kelapa', 'kelapa OR perahu', 'NOT kelapa', 'kelapa AND',
              '(', ')', '+', "'", "' OR 1=1 --", "kelapa\x00perahu", "\x00", "a" * 20000,
              " ".join(["kelapa"] * 3000), "perahu OR kelapa", '"perahu" OR "kelapa"', "\u202e\u0000\ufffd",
              "𝕜𝕖𝕝𝕒𝕡𝕒", "ｋｅｌａｐａ", " ".join(f"kata{i}" for i in range(500))]


def test_fts_syntax_in_the_search_box_never_5xx_nor_crosses_the_region(dash):  # noqa: F811
    sgu = dash.login("intel_sgu")
    other = dash.reports["other_region"]
    for q in FTS_SYNTAX:
        r = sgu.get(f"{dash.url}/dashboard/", params={"q": q}, timeout=120)
        assert r.status_code in (200, 400, 422), (q[:40], r.status_code, r.text[-300:])
        assert other not in r.text and other[:12] not in r.text, q[:40]
        for fmt in ("csv",):
            e = sgu.get(f"{dash.url}/dashboard/export", params={"format": fmt, "q": q}, timeout=120)
            assert e.status_code in (200, 400, 422) and other not in e.text, (q[:40], e.status_code)
    # control: the region's own words find its own report; the other region's words find nothing
    assert dash.reports["calm"] in sgu.get(f"{dash.url}/dashboard/", params={"q": "kelapa"}, timeout=60).text
    assert dash.reports["calm"] not in sgu.get(f"{dash.url}/dashboard/", params={"q": "zzqqxx"}, timeout=60).text


def test_fts_syntax_through_the_partner_api_never_5xx(dash):  # noqa: F811
    token = dash.server.admin(["api-token", "issue", "--username", "intel_sgu", "--free-text"]).strip()
    h = {"Authorization": f"Bearer {token}"}
    for q in FTS_SYNTAX:
        r = requests.get(f"{dash.url}/api/v1/partner/reports", params={"q": q}, headers=h, timeout=120)
        assert r.status_code in (200, 400, 422), (q[:40], r.status_code, r.text[:300])
        if r.status_code == 200:
            assert dash.reports["other_region"] not in r.text


def test_the_search_index_holds_no_plaintext_word(dash):  # noqa: F811
    """Read the database file as a thief would: every table and FTS5 shadow table that the
    index uses, raw pages too, for the reports' words."""
    words = [b"kelapa", b"pemalsuan", b"perahu", b"muara", b"sungai", b"balai"]
    with sqlite3.connect(dash.server.data_dir / "office.db", timeout=30) as db:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 'dash_search%'")]
        assert "dash_search_fts" in tables
        for t in tables:
            for row in db.execute(f'SELECT * FROM "{t}"'):
                blob = b"|".join(v if isinstance(v, bytes) else str(v).encode() for v in row)
                assert not [w for w in words if w in blob.lower()], t
    # control: the same scan finds a word planted in a search table
    assert any(w in b"x kelapa y" for w in words)


def test_a_report_reclassified_rahasia_is_not_found_by_its_old_words(dash):  # noqa: F811
    """A token with free-text but no rahasia grant searches the words of a report before and
    after staff mark it rahasia."""
    token = dash.server.admin(["api-token", "issue", "--username", "admin", "--free-text"]).strip()
    h = {"Authorization": f"Bearer {token}"}
    eid = dash.reports["other_region"]

    def found():
        r = requests.get(f"{dash.url}/api/v1/partner/reports", params={"q": "perahu muara"}, headers=h, timeout=60)
        assert r.status_code == 200, r.text
        return eid in {i["envelope_id"] for i in r.json()["items"]}
    assert found()                                           # control: before, its words find it
    admin = dash.login("admin")
    r = admin.post(f"{dash.url}/dashboard/reports/{eid}/rahasia",
                   data={"csrf": admin.csrf, "rahasia": "1", "note": "uji tim merah"}, timeout=60)
    assert r.status_code in (200, 303)
    try:
        assert not found()
        d = requests.get(f"{dash.url}/api/v1/partner/reports/{eid}", headers=h, timeout=60)
        assert d.status_code in (403, 404) and "Perahu" not in d.text
    finally:
        admin.post(f"{dash.url}/dashboard/reports/{eid}/rahasia",
                   data={"csrf": admin.csrf, "rahasia": "0", "note": "kembali"}, timeout=60)


# ---------------------------------------------------------------- same bug, other doors
# The Range header's "²" (str.isdigit() says yes, int() raises) works on any page that
# checks a number with isdigit() alone.


@pytest.mark.parametrize("path", ["/dashboard/signals?page=%C2%B2", "/dashboard/signals?page=" + "9" * 5000,
                                  "/dashboard/alerts?villages=1,%C2%B2", "/dashboard/alerts?villages=%D9%A3"])
def test_a_unicode_digit_in_a_page_number_is_not_a_5xx(dash, path):  # noqa: F811
    admin = dash.login("admin")
    r = admin.get(dash.url + path, timeout=60)
    assert r.status_code in (200, 400, 422), (path[:60], r.status_code, r.text[:200])


@pytest.fixture(scope="module")
def pg_dash(tmp_path_factory, postgres_server):
    """The same attack on PostgreSQL (the GIN array path): two regions, a report in each."""
    import forms
    from tests.dashboard.conftest import PASSWORD, seal_report
    from tests.support import enroll
    server = OfficeServer(tmp_path_factory.mktemp("pg") / "office", postgres_server("red3_search")).start()
    try:
        server.admin(["add-village", "--name", "Entikong", "--region", "Sanggau"])
        server.admin(["add-village", "--name", "Badau", "--region", "Kapuas Hulu"])
        os.environ["JAGA_PASSWORD"] = PASSWORD
        server.admin(["add-staff", "--username", "intel_sgu", "--role", "intel", "--region", "Sanggau"])
        lap = forms.load("laporan_kecurigaan", 1).example()
        ids = {}
        for village, text in (("Entikong", "kebun kelapa belakang balai"), ("Badau", "perahu motor di muara")):
            person, client = enroll(server, village, "volunteer", f"Relawan {village}")
            sealed = seal_report(person, "laporan_kecurigaan", {**lap, "apa_dilihat": text})
            assert client.push([sealed.envelope])[0]["status"] == "accepted"
            client.close()
            ids[village] = sealed.envelope_id
        server.derived()
        yield server, ids
    finally:
        server.stop()


def test_fts_syntax_on_postgresql_never_5xx_nor_crosses_the_region(pg_dash):
    from jaga_desa.testing.dashboard import sign_in
    from tests.dashboard.conftest import PASSWORD
    server, ids = pg_dash
    sgu = sign_in(server.url, "intel_sgu", PASSWORD)
    for q in FTS_SYNTAX:
        r = sgu.get(f"{server.url}/dashboard/", params={"q": q}, timeout=120)
        assert r.status_code in (200, 400, 422), (q[:40], r.status_code, r.text[-300:])
        assert ids["Badau"] not in r.text, q[:40]
    assert ids["Entikong"] in sgu.get(f"{server.url}/dashboard/", params={"q": "kelapa"}, timeout=60).text   # control
    assert ids["Entikong"] not in sgu.get(f"{server.url}/dashboard/", params={"q": "perahu"}, timeout=60).text
