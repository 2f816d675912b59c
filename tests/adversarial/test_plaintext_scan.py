"""End to end: canary strings filed through `main.py device ... file` (plus a photo whose
EXIF carries canaries), synced to a real office, reviewed by the village head with a
canary note. Then every byte of the phone's data dir, the office's data dir (office.db,
-wal, -shm, keys, anything else) and the office's captured stdout/stderr is scanned:
no canary anywhere, in any common encoding. The office must hold the photo, sealed,
and — opened with the office key — the photo must carry no EXIF at all.
"""
from __future__ import annotations

import base64
import io
import secrets
import sqlite3
from pathlib import Path

import pytest
from PIL import Image

from sync import envelope as env
from office import keys as office_keys

from .conftest import HEAD_PIN, PIN, Phone, start_office


def canary(tag: str) -> str:
    return f"KANARI{tag}{secrets.token_hex(6).upper()}"


def encodings(text: str) -> list[bytes]:
    raw = text.encode()
    out = [raw, raw.lower(), text.encode("utf-16-le"), text.encode("utf-16-be"),
           text.encode("unicode_escape")]
    for shift in range(3):        # base64 of the canary at every alignment
        b = base64.b64encode(b"\x00" * shift + raw)[4 if shift else 0:-4]
        out.append(b)
    return [o for o in out if len(o) >= 8]


def scan(paths: list[Path], canaries: list[str]) -> list[str]:
    hits = []
    for root in paths:
        files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
        for f in files:
            data = f.read_bytes()
            for c in canaries:
                for enc in encodings(c):
                    if enc in data:
                        hits.append(f"{c} in {f}")
                        break
    return hits


GPS_IFD = 0x8825
WHERE = {1: "N", 2: (4.0, 8.0, 13.0), 3: "E", 4: (117.0, 39.0, 54.0)}     # Sebatik, in EXIF's GPS block


def exif_photo(path: Path, artist: str, make: str, comment: str, xmp: str, size: tuple[int, int] = (320, 240)) -> Path:
    """A JPEG whose EXIF (with a GPS position), comment and XMP carry the canaries."""
    img = Image.new("RGB", size, (200, 30, 30))
    for x in range(0, size[0], 37):            # some detail, so JPEG has work to do
        img.paste((x % 255, 90, 160), (x, 0, x + 9, size[1]))
    exif = Image.Exif()
    exif[0x013B] = artist         # Artist
    exif[0x010F] = make           # Make
    exif[0x0110] = make + "-MODEL"  # Model
    exif.get_ifd(GPS_IFD).update(WHERE)
    packet = (f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
              f'22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" '
              f'dc:creator="{xmp}"/></rdf:RDF></x:xmpmeta>')
    img.save(path, "JPEG", exif=exif.tobytes(), comment=comment.encode(), xmp=packet.encode())
    raw = path.read_bytes()
    for c in (artist, make, comment, xmp):               # the canaries really are in the file
        assert c.encode() in raw, c
    assert Image.open(path).getexif().get_ifd(GPS_IFD) == WHERE      # and so is the GPS position
    return path


def office_photo(office_data: Path, envelope_id: str) -> tuple[dict, bytes]:
    """The report's payload and its (one) photo as the office opens them with its own key,
    from the pieces the office stored (issue 12)."""
    db = sqlite3.connect(office_data / "office.db")
    try:
        data, author = db.execute(
            "SELECT e.data, p.ed25519_public FROM envelopes e JOIN persons p ON p.id=e.author_id "
            "WHERE e.id=?", (envelope_id,)).fetchone()
        att_id, complete = db.execute(
            "SELECT att_id, complete FROM attachments WHERE envelope_id=?", (envelope_id,)).fetchone()
        blob = b"".join(bytes(d) for (d,) in db.execute(
            "SELECT data FROM attachment_chunks WHERE envelope_id=? AND att_id=? ORDER BY offset",
            (envelope_id, att_id)))
    finally:
        db.close()
    assert complete and blob
    keys = office_keys.load_or_create(office_data, office_keys.os.environ["JAGA_OFFICE_KEY"])
    opened = env.open(data, recipient_key=keys.x25519, author_public=env.load_public_ed25519(author))
    return opened.payload, opened.attachment(att_id, blob)


def assert_no_metadata(jpeg: bytes, canaries: list[str]) -> Image.Image:
    """What the office opened: a JPEG with no EXIF (so no GPS), no comment/XMP/ICC, no canary."""
    assert not scan_bytes(jpeg, canaries)
    img = Image.open(io.BytesIO(jpeg))
    assert img.format == "JPEG" and not img.getexif() and not img.getexif().get_ifd(GPS_IFD)
    assert not {"comment", "xmp", "icc_profile", "exif"} & set(img.info), img.info
    return img


def test_scanner_finds_a_planted_canary(tmp_path):
    """Positive control: the scanner is able to fail."""
    c = canary("CTRL")
    (tmp_path / "a.db").write_bytes(b"\x00junk" + c.encode("utf-16-le") + b"junk")
    (tmp_path / "b.log").write_bytes(base64.b64encode(b"xy" + c.encode()))
    assert len(scan([tmp_path], [c])) == 2
    assert scan([tmp_path], [canary("NONE")]) == []


def test_no_plaintext_anywhere_after_the_whole_trip(tmp_path):
    office = start_office(tmp_path / "office")
    try:
        phone = Phone(tmp_path / "phone", office)
        phone.setup("Pak Kades", "head", HEAD_PIN)
        phone.setup("Siti", "volunteer", PIN)
        c = {k: canary(k) for k in ("APA", "TEMPAT", "PELAKU", "LAIN", "RAHASIA", "NOTE",
                                    "ARTIST", "MAKE", "COMMENT", "XMP", "NAMA", "AKUN", "KAPAL")}
        photo = exif_photo(tmp_path / "foto.jpg", c["ARTIST"], c["MAKE"], c["COMMENT"], c["XMP"])
        import forms
        base = forms.load("laporan_kecurigaan").example()
        first = phone.file({**base, "apa_dilihat": f"Perekrut {c['APA']} menawarkan kerja",
                            "tempat": f"Dermaga {c['TEMPAT']}", "ciri_ciri": f"Pak {c['PELAKU']}",
                            # v2: identifiers in a repeat entry (the office keeps only keyed HMACs)
                            "terlibat": [{"peran": "calo", "nama": f"Pak {c['NAMA']}",
                                          "akun_medsos": f"@{c['AKUN'].lower()}", "kapal": f"KM {c['KAPAL']}"}],
                            "kategori": "lainnya", "kategori_lainnya": c["LAIN"], "rahasia": "tidak",
                            "lokasi": {"lat": 4.1234567, "lon": 117.7654321, "accuracy": 12.5}},
                           photos=[photo])
        phone.file({**base, "apa_dilihat": f"Kapal malam {c['RAHASIA']} di jalur tikus",
                    "rahasia": "ya"})
        canaries = list(c.values())

        before = scan([phone.data], canaries)
        assert before == [], before                           # sealed in the outbox, nothing readable

        r1 = phone.sync()
        assert r1["ok"] and r1["received"] == 2 and r1["attachments"] == 1, r1
        phone.sync()                                          # pull the head's review request
        inbox = phone.json("inbox", "--user", "Pak Kades", pin=HEAD_PIN)
        item = next(r for r in inbox["reviews"] if r.get("envelope_id") == first["envelope_id"])
        assert c["APA"] in item["answers"]["apa_dilihat"]    # the head can read it (recipient)
        assert not any(c["RAHASIA"] in str(r.get("answers")) for r in inbox["reviews"])
        phone.run("review", "--user", "Pak Kades", "--item", item["item_id"], "--verdict", "verified",
                  "--note", f"Benar, {c['NOTE']}", pin=HEAD_PIN)
        r3 = phone.sync()
        assert r3["ok"] and r3["reviews"] == 1, r3
        assert {r["state"] for r in phone.outbox()} == {"received"}

        # the office holds the photo, sealed, and it opens without any EXIF
        db = sqlite3.connect(office.data_dir / "office.db")
        assert db.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == 1
        db.close()
        payload, jpeg = office_photo(office.data_dir, first["envelope_id"])
        assert c["APA"] in payload["answers"]["apa_dilihat"]     # the office can read it
        assert_no_metadata(jpeg, canaries)

        assert (office.data_dir / "office.db-wal").exists()   # the live WAL is scanned too
        paths = [phone.data, office.data_dir, office.log_path]
        hits = scan(paths, canaries)                          # office running: -wal/-shm present
        assert hits == [], hits
    finally:
        office.stop()
    hits = scan([phone.data, office.data_dir, office.log_path], canaries)
    assert hits == [], hits
    assert office.log_path.exists() and (office.data_dir / "office.db").exists()


def scan_bytes(data: bytes, canaries: list[str]) -> list[str]:
    return [c for c in canaries if any(e in data for e in encodings(c))]
