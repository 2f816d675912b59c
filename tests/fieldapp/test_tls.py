"""HTTPS to the office, pinned by the certificate's SHA-256 from the enrollment code.

The office runs for real (`office --tls-cert --tls-key`, uvicorn's ssl options) with a
self-signed certificate (jaga_desa/testing/tls.py); the phone is the real Device.
"""
from __future__ import annotations

import pytest

import forms
from core.errors import InsecureTransport, TlsPinMismatch
from fieldapp.device import Device
from sync import identity
from sync.client import OfficeClient
from sync.runner import sync_once
from jaga_desa.testing.tls import TlsOffice, make_cert
from tests.fieldapp.conftest import PIN


@pytest.fixture
def tls_office(tmp_path):
    cert, key, sha = make_cert(tmp_path / "tls", "office")
    server = TlsOffice(tmp_path / "office", cert, key).start()
    server.admin(["add-village", "--name", "Entikong"])
    yield server, sha
    server.stop()


def _ticket(server, dev, cert):
    return dev.ticket(server.admin_json(["enroll-code", "--village", "Entikong", "--role", "volunteer",
                                         "--name", "Siti", "--office-url", server.url,
                                         "--tls-cert", str(cert)])["enroll"])


def test_https_office_pinned_from_the_enrollment_code(tls_office, tmp_path):
    server, sha = tls_office
    dev = Device.init(tmp_path / "phone")
    try:
        dev.add_user("Siti", "volunteer", PIN)
        s = dev.unlock("Siti", PIN)
        ticket = _ticket(server, dev, server.cert)
        assert ticket.tls_sha256 == sha and ticket.office_url.startswith("https://")
        client = OfficeClient(ticket.office_url, tls_sha256=ticket.tls_sha256)
        dev.apply_enrollment(s, ticket, client.enroll(**dev.enrollment_request(s, ticket)))
        client.close()
        assert dev.client_options() == {"tls_sha256": sha, "insecure": False}
        dev.file(s, "laporan_kecurigaan", forms.load("laporan_kecurigaan").example())
        client = OfficeClient(dev.office_url, token=dev.sync_token, **dev.client_options())
        result = sync_once(dev, client)
        client.close()
        assert result.ok and result.received == 1
    finally:
        dev.close()


def test_another_certificate_is_refused(tls_office, tmp_path):
    """A man in the middle with any other certificate (self-made, or even CA-signed)."""
    server, _ = tls_office
    other_cert, _, other_sha = make_cert(tmp_path / "tls2", "impostor")
    dev = Device.init(tmp_path / "phone")
    try:
        dev.add_user("Siti", "volunteer", PIN)
        s = dev.unlock("Siti", PIN)
        ticket = _ticket(server, dev, other_cert)          # the phone pins a certificate the server lacks
        assert ticket.tls_sha256 == other_sha
        client = OfficeClient(ticket.office_url, tls_sha256=ticket.tls_sha256)
        with pytest.raises(TlsPinMismatch):
            client.enroll(**dev.enrollment_request(s, ticket))
        client.close()
        assert dev.office_url is None
    finally:
        dev.close()


def test_plain_http_only_to_loopback_unless_insecure(tmp_path):
    with pytest.raises(InsecureTransport):
        OfficeClient("http://192.0.2.10:8765")
    with pytest.raises(InsecureTransport):
        OfficeClient("ftp://127.0.0.1/")
    OfficeClient("http://192.0.2.10:8765", insecure=True).close()
    OfficeClient("http://127.0.0.1:9").close()
    OfficeClient("http://[::1]:9").close()
    dev = Device.init(tmp_path / "phone")
    try:
        dev.add_user("Siti", "volunteer", PIN)
        s = dev.unlock("Siti", PIN)
        ticket = identity.Ticket("ABCD-EFGH-JKLM", "A" * 32, "http://192.0.2.10:8765")
        with pytest.raises(InsecureTransport):
            dev.apply_enrollment(s, ticket, {})
    finally:
        dev.close()
