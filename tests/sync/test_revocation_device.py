"""Revocation from the dashboard, as an admin does it, against a real phone (fieldapp
Device, two people on it, enrolled through the CLI) and a real office (uvicorn subprocess):
one click only asks; a person can be revoked while the phone and the other person keep
working; the revoked person's phone learns it at the next sync with the office's time; a
whole revoked phone knows it without a PIN. A revoked head with a verdict still waiting
to go out is told too (the verdict no longer wedges the round)."""
from __future__ import annotations

import os

import requests

from core import localtime
from sync.runner import sync_round
from tests.dashboard.conftest import CSRF_RE, PASSWORD, csrf_of
from tests.sync.test_sync_device import HEAD_PIN, PIN, client_for, file_reports, make_phone


def _admin(server) -> requests.Session:
    os.environ["JAGA_PASSWORD"] = PASSWORD
    server.admin(["add-staff", "--username", "admin", "--role", "admin"])
    s = requests.Session()
    r = s.get(server.url + "/dashboard/login")
    r = s.post(server.url + "/dashboard/login", allow_redirects=False,
               data={"csrf": CSRF_RE.search(r.text).group(1), "username": "admin",
                     "password": PASSWORD, "next": "/dashboard/"})
    assert r.status_code == 303, r.text[:300]
    s.csrf = csrf_of(s.get(server.url + "/dashboard/").text)
    return s


def _revoked_at(server, table: str, key: str) -> str | None:
    import sqlite3
    with sqlite3.connect(server.data_dir / "office.db") as db:
        return db.execute(f"SELECT revoked_at FROM {table} WHERE id=?", (key,)).fetchone()[0]


def test_revoke_a_person_then_the_phone(office_server, tmp_path, monkeypatch):
    monkeypatch.setenv("JAGA_KDF_SECONDS", "0.02")
    dev, data, people = make_phone(office_server, tmp_path / "phone")
    admin = _admin(office_server)
    base = office_server.url + "/dashboard/admin"
    try:
        # the head has a verdict waiting to go out when he is revoked
        file_reports(dev, 1)
        assert sync_round(dev, client_for(dev)).ok
        head = dev.unlock("Kades", HEAD_PIN)
        [item] = [i for i in dev.review_items(head) if i.get("ok")]
        dev.review(head, item["item_id"], "verified", "benar")

        devices = admin.get(base + "/devices").text
        assert f'href="/dashboard/admin/persons/{people["Kades"]}/revoke"' in devices
        assert 'aria-label="Cabut orang ini: Kades"' in devices
        # one click only asks, names who stays active on the same phone, and changes nothing
        r = admin.post(f"{base}/persons/{people['Kades']}/revoke", data={"csrf": admin.csrf})
        assert r.status_code == 200 and "Cabut orang ini saja?" in r.text
        assert "Tetap aktif di ponsel yang sama" in r.text and "Sari" in r.text
        assert _revoked_at(office_server, "persons", people["Kades"]) is None
        r = admin.post(f"{base}/persons/{people['Kades']}/revoke", data={"csrf": admin.csrf, "confirm": "yes"})
        assert r.status_code == 200
        office_time = _revoked_at(office_server, "persons", people["Kades"])
        assert office_time and _revoked_at(office_server, "persons", people["Sari"]) is None
        assert _revoked_at(office_server, "devices", dev.device_id) is None
        assert "<td>revoke_person</td>" in admin.get(base + "/audit").text
        assert admin.get(f"{base}/persons/not-a-person/revoke").status_code == 404

        # the phone: the round completes (the dead verdict is closed, not wedging it) and
        # pulls the signed notice; the head reads it with the office's time in his zone
        rnd = sync_round(dev, client_for(dev))
        assert rnd.ok and list(rnd.failed.values()) == ["revoked"], rnd
        head = dev.unlock("Kades", HEAD_PIN)
        assert dev.revocation(head) == {"scope": "person", "at": office_time}
        assert localtime.format(office_time, "WITA").endswith(" WITA")
        sari = dev.unlock("Sari", PIN)
        assert dev.revocation(sari) is None and dev.device_revoked() is None
        file_reports(dev, 1)                                     # Sari still reports
        assert sync_round(dev, client_for(dev)).received == 1

        # the whole phone: the next round is refused; the phone knows without any PIN
        r = admin.post(f"{base}/devices/{dev.device_id}/revoke", data={"csrf": admin.csrf, "confirm": "yes"})
        assert r.status_code == 200
        rnd = sync_round(dev, client_for(dev))
        assert not rnd.ok and rnd.error == "revoked"
        seen = dev.device_revoked()
        assert seen and seen["scope"] == "device" and seen["at"]
        sari = dev.unlock("Sari", PIN)
        assert dev.revocation(sari) == seen                       # the phone's revocation, for her too
        again = sync_round(dev, client_for(dev))
        assert again.error == "revoked" and dev.device_revoked() == seen   # the first refusal's time stays
    finally:
        dev.close()
