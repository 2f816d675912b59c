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
import contextlib
import hashlib
import json
import re
import tempfile
import zipfile
import zlib
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from sync import identity

from .errors import PackageInvalid
from .package import DESCRIPTOR, README, SIGNATURE, SIGNATURE_FORMAT, SIGNED_PREFIX, fingerprint

MAX_MEMBERS = 16
MAX_TOTAL = 4 << 30            # 4 GiB uncompressed
MAX_JSON = 16 << 20
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}\.(csv|json)$")


# What a damaged zip raises while its members are read: a bad CRC or header (BadZipFile),
# a broken deflate stream (zlib.error), a cut-off member (EOFError), a flipped "encrypted"
# flag (RuntimeError), an unknown compression method (NotImplementedError), a member
# header pointing past the end (ValueError, OSError).
_DAMAGE = (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError, ValueError,
           OSError, KeyError, UnicodeDecodeError, OverflowError)


@contextlib.contextmanager
def _damage_is_invalid(path: Path):
    """Any damage to the zip's bytes surfaces as PackageInvalid, never as a traceback."""
    try:
        yield
    except PackageInvalid:
        raise
    except _DAMAGE as exc:
        raise PackageInvalid(f"{Path(path).name}: the zip is damaged ({type(exc).__name__}: {exc})") from None


def verify(path: Path, expect_fingerprint: str | None = None) -> dict:
    """A summary of a valid package; PackageInvalid naming the first failed check."""
    with _damage_is_invalid(path):
        return _verify(path, expect_fingerprint)


def _verify(path: Path, expect_fingerprint: str | None) -> dict:
    try:
        z = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise PackageInvalid(f"{path}: not a readable zip ({exc})") from None
    with z:
        infos = z.infolist()
        names = [i.filename for i in infos]
        if len(infos) > MAX_MEMBERS or len(set(names)) != len(names):
            raise PackageInvalid("the zip has too many or duplicate members")
        bad = [n for n in names if not _NAME.match(n) and n != README]
        if bad:
            raise PackageInvalid(f"unexpected member name(s): {', '.join(map(repr, bad[:3]))}")
        if sum(i.file_size for i in infos) > MAX_TOTAL:
            raise PackageInvalid("the package unpacks to more than 4 GiB")
        for need in (DESCRIPTOR, SIGNATURE, README):
            if need not in names:
                raise PackageInvalid(f"{need} is missing")
        body = _read(z, DESCRIPTOR, MAX_JSON)
        sig_doc = _json(_read(z, SIGNATURE, 1 << 16), SIGNATURE)
        fp = _check_signature(body, sig_doc, expect_fingerprint)
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
        extra = set(names) - set(paths) - {DESCRIPTOR, SIGNATURE, README}
        if extra:
            raise PackageInvalid(f"member(s) not described by datapackage.json: {', '.join(sorted(extra))}")
        about = desc.get("readme")
        if not isinstance(about, dict) or about.get("path") != README:
            raise PackageInvalid(f"datapackage.json does not sign {README}")
        for res in resources + [about]:
            _check_hash(z, res)
        local = _self_contained(desc)
        with tempfile.TemporaryDirectory(prefix="jaga-verify-") as tmp:
            for n in paths:
                with z.open(n) as src, open(Path(tmp) / n, "wb") as dst:
                    for chunk in iter(lambda: src.read(1 << 20), b""):
                        dst.write(chunk)
            (Path(tmp) / DESCRIPTOR).write_text(json.dumps(local), encoding="utf-8")
            rows = _frictionless(Path(tmp) / DESCRIPTOR)
    declared = desc.get("rowCounts") or {}
    for name, n in rows.items():
        if name in declared and declared[name] != n:
            raise PackageInvalid(f"{name}: {n} rows, datapackage.json says {declared[name]}")
    disclosure = desc.get("disclosure") or {}
    return {"valid": True, "package_id": desc.get("id"), "tier": disclosure.get("tier"),
            "recipient": disclosure.get("recipient"), "producer": (desc.get("producer") or {}).get("office"),
            "period": desc.get("period"), "rows": rows, "key_fingerprint": fp,
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


def expected_fingerprint(text: str) -> str:
    """--expect-key as typed (any case, dashes or spaces) -> the grouped office fingerprint."""
    try:
        return identity.grouped(identity.normalize_fp(text))
    except identity.BadTicket:
        raise PackageInvalid("--expect-key is not an office fingerprint (8 groups of 4 characters, "
                             "A–Z and 2–7, as the office shows it)") from None


def _check_signature(body: bytes, sig_doc: dict, expect: str | None) -> str:
    """The signer's office fingerprint, once the signature holds (and matches `expect`)."""
    want = expected_fingerprint(expect) if expect is not None else None
    if sig_doc.get("format") != SIGNATURE_FORMAT or sig_doc.get("algorithm") != "Ed25519" \
            or sig_doc.get("signed_file") != DESCRIPTOR:
        raise PackageInvalid("signature.json has an unknown format")
    try:
        public = base64.b64decode(sig_doc.get("public_key", ""), validate=True)
        x_public = base64.b64decode(sig_doc.get("office_x25519_public", ""), validate=True)
        sig = base64.b64decode(sig_doc.get("signature", ""), validate=True)
        key = Ed25519PublicKey.from_public_bytes(public)
    except (binascii.Error, ValueError, TypeError):
        raise PackageInvalid("signature.json holds a malformed key or signature") from None
    if len(x_public) != 32:
        raise PackageInvalid("signature.json holds a malformed key or signature")
    try:
        key.verify(sig, SIGNED_PREFIX + body)
    except InvalidSignature:
        raise PackageInvalid("the signature does not match datapackage.json (altered, or not signed "
                             "by this key)") from None
    fp = fingerprint(x_public, public)
    if want is not None and want != fp:
        raise PackageInvalid(f"signed by office {fp}, not the expected office {want}")
    return fp


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


# The only profiles frictionless knows without a download; anything else (a URL) is refused.
_PROFILES = {None, "data-package", "tabular-data-package", "data-resource", "tabular-data-resource"}
_FIELD_KEYS = ("name", "type", "format", "title", "description", "constraints", "trueValues", "falseValues",
               "bareNumber", "groupChar", "decimalChar", "missingValues")
_CONSTRAINTS = ("required", "unique", "enum", "pattern", "minimum", "maximum", "minLength", "maxLength")
_DIALECT_KEYS = ("delimiter", "header", "quoteChar", "doubleQuote", "lineTerminator", "skipInitialSpace")


def _self_contained(desc: dict) -> dict:
    """The descriptor frictionless gets: rebuilt from an allow-list of keys, every schema and
    dialect inline. A hostile descriptor names `schema`, `dialect` or `profile` as URLs (or
    `$ref`s, foreign-key packages) to make a recipient's verifier fetch what the attacker
    chose; none of that is copied, and a reference where an inline object belongs is refused."""
    if desc.get("profile") not in _PROFILES or "$schema" in desc:
        raise PackageInvalid("datapackage.json names an outside profile; a package is verified "
                             "from its own contents only")
    out = {"profile": "tabular-data-package", "resources": []}
    for res in desc["resources"]:
        name = res.get("name")
        if not isinstance(name, str) or f"{name}.csv" != res["path"]:
            raise PackageInvalid(f"resource {name!r} is not named after its file")
        schema, dialect = res.get("schema"), res.get("dialect", {})
        if res.get("profile") not in _PROFILES or "$schema" in res:
            raise PackageInvalid(f"resource {name!r} names an outside profile")
        if not isinstance(schema, dict) or not isinstance(dialect, dict):
            raise PackageInvalid(f"resource {name!r}: schema and dialect must be written inside "
                                 "datapackage.json, not referenced")
        fields = schema.get("fields")
        if not isinstance(fields, list) or not all(isinstance(f, dict) for f in fields):
            raise PackageInvalid(f"resource {name!r}: its schema lists no fields")
        clean_fields = []
        for f in fields:
            cf = {k: f[k] for k in _FIELD_KEYS if k in f}
            if isinstance(cf.get("constraints"), dict):
                cf["constraints"] = {k: v for k, v in cf["constraints"].items() if k in _CONSTRAINTS}
            clean_fields.append(cf)
        clean_schema = {"fields": clean_fields}
        for k in ("missingValues", "primaryKey"):
            if k in schema:
                clean_schema[k] = schema[k]
        out["resources"].append({
            "name": name, "path": res["path"], "profile": "tabular-data-resource", "format": "csv",
            "mediatype": "text/csv", "encoding": "utf-8", "schema": clean_schema,
            "dialect": {k: v for k, v in dialect.items() if k in _DIALECT_KEYS}})
    return out


def _frictionless(descriptor: Path) -> dict[str, int]:
    """Table Schema validation of every row by the frictionless library; rows per resource."""
    import frictionless
    try:
        report = frictionless.validate(str(descriptor))
    except (frictionless.FrictionlessException, re.error) as exc:
        raise PackageInvalid(f"schema check failed: {exc}") from None
    if not report.valid:
        errs = report.flatten(["type", "note"])[:3]
        raise PackageInvalid("schema check failed: " + "; ".join(f"{t}: {n}" for t, n in errs))
    return {task.name: task.stats.get("rows", 0) for task in report.tasks}
