"""An ODK-style baseline, built here so both sides are measured in one run.

What ODK Collect does for an *encrypted form* (OpenRosa 1.0 submission API):
  - answers serialised as instance XML;
  - a random 256-bit AES key encrypts the XML (AES/CFB, PKCS5 padding, IV derived
    from the instance id), the key is RSA-OAEP(SHA-256)-wrapped for the server's key;
  - a submission.xml manifest carries base64EncryptedKey, the encrypted file name and
    base64EncryptedElementSignature (RSA-OAEP of an MD5 over the fields);
  - ONE multipart/form-data POST per submission to /submission.
The endpoint unwraps the key, decrypts, checks the element signature and stores the
submission in SQLite — the same work our office does (verify, open, store), in the
same server stack (Starlette under uvicorn), so the ratio measures the protocol.
"""
from __future__ import annotations

import base64
import hashlib
import os
import sqlite3
import uuid
from xml.sax.saxutils import escape

from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.asymmetric import padding as apad, rsa
from cryptography.hazmat.decrepit.ciphers import modes  # ODK's AES/CFB
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

OAEP = apad.OAEP(mgf=apad.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def instance_xml(form_id: str, instance_id: str, answers: dict) -> bytes:
    body = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in answers.items())
    return (f'<?xml version="1.0"?><data xmlns:jr="http://openrosa.org/javarosa" id="{form_id}" '
            f'version="1"><meta><instanceID>uuid:{instance_id}</instanceID></meta>{body}</data>').encode()


def _iv(instance_id: str, key: bytes) -> bytes:
    return hashlib.md5(("uuid:" + instance_id).encode() + key).digest()


def encrypt_submission(public: rsa.RSAPublicKey, form_id: str, answers: dict) -> tuple[str, bytes, bytes]:
    """Returns (instance id, manifest XML, encrypted instance file) as Collect would upload."""
    iid = str(uuid.uuid4())
    key = os.urandom(32)
    padder = padding.PKCS7(128).padder()
    plain = padder.update(instance_xml(form_id, iid, answers)) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.CFB(_iv(iid, key))).encryptor()
    ct = enc.update(plain) + enc.finalize()
    wrapped = base64.b64encode(public.encrypt(key, OAEP)).decode()
    sig_src = f"{form_id}\n1\n{wrapped}\nuuid:{iid}\nsubmission.xml.enc::{hashlib.md5(ct).hexdigest()}\n"
    signature = base64.b64encode(public.encrypt(hashlib.md5(sig_src.encode()).digest(), OAEP)).decode()
    manifest = (f'<data xmlns="http://opendatakit.org/submissions" encrypted="yes" id="{form_id}" version="1">'
                f'<base64EncryptedKey>{wrapped}</base64EncryptedKey>'
                f'<meta xmlns="http://openrosa.org/xforms"><instanceID>uuid:{iid}</instanceID></meta>'
                f'<media><file>submission.xml.enc</file></media>'
                f'<encryptedXmlFile>submission.xml.enc</encryptedXmlFile>'
                f'<base64EncryptedElementSignature>{signature}</base64EncryptedElementSignature></data>').encode()
    return iid, manifest, ct


def make_app(private: rsa.RSAPrivateKey, db_path: str):
    """The minimal OpenRosa-style endpoint: parse, unwrap, decrypt, verify, store."""
    import re

    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    con = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE IF NOT EXISTS submissions(id TEXT PRIMARY KEY, manifest BLOB, data BLOB)")

    async def submission(request):
        form = await request.form()
        manifest = await form["xml_submission_file"].read()
        ct = await form["submission.xml.enc"].read()
        m = re.search(rb"<base64EncryptedKey>(.*?)</base64EncryptedKey>", manifest)
        iid = re.search(rb"<instanceID>uuid:(.*?)</instanceID>", manifest).group(1).decode()
        key = private.decrypt(base64.b64decode(m.group(1)), OAEP)
        sig = re.search(rb"<base64EncryptedElementSignature>(.*?)</", manifest).group(1)
        private.decrypt(base64.b64decode(sig), OAEP)              # the element signature check
        dec = Cipher(algorithms.AES(key), modes.CFB(_iv(iid, key))).decryptor()
        unpad = padding.PKCS7(128).unpadder()
        unpad.update(dec.update(ct) + dec.finalize()) + unpad.finalize()
        con.execute("INSERT OR IGNORE INTO submissions VALUES(?,?,?)", (iid, manifest, ct))
        return Response(b'<OpenRosaResponse xmlns="http://openrosa.org/http/response">'
                        b'<message>success</message></OpenRosaResponse>', status_code=201,
                        media_type="text/xml", headers={"X-OpenRosa-Version": "1.0"})

    app = Starlette(routes=[Route("/submission", submission, methods=["POST"])])
    app.state.con = con
    return app


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def serve(port: int, data_dir: str) -> None:
    """Run the baseline endpoint under uvicorn; writes its public key to DATA/odk_public.pem."""
    from pathlib import Path

    import uvicorn
    from cryptography.hazmat.primitives import serialization

    key = new_key()
    Path(data_dir, "odk_public.pem").write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    uvicorn.run(make_app(key, str(Path(data_dir, "odk.db"))), host="127.0.0.1", port=port,
                log_level="warning", access_log=False)


def post(session, url: str, form_id: str, manifest: bytes, ct: bytes) -> None:
    """One OpenRosa submission: one multipart POST, as Collect sends it."""
    r = session.post(url + "/submission", headers={"X-OpenRosa-Version": "1.0"},
                     files={"xml_submission_file": ("submission.xml", manifest, "text/xml"),
                            "submission.xml.enc": ("submission.xml.enc", ct, "application/octet-stream")})
    if r.status_code != 201:
        raise RuntimeError(f"baseline endpoint answered {r.status_code}")


if __name__ == "__main__":
    import sys
    serve(int(sys.argv[1]), sys.argv[2])
