"""verify(): what a recipient runs on a package — signature, hashes, row counts, schemas.

Reads the zip as hostile input: only flat, known-shaped member names, bounded sizes, no
member the descriptor does not list, no resource pointing outside the package (a path
or URL in a forged descriptor must not make the verifier read local files or the net).
Each failed check says which one: unlike an envelope, a package has nothing to hide
from its own recipient, and they need to know what to ask the office for.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import tempfile
import zipfile
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .errors import PackageInvalid
from .package import DESCRIPTOR, SIGNATURE, SIGNATURE_FORMAT, SIGNED_PREFIX, fingerprint, norm_fingerprint

MAX_MEMBERS = 16
MAX_TOTAL = 4 << 30            # 4 GiB uncompressed
MAX_JSON = 16 << 20
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}\.(csv|json)$")


def verify(path: Path, expect_fingerprint: str | None = None) -> dict:
    """A summary of a valid package; PackageInvalid naming the first failed check."""
    try:
        z = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise PackageInvalid(f"{path}: not a readable zip ({exc})") from None
    with z:
        infos = z.infolist()
        names = [i.filename for i in infos]
        if len(infos) > MAX_MEMBERS or len(set(names)) != len(names):
            raise PackageInvalid("the zip has too many or duplicate members")
        bad = [n for n in names if not _NAME.match(n)]
        if bad:
            raise PackageInvalid(f"unexpected member name(s): {', '.join(map(repr, bad[:3]))}")
        if sum(i.file_size for i in infos) > MAX_TOTAL:
            raise PackageInvalid("the package unpacks to more than 4 GiB")
        for need in (DESCRIPTOR, SIGNATURE):
            if need not in names:
                raise PackageInvalid(f"{need} is missing")
        body = _read(z, DESCRIPTOR, MAX_JSON)
        sig_doc = _json(_read(z, SIGNATURE, 1 << 16), SIGNATURE)
        public = _check_signature(body, sig_doc, expect_fingerprint)
        desc = _json(body, DESCRIPTOR)
        resources = desc.get("resources")
        if not isinstance(resources, list) or not resources:
            raise PackageInvalid("datapackage.json lists no resources")
        paths = []
        for res in resources:
            p = res.get("path") if isinstance(res, dict) else None
            if not isinstance(p, str) or not _NAME.match(p) or p not in names or p in (DESCRIPTOR, SIGNATURE):
                raise PackageInvalid(f"resource path {p!r} is not a file of this package")
            paths.append(p)
        extra = set(names) - set(paths) - {DESCRIPTOR, SIGNATURE}
        if extra:
            raise PackageInvalid(f"member(s) not described by datapackage.json: {', '.join(sorted(extra))}")
        for res in resources:
            _check_hash(z, res)
        with tempfile.TemporaryDirectory(prefix="jaga-verify-") as tmp:
            for n in [DESCRIPTOR] + paths:
                with z.open(n) as src, open(Path(tmp) / n, "wb") as dst:
                    for chunk in iter(lambda: src.read(1 << 20), b""):
                        dst.write(chunk)
            rows = _frictionless(Path(tmp) / DESCRIPTOR)
    declared = desc.get("rowCounts") or {}
    for name, n in rows.items():
        if name in declared and declared[name] != n:
            raise PackageInvalid(f"{name}: {n} rows, datapackage.json says {declared[name]}")
    disclosure = desc.get("disclosure") or {}
    return {"valid": True, "package_id": desc.get("id"), "tier": disclosure.get("tier"),
            "recipient": disclosure.get("recipient"), "producer": (desc.get("producer") or {}).get("office"),
            "period": desc.get("period"), "rows": rows, "key_fingerprint": fingerprint(public),
            "fingerprint_checked": expect_fingerprint is not None}


def _read(z: zipfile.ZipFile, name: str, limit: int) -> bytes:
    if z.getinfo(name).file_size > limit:
        raise PackageInvalid(f"{name} is larger than {limit} bytes")
    with z.open(name) as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise PackageInvalid(f"{name} is larger than {limit} bytes")
    return data


def _json(raw: bytes, name: str) -> dict:
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise PackageInvalid(f"{name} is not valid JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise PackageInvalid(f"{name} is not a JSON object")
    return doc


def _check_signature(body: bytes, sig_doc: dict, expect: str | None) -> bytes:
    if sig_doc.get("format") != SIGNATURE_FORMAT or sig_doc.get("algorithm") != "Ed25519" \
            or sig_doc.get("signed_file") != DESCRIPTOR:
        raise PackageInvalid("signature.json has an unknown format")
    try:
        public = base64.b64decode(sig_doc.get("public_key", ""), validate=True)
        sig = base64.b64decode(sig_doc.get("signature", ""), validate=True)
        key = Ed25519PublicKey.from_public_bytes(public)
    except (binascii.Error, ValueError, TypeError):
        raise PackageInvalid("signature.json holds a malformed key or signature") from None
    try:
        key.verify(sig, SIGNED_PREFIX + body)
    except InvalidSignature:
        raise PackageInvalid("the signature does not match datapackage.json (altered, or not signed "
                             "by this key)") from None
    if expect is not None and norm_fingerprint(expect) != norm_fingerprint(fingerprint(public)):
        raise PackageInvalid(f"signed by key {fingerprint(public)}, not the expected office key {expect}")
    return public


def _check_hash(z: zipfile.ZipFile, res: dict) -> None:
    p, want = res["path"], res.get("hash", "")
    if not isinstance(want, str) or not want.startswith("sha256:"):
        raise PackageInvalid(f"{p}: datapackage.json gives no sha256 hash")
    h, n = hashlib.sha256(), 0
    with z.open(p) as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
            n += len(chunk)
    if h.hexdigest() != want[7:] or res.get("bytes") != n:
        raise PackageInvalid(f"{p}: contents differ from the signed hash (altered after signing)")


def _frictionless(descriptor: Path) -> dict[str, int]:
    """Table Schema validation of every row by the frictionless library; rows per resource."""
    import frictionless
    report = frictionless.validate(str(descriptor))
    if not report.valid:
        errs = report.flatten(["type", "note"])[:3]
        raise PackageInvalid("schema check failed: " + "; ".join(f"{t}: {n}" for t, n in errs))
    return {task.name: task.stats.get("rows", 0) for task in report.tasks}
