"""Write a Frictionless data package into a signed zip.

    datapackage.json   metadata + one Table Schema per CSV + sha256/bytes of each CSV
                       and of README.md
    <name>.csv         UTF-8, header row, RFC 4180 quoting
    README.md          what the package is and how to verify it with Python + cryptography
    signature.json     Ed25519 over  b"jaga-desa/v1/handover\\n" + datapackage.json bytes,
                       with both office public keys, so the recipient recomputes the office
                       fingerprint (the one format shown everywhere, sync/identity.py)

Signing the descriptor signs everything: it carries the hash of every CSV and of the
README. CSVs are streamed to a temp dir while hashed, so memory stays flat whatever the
row count.
"""
from __future__ import annotations

import base64
import contextlib
import csv
import hashlib
import io
import json
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from office.keys import OfficeKeys
from sync import identity

from . import readme

SIGNED_PREFIX = b"jaga-desa/v1/handover\n"
DESCRIPTOR = "datapackage.json"
SIGNATURE = "signature.json"
README = readme.NAME
SIGNATURE_FORMAT = "jaga-desa-handover-signature/2"
SIGNED_MESSAGE = ("the bytes of signed_prefix (UTF-8, ending in one newline) immediately followed by "
                  "the bytes of datapackage.json exactly as stored in this zip")


def fingerprint(x25519_public: bytes, ed25519_public: bytes) -> str:
    """The office fingerprint, grouped ("7Q3K-M2XA-…"): the same string the office prints at
    start, enrollment tickets carry and `handover fingerprint` prints."""
    return identity.grouped(identity.fingerprint(x25519_public, ed25519_public))


def sha256_ref(data: bytes) -> dict:
    return {"bytes": len(data), "hash": f"sha256:{hashlib.sha256(data).hexdigest()}"}


class _HashingFile(io.RawIOBase):
    def __init__(self, f) -> None:
        self.f, self.h, self.n = f, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self.h.update(b)
        self.n += len(b)
        return self.f.write(b)


@dataclass
class Table:
    name: str
    schema: dict
    title: str = ""
    rows: int = 0
    bytes: int = 0
    sha256: str = ""
    path: Path | None = field(default=None, repr=False)

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    def resource(self) -> dict:
        return {"name": self.name, "path": self.filename, "title": self.title,
                "profile": "tabular-data-resource", "format": "csv", "mediatype": "text/csv",
                "encoding": "utf-8", "bytes": self.bytes, "hash": f"sha256:{self.sha256}",
                "schema": self.schema, "dialect": {"delimiter": ",", "header": True}}


class Builder:
    """Collect tables in a temp dir, then write the signed zip."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="jaga-handover-")
        self.tables: list[Table] = []

    def __enter__(self) -> "Builder":
        return self

    def __exit__(self, *exc) -> None:
        self._tmp.cleanup()

    def add(self, table: Table, rows: Iterable[list]) -> Table:
        with self.stream(table) as write:
            for r in rows:
                write(r)
        return table

    @contextlib.contextmanager
    def stream(self, table: Table):
        """A `write(row)` for one table, so one pass over the reports can fill two tables."""
        table.path = Path(self._tmp.name) / table.filename
        with table.path.open("wb") as raw:
            hf = _HashingFile(raw)
            text = io.TextIOWrapper(hf, encoding="utf-8", newline="", write_through=True)
            w = csv.writer(text, lineterminator="\r\n")
            w.writerow([f["name"] for f in table.schema["fields"]])

            def write(row: list) -> None:
                w.writerow(row)
                table.rows += 1
            yield write
            text.flush()
            text.detach()
        table.bytes, table.sha256 = hf.n, hf.h.hexdigest()
        self.tables.append(table)

    def write(self, out: Path, descriptor: dict, keys: OfficeKeys) -> tuple[bytes, str]:
        """Write the zip; returns (descriptor bytes, sha256 of the zip)."""
        fp = fingerprint(keys.x25519_public, keys.ed25519_public)
        about = readme.text(descriptor, fp, [(t.filename, t.title, t.rows) for t in self.tables]).encode()
        descriptor = dict(descriptor, resources=[t.resource() for t in self.tables],
                          readme={"path": README, "mediatype": "text/markdown", **sha256_ref(about)})
        body = (json.dumps(descriptor, ensure_ascii=False, indent=1, sort_keys=False) + "\n").encode()
        sig = keys.ed25519.sign(SIGNED_PREFIX + body)
        signature = {"format": SIGNATURE_FORMAT, "algorithm": "Ed25519", "signed_file": DESCRIPTOR,
                     "signed_prefix": SIGNED_PREFIX.decode(), "signed_message": SIGNED_MESSAGE,
                     "public_key": base64.b64encode(keys.ed25519_public).decode(),
                     "office_x25519_public": base64.b64encode(keys.x25519_public).decode(),
                     "key_fingerprint": fp, "fingerprint_method": readme.FINGERPRINT_METHOD,
                     "signature": base64.b64encode(sig).decode()}
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".part")
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr(README, about)
            z.writestr(DESCRIPTOR, body)
            for t in self.tables:
                z.write(t.path, t.filename)
            z.writestr(SIGNATURE, json.dumps(signature, indent=1) + "\n")
        h = hashlib.sha256()
        with tmp.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        tmp.replace(out)
        return body, h.hexdigest()
