"""README.md inside every hand-over zip: what the package is, and how to verify it.

A recipient may have no Jaga Desa software at all. The recipe below needs only Python and
the `cryptography` package (tests/handover/test_readme.py runs it, copied out of a real
package's README, in a fresh virtual environment holding nothing else). The README is
itself listed with its hash in datapackage.json, so it is signed like the data: nobody on
the way can rewrite the recipe into one that skips a check.
"""
from __future__ import annotations

NAME = "README.md"
FINGERPRINT_METHOD = ("base32(SHA-256(b'jaga-desa/v1/office-identity' + office_x25519_public + public_key))"
                      "[:32], in groups of 4 joined by '-'")

# Copied verbatim into every README; the test extracts it from between the fences.
RECIPE = '''import base64, hashlib, json, sys, zipfile
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

package, expected = sys.argv[1], sys.argv[2]       # the zip, and the fingerprint the office gave you
z = zipfile.ZipFile(package)
sig = json.loads(z.read("signature.json"))
descriptor = z.read("datapackage.json")            # the exact bytes that were signed
ed = base64.b64decode(sig["public_key"])
x = base64.b64decode(sig["office_x25519_public"])
fp = base64.b32encode(hashlib.sha256(b"jaga-desa/v1/office-identity" + x + ed).digest()).decode()[:32]
want = "".join(c for c in expected.upper() if c.isalnum())
if fp != want:
    sys.exit(f"NOT VERIFIED: signed by office {fp}, not by {want}")
try:
    Ed25519PublicKey.from_public_bytes(ed).verify(base64.b64decode(sig["signature"]),
                                                  b"jaga-desa/v1/handover\\n" + descriptor)
except Exception:
    sys.exit("NOT VERIFIED: the signature does not match datapackage.json")
d = json.loads(descriptor)
files = d["resources"] + [d["readme"]]
if sorted(z.namelist()) != sorted([f["path"] for f in files] + ["datapackage.json", "signature.json"]):
    sys.exit("NOT VERIFIED: the zip holds files datapackage.json does not list (or lacks some)")
for f in files:
    data = z.read(f["path"])
    if f["hash"] != "sha256:" + hashlib.sha256(data).hexdigest() or f["bytes"] != len(data):
        sys.exit(f"NOT VERIFIED: {f['path']} was changed after signing")
print(f"VERIFIED: signed by office {fp}; {len(files)} files intact")
'''


def text(descriptor: dict, fingerprint: str, tables: list[tuple[str, str, int]]) -> str:
    """The README for one package; `tables` are (file, title, rows)."""
    disclosure = descriptor.get("disclosure") or {}
    period = descriptor.get("period") or {}
    producer = descriptor.get("producer") or {}
    roles = {c.get("role"): c for c in descriptor.get("contributors") or []}
    listing = "\n".join(f"- `{f}` — {title} ({rows} baris / rows)" for f, title, rows in tables)
    publisher, custodian = roles.get("publisher", {}), roles.get("maintainer", {})
    who = publisher.get("title", "") + (f" <{publisher['email']}>" if publisher.get("email") else "")
    return f"""# {descriptor.get('title', 'Jaga Desa hand-over package')}

Produced by / dibuat oleh: {producer.get('office', '')}
Tier / tingkat: {disclosure.get('tier', '')} — {disclosure.get('description', '')}
Recipient / penerima: {disclosure.get('recipient', '')}
Period / periode: {period.get('start', '')} .. {period.get('end', '')} ({period.get('basis', '')})
Contact / kontak: {who or producer.get('office', '')}
Custodian / walidata: {custodian.get('title', '') or producer.get('office', '')}
Licence / lisensi: {(descriptor.get('licenses') or [{}])[0].get('title', '')}

## Files / berkas

- `datapackage.json` — Frictionless Data Package: every column, its type and meaning.
{listing}
- `signature.json` — the office's Ed25519 signature over datapackage.json.
- `README.md` — this file (its hash is in datapackage.json, so it is signed too).

`codebook.csv` decodes every code, in Bahasa Indonesia and English.
A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return begins with an
apostrophe (`'`) so that no spreadsheet runs it as a formula: `'+62812…` is the phone
number `+62812…`. / Sel teks yang diawali `= + - @` diberi apostrof agar tidak dijalankan
sebagai rumus.

## Verify before you use it / periksa sebelum dipakai

1. Get the office fingerprint **out of band** (by phone, on paper, in person) from the
   office — not from this zip. The office shows it on its hand-over page and prints it with
   `jaga-desa handover fingerprint`. It looks like `ABCD-EFGH-…` (8 groups of 4).
   This package says it was signed by `{fingerprint}`; that claim proves nothing on its own.
2. With Python 3 and `pip install cryptography`, save the script below as `verify_package.py`
   and run `python verify_package.py PACKAGE.zip "FINGERPRINT FROM THE OFFICE"`.
   It must print `VERIFIED`. Anything else: do not use the data; ask the office.

What is signed: the bytes `jaga-desa/v1/handover` plus one newline (`signature.json`'s
`signed_prefix`), immediately followed by `datapackage.json` exactly as stored. The
fingerprint is {FINGERPRINT_METHOD}.

```python
{RECIPE}```

3. Optional: `frictionless validate datapackage.json` (after unzipping) checks every row
   against its Table Schema; `jaga-desa handover verify PACKAGE.zip --expect-key FINGERPRINT`
   does all of the above at once.
"""
