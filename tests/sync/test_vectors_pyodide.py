"""The wire's test vectors, byte for byte, inside Pyodide with the browser backend of
core/crypto (noble, bundled from npm as the offline app ships it) — and on CPython (pyca).

Pyodide runs under Node (the offline app's own copy, from the flet-web wheel; it is npm's
`pyodide` package), the repo mounted read-only; the same `tests/sync/vector_checks.py`
runs in both, and both must count the same cases.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.sync import vector_checks

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "jaga_desa" / "offline" / "pyodide_run.mjs"


@pytest.fixture(scope="module")
def noble_js(tmp_path_factory) -> Path:
    from jaga_desa.offline.build import noble_bundle
    path = tmp_path_factory.mktemp("noble") / "noble.js"
    path.write_bytes(noble_bundle())
    return path


def run_in_pyodide(noble_js: Path, code: str) -> str:
    from jaga_desa.offline.build import pyodide_dir
    node = shutil.which("node")
    assert node, "node is needed (Debian: apt-get install nodejs)"
    done = subprocess.run([node, str(RUN), str(pyodide_dir()), str(noble_js), str(ROOT), code],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_vectors_on_cpython_with_pyca():
    counts = vector_checks.run_all()
    assert counts["backend"] == "pyca"
    assert all(n > 0 for k, n in counts.items() if k != "backend")


def test_vectors_in_pyodide_with_noble_byte_for_byte(noble_js):
    out = run_in_pyodide(noble_js, "import json\nfrom tests.sync.vector_checks import run_all\n"
                                   "print('RESULT', json.dumps(run_all()))")
    got = json.loads(out.split("RESULT ", 1)[1])
    assert got == {**vector_checks.run_all(), "backend": "noble"}


def test_a_tampered_vector_fails_in_pyodide_too(noble_js):
    """The check is live in Pyodide: one flipped byte of a valid envelope is refused there."""
    out = run_in_pyodide(noble_js, """
import json
from core.errors import EnvelopeError
from sync import envelope as env
from tests.sync.make_vectors import keys
v = json.load(open('/src/tests/sync/vectors/envelope_v1.json'))['valid'][0]
data = bytearray(bytes.fromhex(v['envelope'])); data[-70] ^= 1
k = keys()
try:
    env.open(bytes(data), recipient_key=k['office'], author_public=k['author'].public_key())
    print('OPENED')
except EnvelopeError:
    print('REFUSED')
""")
    assert out.strip().endswith("REFUSED")
