"""HTTPS to the office, pinned by the certificate's SHA-256 from the enrollment code.

The office runs for real (`office --tls-cert --tls-key`, uvicorn's ssl options) with a
self-signed certificate made here with `cryptography`; the phone is the real Device.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import subprocess

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import forms
from core.errors import InsecureTransport, TlsPinMismatch
from fieldapp.device import Device
from sync import identity
from sync.client import OfficeClient
from sync.runner import sync_once
from jaga_desa.testing.servers import OfficeServer
from jaga_desa.testing.waits import wait_until
from tests.fieldapp.conftest import PIN


def make_cert(folder, name: str):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / f"{name}.pem", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path, identity.cert_sha256(cert.public_bytes(serialization.Encoding.DER))


class TlsOffice(OfficeServer):
    """The shared office server with `--tls-cert/--tls-key`; healthy once HTTPS answers
    with the expected certificate."""

    def __init__(self, data_dir, cert, key) -> None:
        super().__init__(data_dir, extra_args=["--tls-cert", str(cert), "--tls-key", str(key)])
        self.cert = cert

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> "TlsOffice":
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(self.argv, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)

        def healthy() -> bool:
            assert self.running(), self.log_text()[-2000:]
            try:
                return requests.get(self.url + "/api/v1/health", timeout=1, verify=str(self.cert)).ok
            except requests.RequestException:
                return False
        try:
            wait_until(healthy, timeout, "the HTTPS office to answer")
        except AssertionError:
            self.kill()
            raise
        return self


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
