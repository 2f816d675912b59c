"""Issue 24 item 4: a DARURAT report from an account revoked between sealing and sending is
refused — the phone is told, signed — but never vanishes: the office keeps it sealed in a
quarantine admins see, with the reason and her sentence. Written as the attackers too: a
stranger signing "emergencies" in the revoked person's name, and a revoked phone's backlog of
ordinary reports, must not fill that table; intel staff cannot open the page.
Real office under uvicorn, real sealed envelopes over HTTP."""
from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from jaga_desa.testing.dashboard import sign_in
from sync import envelope as env
from tests.support import enroll

PASSWORD = "kata-sandi-karantina-1"
SENTENCE = "Dua anak dibawa paksa ke perahu di dermaga utara"


def _darurat(person, signing_key=None) -> env.Sealed:
    payload = {"answers": {"apa_terjadi": SENTENCE, "urgensi": "darurat", "rahasia": "ya"},
               "flags": {"urgent": True}, "rahasia": True, "lang": "id", "zone": "WITA"}
    return env.seal(payload, form_id="laporan_darurat", form_version=1, author_id=person.id,
                    device_id=person.device_id, signing_key=signing_key or person.ed,
                    recipients=[person.office_x()])


def test_a_refused_emergency_is_kept_for_admins_with_its_reason(office_server, monkeypatch):
    monkeypatch.setenv("JAGA_PASSWORD", PASSWORD)
    office_server.admin(["add-village", "--name", "Sebatik Tengah", "--region", "Nunukan"])
    office_server.admin(["add-staff", "--username", "admin1", "--role", "admin"])
    office_server.admin(["add-staff", "--username", "intel1", "--role", "intel", "--region", "Nunukan"])
    siti, client = enroll(office_server, "Sebatik Tengah", "volunteer", "Siti")
    sealed = _darurat(siti)                                  # sealed while she was still enrolled
    ordinary = siti.report()
    forged = _darurat(siti, signing_key=Ed25519PrivateKey.generate())    # a stranger, in her name
    office_server.admin(["revoke", "--person", siti.id])     # ... revoked before the phone had signal

    results = client.push([sealed.envelope, ordinary.envelope, forged.envelope])
    assert [r["status"] for r in results] == ["rejected"] * 3
    assert results[0]["code"] == "revoked"                   # the phone is still told, and stops sending
    assert client.push([sealed.envelope])[0]["code"] == "revoked"      # a retry keeps one copy

    admin = sign_in(office_server.url, "admin1", PASSWORD)
    page = admin.get(f"{office_server.url}/dashboard/admin/quarantine")
    assert page.status_code == 200
    assert page.text.count(SENTENCE) == 1                    # hers once; no forgery, no ordinary report
    assert "revoked" in page.text and "Sebatik Tengah" in page.text and "Siti" in page.text
    assert 'href="/dashboard/admin/quarantine">Darurat yang ditolak <span class="badge red">1</span>' in page.text
    intel = sign_in(office_server.url, "intel1", PASSWORD)
    assert intel.get(f"{office_server.url}/dashboard/admin/quarantine").status_code == 403
    assert SENTENCE not in intel.get(f"{office_server.url}/dashboard/").text
