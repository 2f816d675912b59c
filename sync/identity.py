"""The office's identity as a phone pins it: a fingerprint, and the enrollment ticket carrying it.

The office admin hands a person a one-time code *and* the office's fingerprint, out of
band (on paper, or in one QR code). The phone enrolls only if the keys the office
presents hash to that fingerprint, so a network in the middle (or a rogue server at the
right address) cannot slip in its own keys. When the office serves HTTPS, the ticket also
carries the SHA-256 of its certificate, and the phone pins that too.

    fingerprint = base32(SHA-256("jaga-desa/v1/office-identity" | X25519 pub | Ed25519 pub))[:32]
                  (160 bits, shown as 8 groups of 4: "7Q3K-…")
    short       = the first 8 characters, for people to compare aloud ("7Q3K-M2XA")
    ticket      = jagadesa:enroll?code=CODE&fp=FINGERPRINT[&office=URL][&tls=CERT_SHA256_HEX]
"""
from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlparse

from core.errors import IdentityMismatch, InsecureTransport, JagaError

_CTX = b"jaga-desa/v1/office-identity"
FP_LEN = 32
_FP_RE = re.compile(r"^[A-Z2-7]{32}$")
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")


class BadTicket(JagaError):
    """The enrollment code or QR content is not readable."""
    code = "enroll_ticket_invalid"


def fingerprint(x25519_public: bytes, ed25519_public: bytes) -> str:
    digest = hashlib.sha256(_CTX + bytes(x25519_public) + bytes(ed25519_public)).digest()
    return base64.b32encode(digest).decode()[:FP_LEN]


def normalize_fp(text: str) -> str:
    """A fingerprint as typed (any case, dashes, spaces) -> its canonical 32 characters."""
    fp = re.sub(r"[^A-Za-z0-9]", "", text or "").upper()
    if not _FP_RE.match(fp):
        raise BadTicket("the office fingerprint must be 32 characters (A–Z, 2–7)")
    return fp


def grouped(fp: str) -> str:
    return "-".join(fp[i:i + 4] for i in range(0, len(fp), 4))


def short(fp: str) -> str:
    """What two people compare aloud: the first 8 characters."""
    return grouped(fp[:8])


def cert_sha256(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def normalize_sha256(text: str) -> str:
    sha = re.sub(r"[^0-9A-Fa-f]", "", text or "").lower()
    if not _SHA_RE.match(sha):
        raise BadTicket("the TLS certificate pin must be a SHA-256 in hex (64 characters)")
    return sha


@dataclass(frozen=True)
class Ticket:
    """What the enrollment code / QR carries: the one-time code and the office's pins."""
    code: str
    fingerprint: str
    office_url: str | None = None
    tls_sha256: str | None = None

    def uri(self) -> str:
        out = f"jagadesa:enroll?code={quote(self.code)}&fp={self.fingerprint}"
        if self.office_url:
            out += f"&office={quote(self.office_url, safe=':/')}"
        if self.tls_sha256:
            out += f"&tls={self.tls_sha256}"
        return out

    def check(self, x25519_public: bytes, ed25519_public: bytes) -> str:
        """Refuse office keys that do not hash to the pinned fingerprint; returns it."""
        got = fingerprint(x25519_public, ed25519_public)
        if got != self.fingerprint:
            raise IdentityMismatch(f"the office presented keys with fingerprint {short(got)}, "
                                   f"but the enrollment code says {short(self.fingerprint)}: refused")
        return got


def parse(text: str, *, fingerprint: str | None = None, office_url: str | None = None,
          tls_sha256: str | None = None) -> Ticket:
    """A ticket from the QR content (`jagadesa:enroll?...`) or from a bare code plus the
    fingerprint typed beside it. Explicit arguments fill what the text lacks; a conflict
    between the two is refused rather than guessed."""
    text = (text or "").strip()
    u = urlparse(text)
    if u.scheme == "jagadesa":
        if (u.netloc or u.path.strip("/")) != "enroll":
            raise BadTicket("not a Jaga Desa enrollment code")
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        code = q.get("code", "")
        given = {"fp": fingerprint, "office": office_url, "tls": tls_sha256}
        for key, value in given.items():
            if value and q.get(key) and _norm(key, value) != _norm(key, q[key]):
                raise BadTicket(f"the enrollment code and the {key} given beside it differ")
        fingerprint = q.get("fp") or fingerprint
        office_url = q.get("office") or office_url
        tls_sha256 = q.get("tls") or tls_sha256
    else:
        code = text
    if not code:
        raise BadTicket("no enrollment code")
    if not fingerprint:
        raise BadTicket("the office fingerprint is missing: it is printed beside the code "
                        "and inside the QR code")
    return Ticket(code, normalize_fp(fingerprint), (office_url or "").rstrip("/") or None,
                  normalize_sha256(tls_sha256) if tls_sha256 else None)


def _norm(key: str, value: str) -> str:
    if key == "fp":
        return normalize_fp(value)
    if key == "tls":
        return normalize_sha256(value)
    return value.rstrip("/")


def is_loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_transport(url: str, *, insecure: bool = False) -> None:
    """Plain HTTP only to this machine (the demo, tests) unless the user explicitly said so."""
    scheme = urlparse(url).scheme
    if scheme not in ("http", "https"):
        raise InsecureTransport(f"the office address must start with https:// ({url!r})")
    if scheme == "http" and not insecure and not is_loopback(url):
        raise InsecureTransport("plain HTTP to an office on another machine is refused: anyone on "
                                "the path could watch it. Use https://, or pass --insecure on purpose")
