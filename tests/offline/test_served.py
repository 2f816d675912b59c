"""The office serves the offline app at /app/ (real office, real uvicorn), and the API
answers no other web origin (no CORS headers at all: only the app's own origin, the
office's, can read it from a browser)."""
from __future__ import annotations

import subprocess

import pytest
import requests

from jaga_desa.testing.servers import JAGA, OfficeServer


@pytest.fixture(scope="module")
def app_office(offline_build, tmp_path_factory):
    server = OfficeServer(tmp_path_factory.mktemp("served") / "office",
                          extra_args=["--app-dir", str(offline_build)]).start()
    yield server
    server.stop()


def test_the_app_is_served_with_the_types_a_browser_insists_on(app_office, offline_build):
    base = app_office.url + "/app/"
    page = requests.get(base, timeout=10)
    assert page.status_code == 200 and 'flet.pyodide = true;' in page.text
    assert page.headers["cache-control"] == "no-cache"
    sw = requests.get(base + "sw.js", timeout=10)
    # kept a day: a launch checks for a new build at most daily, and costs no network otherwise
    assert sw.status_code == 200 and sw.headers["cache-control"] == "max-age=86400"
    assert "javascript" in sw.headers["content-type"]
    assert requests.get(base + "pyodide/pyodide.mjs", timeout=10).headers["content-type"].startswith("text/javascript")
    assert requests.get(base + "pyodide/pyodide.asm.wasm", timeout=10).headers["content-type"] == "application/wasm"
    big = requests.get(base + "main.dart.js", timeout=30, headers={"Accept-Encoding": "gzip"}, stream=True)
    wire = big.raw.read(decode_content=False)           # what crosses the office's Wi-Fi
    assert big.headers["content-encoding"] == "gzip"
    assert len(wire) < (offline_build / "main.dart.js").stat().st_size / 2
    moved = requests.get(app_office.url + "/app", timeout=10, allow_redirects=False)
    assert moved.status_code in (301, 302, 307, 308) and moved.headers["location"].endswith("/app/")
    assert requests.get(base + "../api/v1/health", timeout=10).status_code == 200


def test_no_other_origin_may_read_the_api(app_office):
    """A page elsewhere (the attacker's) asks the phone's browser to call the office."""
    evil = {"Origin": "https://evil.example"}
    pre = requests.options(app_office.url + "/api/v1/envelopes", timeout=10,
                           headers={**evil, "Access-Control-Request-Method": "POST",
                                    "Access-Control-Request-Headers": "authorization"})
    assert "access-control-allow-origin" not in pre.headers
    got = requests.get(app_office.url + "/api/v1/health", headers=evil, timeout=10)
    assert got.status_code == 200 and "access-control-allow-origin" not in got.headers
    assert pre.status_code < 500


def test_no_app_dir_no_app_and_a_wrong_folder_is_refused(office_server, tmp_path):
    assert requests.get(office_server.url + "/app/", timeout=10).status_code == 404
    (tmp_path / "notabuild").mkdir()
    done = subprocess.run([*JAGA, "office", "--data", str(tmp_path / "o"), "--port", "9",
                           "--app-dir", str(tmp_path / "notabuild")], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "error [build_failed]" in done.stderr
