"""HTTPS for tests and benchmarks: a self-signed certificate for 127.0.0.1, the office
serving it, and what a browser needs to trust exactly that certificate.

Made here with `cryptography`; the office is the real one (`office --tls-cert --tls-key`,
uvicorn's ssl options). Chromium trusts the certificate through
`--ignore-certificate-errors-spki-list` with the hash of its public key (`chromium_trust`):
that one key is treated as valid, any other certificate still fails — which is what a
phone that installed the office's CA at training would do, and a page on it is a secure
context, so its service worker registers."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import subprocess
from pathlib import Path

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from jaga_desa.testing.servers import OfficeServer
from jaga_desa.testing.waits import wait_until


def make_cert(folder: Path, name: str) -> tuple[Path, Path, str]:
    """(cert.pem, key.pem, SHA-256 of the certificate's DER — what a phone pins)."""
    from sync import identity
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


def chromium_trust(cert_path: Path) -> str:
    """The Chromium switch that trusts this certificate's public key (and no other)."""
    cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
    spki = cert.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)
    return "--ignore-certificate-errors-spki-list=" + base64.b64encode(hashlib.sha256(spki).digest()).decode()


class TlsOffice(OfficeServer):
    """The shared office server with `--tls-cert/--tls-key`; healthy once HTTPS answers
    with the expected certificate."""

    def __init__(self, data_dir, cert, key, port: int | None = None, extra_args: list[str] | None = None) -> None:
        super().__init__(data_dir, port=port,
                         extra_args=["--tls-cert", str(cert), "--tls-key", str(key), *(extra_args or [])])
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
