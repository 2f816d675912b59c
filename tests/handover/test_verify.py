"""Verification as the attacker and as the recipient: every edit to a package is caught,
and a recipient with only `frictionless` and the verify command can read it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import frictionless
import pytest

from office.handover import PackageInvalid, verify

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def package_b(seeded, tmp_path_factory) -> Path:
    return seeded.export("B", tmp_path_factory.mktemp("pkg") / "b.zip", "--recipient", "BP3MI Kaltara")


def rezip(src: Path, dst: Path, edit) -> Path:
    """Copy the zip member by member, letting `edit(name, data)` change or drop members."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for n in zin.namelist():
            out = edit(n, zin.read(n))
            if out is not None:
                zout.writestr(*out) if isinstance(out, tuple) else zout.writestr(n, out)
    return dst


def fingerprint_of(seeded) -> str:
    rc, out, err = seeded.cli("fingerprint", "--data", str(seeded.data))
    assert rc == 0, err
    return out.strip()


def test_a_real_package_verifies_with_the_expected_key(seeded, package_b):
    out = verify(package_b, fingerprint_of(seeded))
    assert out["valid"] and out["tier"] == "B" and out["fingerprint_checked"]
    assert out["rows"]["reports"] == 26


def _flip_row(name, data):
    return data.replace(b"rekrutmen", b"penampungan", 1) if name == "reports.csv" else data


def _more_rows_in_counts(name, data):
    if name != "datapackage.json":
        return data
    d = json.loads(data)
    d["rowCounts"]["reports"] = 1
    return json.dumps(d).encode()


def _forge_signature(name, data):
    if name != "signature.json":
        return data
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    import base64
    d = json.loads(data)
    k = Ed25519PrivateKey.generate()
    d["public_key"] = base64.b64encode(k.public_key().public_bytes_raw()).decode()
    return json.dumps(d).encode()


@pytest.mark.parametrize("edit, message", [
    (_flip_row, "altered after signing"),
    (_more_rows_in_counts, "signature does not match"),
    (_forge_signature, "signature does not match"),
    (lambda n, d: None if n == "codebook.csv" else d, "not a file of this package"),
    (lambda n, d: None if n == "signature.json" else d, "signature.json is missing"),
    (lambda n, d: (("../evil.csv", d) if n == "codebook.csv" else d), "unexpected member name"),
])
def test_every_edit_is_caught(package_b, tmp_path, edit, message):
    bad = rezip(package_b, tmp_path / "bad.zip", edit)
    with pytest.raises(PackageInvalid, match=message):
        verify(bad)


def test_an_extra_member_is_refused(package_b, tmp_path):
    bad = tmp_path / "extra.zip"
    bad.write_bytes(package_b.read_bytes())
    with zipfile.ZipFile(bad, "a") as z:
        z.writestr("notes.csv", "a\n1\n")
    with pytest.raises(PackageInvalid, match="not described"):
        verify(bad)


def test_a_package_from_another_office_key_is_refused(seeded, package_b):
    with pytest.raises(PackageInvalid, match="not the expected office"):
        verify(package_b, "AAAA-" * 7 + "AAAA")


def test_one_fingerprint_format_the_office_start_line_is_accepted(seeded, package_b):
    """`handover fingerprint`, the office's start line and the dashboard show one string;
    --expect-key takes it as printed, ungrouped, lower case; the old hex form is refused."""
    from office.keys import public_fingerprint
    from sync.identity import grouped
    fp = fingerprint_of(seeded)
    assert fp == grouped(public_fingerprint(seeded.data))          # what the office prints at start
    for typed in (fp, fp.replace("-", ""), fp.lower().replace("-", " ")):
        assert verify(package_b, typed)["key_fingerprint"] == fp
    rc, _, err = seeded.cli("verify", str(package_b), "--expect-key", "ab12 " * 16)
    assert rc == 1 and err.startswith("error [package_invalid]:") and "not an office fingerprint" in err


def test_not_a_zip_gives_a_typed_cli_error(seeded, tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK\x03\x04 this is not a zip")
    rc, _, err = seeded.cli("verify", str(junk))
    assert rc == 1 and err.startswith("error [package_invalid]:")


def test_recipient_side_only_frictionless_and_the_verify_command(seeded, package_b, tmp_path):
    """What a partner agency does: run the verify command, unpack, read with frictionless."""
    fp = fingerprint_of(seeded)
    env = {k: v for k, v in os.environ.items() if k != "JAGA_OFFICE_KEY"}    # no office secrets
    done = subprocess.run([sys.executable, "-m", "jaga_desa", "handover", "verify", str(package_b), "--expect-key", fp],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK: tier B package") and "BP3MI Kaltara" in done.stdout
    with zipfile.ZipFile(package_b) as z:
        z.extractall(tmp_path / "unpacked")
    report = frictionless.validate(str(tmp_path / "unpacked" / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note"])
    pkg = frictionless.Package(str(tmp_path / "unpacked" / "datapackage.json"))
    codebook = pkg.get_resource("codebook").read_rows()
    kategori = {r["code"]: r for r in codebook if r["variable"] == "laporan_kecurigaan__kategori" and r["code"]}
    assert kategori["rekrutmen"]["label_en"].startswith("Suspicious recruitment")
    assert kategori["penampungan"]["iom_ctdc"] == "meansOfControlRestrictsMovement"
    assert kategori["penampungan"]["mapping_by"].startswith("jaga-desa (proposed")
    reports = pkg.get_resource("reports").read_rows()
    assert len(reports) == 26 and all(r["kode_kecamatan"].startswith("65.03.") for r in reports)
    assert pkg.custom["codeLists"][0]["version"] == "Kepmendagri 300.2.2-2138/2025"
