"""The recipe in every package's README.md verifies the package with only Python and
`cryptography`: copied out of a real package's README and run in a fresh virtual
environment that holds nothing else (issue 23.10). The environment is offline-built: the
venv is created without pip and given this project's own installed `cryptography` (and
its `cffi`, `pycparser`) by symlink, so the test needs no registry."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import cffi
import cryptography
import pycparser
import pytest

from office.handover import verify

from .test_verify import fingerprint_of, rezip


@pytest.fixture(scope="module")
def clean_python(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("clean-venv")
    venv.create(root, with_pip=False, clear=True)
    site = next((root / "lib").glob("python3*/site-packages"))
    for mod in (cryptography, cffi, pycparser):
        src = Path(mod.__file__).parent
        (site / src.name).symlink_to(src)
    backend = next(Path(cffi.__file__).parent.parent.glob("_cffi_backend*.so"))
    (site / backend.name).symlink_to(backend)
    py = root / "bin" / "python"
    probe = subprocess.run([py, "-I", "-c", "import frictionless"], capture_output=True, text=True)
    assert probe.returncode != 0, "the clean venv must not see the project's packages"
    probe = subprocess.run([py, "-I", "-c", "import office"], capture_output=True, text=True, cwd="/")
    assert probe.returncode != 0
    return py


@pytest.fixture(scope="module")
def package(seeded, tmp_path_factory) -> Path:
    return seeded.export("B", tmp_path_factory.mktemp("readme") / "b.zip", "--recipient", "BP3MI Kaltara")


def recipe(pkg: Path) -> str:
    with zipfile.ZipFile(pkg) as z:
        text = z.read("README.md").decode("utf-8")
    m = re.search(r"```python\n(.*?)```", text, re.S)
    assert m, "README.md holds a python recipe"
    return m.group(1)


def run(py: Path, script: Path, pkg: Path, fp: str) -> subprocess.CompletedProcess:
    return subprocess.run([py, "-I", str(script), str(pkg), fp], capture_output=True, text=True,
                          timeout=60, cwd=script.parent)


def test_the_readme_recipe_verifies_in_a_clean_venv(seeded, package, clean_python, tmp_path):
    script = tmp_path / "verify_package.py"
    script.write_text(recipe(package))
    fp = fingerprint_of(seeded)
    done = run(clean_python, script, package, fp)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"VERIFIED: signed by office {fp.replace('-', '')}")


@pytest.mark.parametrize("edit, says", [
    (lambda n, d: d.replace(b"rekrutmen", b"penampungan", 1) if n == "reports.csv" else d, "changed after"),
    (lambda n, d: d.replace(b"Verify before", b"Skip checking", 1) if n == "README.md" else d, "changed after"),
    (lambda n, d: d.replace(b'"version"', b'"versi0n"', 1) if n == "datapackage.json" else d, "signature"),
])
def test_the_recipe_refuses_what_verify_refuses(seeded, package, clean_python, tmp_path, edit, says):
    script = tmp_path / "verify_package.py"
    script.write_text(recipe(package))
    bad = rezip(package, tmp_path / "bad.zip", edit)
    done = run(clean_python, script, bad, fingerprint_of(seeded))
    assert done.returncode != 0 and "NOT VERIFIED" in done.stderr and says in done.stderr, done.stderr


def test_the_recipe_refuses_another_office(package, clean_python, tmp_path):
    script = tmp_path / "verify_package.py"
    script.write_text(recipe(package))
    done = run(clean_python, script, package, "AAAA-" * 7 + "AAAA")
    assert done.returncode != 0 and "NOT VERIFIED: signed by office" in done.stderr


def test_signed_prefix_is_exactly_what_is_signed(package):
    """signature.json's signed_prefix + datapackage.json verifies under public_key as stored."""
    import base64
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    with zipfile.ZipFile(package) as z:
        sig, body = json.loads(z.read("signature.json")), z.read("datapackage.json")
    assert sig["signed_prefix"] == "jaga-desa/v1/handover\n"
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(sig["public_key"]))
    key.verify(base64.b64decode(sig["signature"]), sig["signed_prefix"].encode() + body)
    assert verify(package)["key_fingerprint"] == sig["key_fingerprint"]
