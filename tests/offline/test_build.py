"""`jaga-desa build-app`: everything the phone needs is in the folder, the service worker
precaches exactly that, and a new build replaces an old one cleanly."""
from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import json
import re
import tarfile
import zipfile

import pytest

from core.errors import BuildFailed
from jaga_desa.offline.build import MARKER, NOBLE, build_app


def _sw_files(build) -> list[str]:
    sw = (build / "sw.js").read_text()
    return json.loads(re.search(r"const FILES = (\[.*?\])\.map", sw).group(1))


def test_the_service_worker_precaches_every_file_of_the_build(offline_build):
    on_disk = {str(p.relative_to(offline_build)) for p in offline_build.rglob("*") if p.is_file()}
    listed = set(_sw_files(offline_build)) - {""}           # "" is the start page, /app/
    assert listed == on_disk - {"sw.js", "integrity.json", MARKER}
    for must in ("index.html", "main.dart.js", "canvaskit/canvaskit.wasm", "pyodide/pyodide.asm.wasm",
                 "pyodide/python_stdlib.zip", "app.tar.gz", "noble.js", "assets/fonts/roboto.woff2"):
        assert must in listed
    version = (offline_build / MARKER).read_text().strip()
    sw = (offline_build / "sw.js").read_text()
    assert f'const VERSION = "{version}"' in sw
    # Chromium's auto preload opted out of: a launch never races the cache with the office
    # (shown in the browser by tests/e2e/test_offline_phone.py::test_restart_online_takes_the_app_from_the_phone)
    assert 'addRoutes?.({ condition: { requestMode: "navigate" }, source: "fetch-event" })' in sw


def test_integrity_is_recorded_for_every_file_including_the_noble_bundle(offline_build):
    rec = json.loads((offline_build / "integrity.json").read_text())
    assert set(rec["files"]) == set(_sw_files(offline_build)) - {""}
    for name, digest in rec["files"].items():
        raw = (offline_build / name).read_bytes()
        assert digest == "sha384-" + base64.b64encode(hashlib.sha384(raw).digest()).decode(), name
    assert "jagaCrypto" in (offline_build / "noble.js").read_text()
    lock = json.loads((NOBLE / "package-lock.json").read_text())
    for name in ("@noble/curves", "@noble/ciphers", "@noble/hashes"):
        assert lock["packages"][f"node_modules/{name}"]["integrity"].startswith("sha512-")


def test_the_page_runs_python_in_the_browser_with_nothing_from_a_cdn(offline_build):
    page = (offline_build / "index.html").read_text()
    assert 'flet.pyodide = true;' in page and 'flet.pyodideUrl="/app/pyodide/pyodide.mjs";' in page
    assert 'flet.noCdn=true;' in page and 'flet.webRenderer="canvaskit";' in page
    assert 'navigator.serviceWorker.register("/app/sw.js", {scope: "/app/", updateViaCache: "all"})' in page and "navigator.storage.persist()" in page
    assert re.search(r'<meta http-equiv="Content-Security-Policy" content="default-src \'self\' data: blob:;[^"]*'
                     r"script-src 'self'[^\"]*connect-src 'self' data: blob:;", page), "no other origin may be asked"
    assert not re.search(r"https?://", re.sub(r"<!--.*?-->", "", page, flags=re.S).replace(
        "http-equiv", "")), "the page names no other origin"
    assert "serviceWorkerSettings" not in (offline_build / "flutter_bootstrap.js").read_text().split(
        "_flutter.loader.load(")[-1]
    assert not (offline_build / "flutter_service_worker.js").exists()
    worker = (offline_build / "python-worker.js").read_text()
    assert 'import "./noble.js";' in worker and "micropip" not in worker, "noble first, nothing installed at launch"
    assert "takeEarlyWorker() || new Worker(" in (offline_build / "python.js").read_text(), "Python starts early"


def test_the_app_archive_holds_the_phone_and_never_the_office(offline_build):
    with tarfile.open(fileobj=io.BytesIO((offline_build / "app.tar.gz").read_bytes())) as tar:
        names = tar.getnames()
        magics = {tar.extractfile(n).read(4) for n in names if n.endswith(".pyc")}
    assert "main.pyc" in names and "core/crypto_web.pyc" in names and "fieldapp/device.pyc" in names
    assert "jaga_desa/offline/entry.pyc" in names and "__pypackages__/flet/__init__.pyc" in names
    assert not any(n.startswith(("office/", "jaga_desa/testing/")) for n in names)
    assert not any(n.endswith((".so", ".py", ".pyi")) for n in names), "compiled, and only for Pyodide"
    with zipfile.ZipFile(offline_build / "pyodide" / "python_stdlib.zip") as stdlib:
        assert "asyncio/__init__.pyc" in stdlib.namelist() and "asyncio/__init__.py" not in stdlib.namelist()
        magics.add(stdlib.read("asyncio/__init__.pyc")[:4])
    assert len(magics) == 1 and magics != {importlib.util.MAGIC_NUMBER}, \
        "bytecode for the one Python inside Pyodide (3.14), never this CPython's"
