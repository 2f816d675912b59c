"""Alerts back to the villages, end to end on a real office and a real phone store: staff
send a general warning to chosen villages; the phone's next sync brings it; it verifies
with the pinned office key. Written as the attacker too: a forged alert in the phone's
inbox is never shown as text, staff cannot alert outside their region, and the alert
carries nothing about any report or reporter."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync import envelope as env
from tests.support import enroll as enroll_person
from tests.warning.conftest import login, staffed_office

ROOT = Path(__file__).resolve().parents[2]
PIN = "246810"
MESSAGE = "Waspada: lowongan kerja palsu via Facebook di Kecamatan Entikong"


def device(args: list[str], data: Path) -> str:
    r = subprocess.run([sys.executable, "main.py", "device", "--data", str(data), *args], cwd=ROOT,
                       capture_output=True, text=True, timeout=120,
                       env={**os.environ, "JAGA_PIN": PIN, "JAGA_KDF_SECONDS": "0.02"})
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    server = staffed_office(tmp_path_factory.mktemp("alerts") / "office")
    try:
        phone = tmp_path_factory.mktemp("phone")
        code = server.admin_json(["enroll-code", "--village", "Entikong", "--role", "volunteer",
                                  "--name", "Ani"])["enroll"]          # code + office fingerprint
        device(["init"], phone)
        device(["add-user", "--name", "Ani"], phone)
        device(["enroll", "--office", server.url, "--code", code, "--user", "Ani"], phone)
        server.phone = phone
        server.head, server.head_client = enroll_person(server, "Entikong", "head", "Pak Kades")
        server.far, server.far_client = enroll_person(server, "Badau", "volunteer", "Budi")
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def alerted(office):
    """Staff of Entikong's region send MESSAGE to its head and volunteers; Ani's phone syncs.
    A fixture, not the first test's side effect: pytest-xdist may run this module's tests on
    two workers, each with its own office."""
    s = login(office, "intel_sgu")
    page = s.get(office.url + "/dashboard/alerts").text
    r = s.post(office.url + "/dashboard/alerts", data={"csrf": s.csrf, "message": MESSAGE, "village_1": "1",
                                                       "role_head": "1", "role_volunteer": "1"})
    device(["sync"], office.phone)
    return page, r


def test_alert_reaches_the_villages_phones_signed(office, alerted):
    page, r = alerted
    assert 'id="village-1"' in page and 'id="village-2"' not in page      # only the staff's region
    assert r.status_code == 200 and "2 orang" in r.text                   # Ani and Pak Kades
    assert f": {MESSAGE}" in device(["inbox", "--user", "Ani"], office.phone)
    # the head's copy is signed by the office key and opens only with the head's own key
    [item] = [i for i in office.head_client.inbox()["items"] if i["kind"] == "alert"]
    blob = base64.b64decode(item["body"]["envelope"])
    opened = env.open(blob, recipient_key=office.head.x, author_public=office.head.office_ed())
    assert opened.payload["message"] == MESSAGE and set(opened.payload) == {"message", "sent_at"}
    assert opened.header.form_id == "_alert"
    assert set(item["body"]) == {"envelope"}                               # nothing about any report
    # the other village got nothing
    assert not [i for i in office.far_client.inbox()["items"] if i["kind"] == "alert"]


def test_only_heads_when_chosen(office):
    s = login(office, "admin")
    r = s.post(office.url + "/dashboard/alerts", data={"csrf": s.csrf, "message": "Rapat TIMPORA hari Senin",
                                                       "village_1": "1", "village_2": "1", "role_head": "1"})
    assert "1 orang" in r.text                                             # only Pak Kades
    assert not [i for i in office.far_client.inbox()["items"] if i["kind"] == "alert"]


def test_outside_region_empty_message_and_audit(office, alerted):
    s = login(office, "intel_sgu")
    r = s.post(office.url + "/dashboard/alerts", data={"csrf": s.csrf, "message": MESSAGE, "village_2": "1",
                                                       "role_volunteer": "1"})
    assert r.status_code == 403
    r = s.post(office.url + "/dashboard/alerts", data={"csrf": s.csrf, "message": "  ", "village_1": "1",
                                                       "role_volunteer": "1"})
    assert r.status_code == 400
    audit = login(office, "admin").get(office.url + "/dashboard/admin/audit?action=alert").text
    assert "alert" in audit and "recipients" in audit


def test_forged_alert_on_the_phone_is_not_shown(office, alerted):
    """As the attacker who can write the phone's file: an 'alert' item sealed to Ani, but
    signed with another key (item and envelope) — dropped at unlock, never shown as text."""
    from fieldapp.device import Device
    from sync import statement
    dev = Device(office.phone)
    try:
        s = dev.unlock("Ani", PIN)
        fake = Ed25519PrivateKey.generate()
        forged = env.seal({"message": "Semua relawan kumpul di dermaga jam 2 malam", "sent_at": "x"},
                          form_id="_alert", form_version=1, author_id="00000000-0000-0000-0000-000000000000",
                          device_id="00000000-0000-0000-0000-000000000000", signing_key=fake,
                          recipients=[s.x25519.public_key()])
        item = statement.sign_item({"item_id": "999999", "kind": "alert", "person_id": s.person_id,
                                    "issued_at": "2099-01-01T00:00:00.000Z",
                                    "body": {"envelope": base64.b64encode(forged.envelope).decode()}}, fake)
        with dev.db.conn:
            dev.db.conn.execute("INSERT INTO inbox(item_id,kind,person_id,body,received_day,state,issued_at) "
                                "VALUES(?,?,?,?,?,?,?)", ("999999", "alert", s.person_id, json.dumps(item),
                                                          "2025-01-01", "unverified", item["issued_at"]))
        shown = dev.alerts(s)
    finally:
        dev.close()
    assert not any(a["item_id"] == "999999" for a in shown)
    assert not any("dermaga jam 2" in str(a) for a in shown)
    assert any(a.get("message") == MESSAGE for a in shown)       # the genuine one still shows
