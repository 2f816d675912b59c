"""sync.appserver: the field app's client files leave compressed and cacheable, the page
itself is always revalidated. A real uvicorn on loopback serving real files."""
from __future__ import annotations

import threading

import requests
import uvicorn
from starlette.applications import Starlette
from starlette.staticfiles import StaticFiles

from jaga_desa.testing import free_port, wait_http
from sync import appserver


def test_client_files_are_gzipped_and_cached_page_is_not(tmp_path):
    (tmp_path / "index.html").write_text("<html>" + "x" * 5000 + "</html>")
    (tmp_path / "main.dart.js").write_text("var a = 1;\n" * 20000)
    app = Starlette()
    app.mount("/", StaticFiles(directory=tmp_path, html=True))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(appserver.wrap(app), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    wait_http(base + "/", timeout=10)
    try:
        js = requests.get(base + "/main.dart.js", headers={"Accept-Encoding": "gzip"}, stream=True)
        wire = len(js.raw.read(decode_content=False))
        assert js.headers["content-encoding"] == "gzip" and wire < 220000 / 10
        assert js.headers["cache-control"] == f"public, max-age={appserver.CACHE_SECONDS}"
        again = requests.get(base + "/main.dart.js", headers={"If-None-Match": js.headers["etag"]})
        assert again.status_code == 304 and again.content == b""          # revalidation costs no body
        page = requests.get(base + "/")
        assert page.headers["cache-control"] == "no-cache"
    finally:
        server.should_exit = True
        thread.join(10)
