"""ODK-style baselines, built here so both sides are measured in one run.

What ODK Collect does for an *encrypted form* (OpenRosa 1.0 submission API):
  - answers serialised as instance XML;
  - a random 256-bit AES key encrypts the XML (AES/CFB, PKCS5 padding, IV derived
    from the instance id), the key is RSA-OAEP(SHA-256)-wrapped for the server's key;
  - a submission.xml manifest carries base64EncryptedKey, the encrypted file name and
    base64EncryptedElementSignature (RSA-OAEP of an MD5 over form id, version, the
    wrapped key, the instance id and each file's name::md5);
  - per submission: a HEAD to /submission (OpenRosa: the server answers 204 with
    X-OpenRosa-Accept-Content-Length), then ONE multipart/form-data POST.

Two servers, same stack as the office (Starlette under uvicorn, SQLite WAL with the
office's `synchronous` setting, FULL), one transaction per submission:
  - `central` (the honest baseline): like ODK Central, it parses the manifest and stores
    the encrypted submission WITHOUT decrypting it (Central decrypts only on export, with
    a passphrase). No signature check: nothing to check without the private key.
  - `decrypt` (the second, labelled row): also unwraps the key, decrypts the instance and
    checks the element signature for real (recomputes the MD5 and compares), as an
    Aggregate-style server that reads what it stores would.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import sqlite3
import uuid
from xml.sax.saxutils import escape

from cryptography.hazmat.decrepit.ciphers import modes  # ODK's AES/CFB
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.asymmetric import padding as apad, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

OAEP = apad.OAEP(mgf=apad.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
MODES = ("central", "decrypt")
ENC_FILE = "submission.xml.enc"


def instance_xml(form_id: str, instance_id: str, answers: dict) -> bytes:
    body = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in answers.items())
    return (f'<?xml version="1.0"?><data xmlns:jr="http://openrosa.org/javarosa" id="{form_id}" '
            f'version="1"><meta><instanceID>uuid:{instance_id}</instanceID></meta>{body}</data>').encode()


def _iv(instance_id: str, key: bytes) -> bytes:
    return hashlib.md5(("uuid:" + instance_id).encode() + key).digest()


def _signature_source(form_id: str, wrapped_b64: str, instance_id: str, ct: bytes) -> bytes:
    return f"{form_id}\n1\n{wrapped_b64}\nuuid:{instance_id}\n{ENC_FILE}::{hashlib.md5(ct).hexdigest()}\n".encode()


def encrypt_submission(public: rsa.RSAPublicKey, form_id: str, answers: dict) -> tuple[str, bytes, bytes]:
    """Returns (instance id, manifest XML, encrypted instance file) as Collect would upload."""
    iid = str(uuid.uuid4())
    key = os.urandom(32)
    padder = padding.PKCS7(128).padder()
    plain = padder.update(instance_xml(form_id, iid, answers)) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.CFB(_iv(iid, key))).encryptor()
    ct = enc.update(plain) + enc.finalize()
    wrapped = base64.b64encode(public.encrypt(key, OAEP)).decode()
    digest = hashlib.md5(_signature_source(form_id, wrapped, iid, ct)).digest()
    signature = base64.b64encode(public.encrypt(digest, OAEP)).decode()
    manifest = (f'<data xmlns="http://opendatakit.org/submissions" encrypted="yes" id="{form_id}" version="1">'
                f'<base64EncryptedKey>{wrapped}</base64EncryptedKey>'
                f'<meta xmlns="http://openrosa.org/xforms"><instanceID>uuid:{iid}</instanceID></meta>'
                f'<media><file>{ENC_FILE}</file></media>'
                f'<encryptedXmlFile>{ENC_FILE}</encryptedXmlFile>'
                f'<base64EncryptedElementSignature>{signature}</base64EncryptedElementSignature></data>').encode()
    return iid, manifest, ct


def _field(manifest: bytes, tag: bytes) -> bytes:
    m = re.search(b"<" + tag + b">(.*?)</" + tag + b">", manifest)
    if m is None:
        raise ValueError(f"manifest has no {tag.decode()}")
    return m.group(1)


def decrypt_and_check(private: rsa.RSAPrivateKey, manifest: bytes, ct: bytes) -> bytes:
    """Unwrap, decrypt and check the element signature; returns the instance XML or raises."""
    form_id = re.search(rb'\bid="([^"]+)"', manifest).group(1).decode()
    iid = _field(manifest, b"instanceID").decode().removeprefix("uuid:")
    wrapped = _field(manifest, b"base64EncryptedKey").decode()
    key = private.decrypt(base64.b64decode(wrapped), OAEP)
    signed = private.decrypt(base64.b64decode(_field(manifest, b"base64EncryptedElementSignature")), OAEP)
    if not hmac.compare_digest(signed, hashlib.md5(_signature_source(form_id, wrapped, iid, ct)).digest()):
        raise ValueError("element signature does not match")
    dec = Cipher(algorithms.AES(key), modes.CFB(_iv(iid, key))).decryptor()
    unpad = padding.PKCS7(128).unpadder()
    return unpad.update(dec.update(ct) + dec.finalize()) + unpad.finalize()


def make_app(private: rsa.RSAPrivateKey, db_path: str, mode: str = "central"):
    """The OpenRosa endpoint: HEAD answers 204; POST parses, (decrypts, checks,) stores."""
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    con = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")          # the office's setting (office/db.py)
    con.execute("CREATE TABLE IF NOT EXISTS submissions(id TEXT PRIMARY KEY, form_id TEXT, "
                "received_at TEXT, manifest BLOB, data BLOB)")
    headers = {"X-OpenRosa-Version": "1.0", "X-OpenRosa-Accept-Content-Length": str(100 * 1024 * 1024)}

    async def submission(request):
        if request.method == "HEAD":
            return Response(status_code=204, headers=headers)
        form = await request.form()
        manifest = await form["xml_submission_file"].read()
        ct = await form[ENC_FILE].read()
        try:
            iid = _field(manifest, b"instanceID").decode()
            form_id = re.search(rb'\bid="([^"]+)"', manifest).group(1).decode()
            if mode == "decrypt":
                decrypt_and_check(private, manifest, ct)
        except (ValueError, AttributeError):
            return Response(b"<OpenRosaResponse><message>bad submission</message></OpenRosaResponse>",
                            status_code=400, media_type="text/xml", headers=headers)
        con.execute("INSERT OR IGNORE INTO submissions VALUES(?,?,datetime('now'),?,?)",
                    (iid, form_id, manifest, ct))
        return Response(b'<OpenRosaResponse xmlns="http://openrosa.org/http/response">'
                        b'<message>success</message></OpenRosaResponse>', status_code=201,
                        media_type="text/xml", headers=headers)

    app = Starlette(routes=[Route("/submission", submission, methods=["HEAD", "POST"])])
    app.state.con = con
    return app


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def serve(port: int, data_dir: str, mode: str) -> None:
    """Run a baseline endpoint under uvicorn; writes its public key to DATA/odk_public.pem."""
    from pathlib import Path

    import uvicorn
    from cryptography.hazmat.primitives import serialization

    key = new_key()
    Path(data_dir, "odk_public.pem").write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    uvicorn.run(make_app(key, str(Path(data_dir, "odk.db")), mode), host="127.0.0.1", port=port,
                log_level="warning", access_log=False)


def post(session, url: str, form_id: str, manifest: bytes, ct: bytes) -> None:
    """One OpenRosa submission as Collect sends it: HEAD, then one multipart POST."""
    h = session.head(url + "/submission", headers={"X-OpenRosa-Version": "1.0"})
    if h.status_code != 204:
        raise RuntimeError(f"baseline endpoint answered HEAD with {h.status_code}")
    r = session.post(url + "/submission", headers={"X-OpenRosa-Version": "1.0"},
                     files={"xml_submission_file": ("submission.xml", manifest, "text/xml"),
                            ENC_FILE: (ENC_FILE, ct, "application/octet-stream")})
    if r.status_code != 201:
        raise RuntimeError(f"baseline endpoint answered {r.status_code}")


if __name__ == "__main__":
    import sys
    serve(int(sys.argv[1]), sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "central")
