"""The overview map over a real office (uvicorn subprocess): the shipped basemap's layers,
two reports at one spot as one cluster of 2 with a list of both, region visibility kept,
the optional tile layer only when the office names a tile server (served here by a real
local HTTP server), and screenshots at 1440x900 and 360x640 in artifacts/."""
from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import forms
import pytest
import requests

from core.net import free_port
from jaga_desa.testing.dashboard import sign_in
from jaga_desa.testing.servers import OfficeServer
from jaga_desa.testing.waits import wait_until
from tests.dashboard.conftest import PASSWORD, seal_report
from tests.support import enroll as enroll_person

ART = Path(__file__).resolve().parents[2] / "artifacts"
SEBATIK = {"lat": 4.13681, "lon": 117.66642, "accuracy": 15.0}     # the form's example point
NUNUKAN = {"lat": 4.05, "lon": 117.60, "accuracy": 20.0}


class Tiles(BaseHTTPRequestHandler):
    """A tile server as an office might run one: a 256 px PNG for any /z/x/y.png."""
    hits: list[tuple[str, dict]] = []          # (path, headers) as the tile server saw them

    def do_GET(self):  # noqa: N802 — http.server's name
        from PIL import Image, ImageDraw
        Tiles.hits.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        img = Image.new("RGB", (256, 256), (214, 226, 205))
        ImageDraw.Draw(img).rectangle([0, 0, 255, 255], outline=(150, 160, 150))
        buf = io.BytesIO()
        img.save(buf, "PNG")
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(buf.getvalue())))
        self.end_headers()
        self.wfile.write(buf.getvalue())

    def log_message(self, *a):
        pass


@pytest.fixture(scope="module")
def tile_server():
    srv = ThreadingHTTPServer(("127.0.0.1", free_port()), Tiles)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    # "localhost", not the office's "127.0.0.1": another host name, as a real tile server has
    yield f"http://localhost:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def _seed(server: OfficeServer) -> dict:
    server.admin(["add-village", "--name", "Sungai Pancang", "--region", "Nunukan"])
    server.admin(["add-village", "--name", "Badau", "--region", "Kapuas Hulu"])
    os.environ["JAGA_PASSWORD"] = PASSWORD
    server.admin(["add-staff", "--username", "intel_nnk", "--role", "intel", "--region", "Nunukan"])
    server.admin(["add-staff", "--username", "intel_kh", "--role", "intel", "--region", "Kapuas Hulu"])
    vol, client = enroll_person(server, "Sungai Pancang", "volunteer", "Siti Relawan")
    lap = forms.load("laporan_kecurigaan", 1).example()
    sealed = {"a": seal_report(vol, "laporan_kecurigaan", {**lap, "lokasi": SEBATIK}),
              "b": seal_report(vol, "laporan_kecurigaan", {**lap, "lokasi": SEBATIK, "urgensi": "biasa"}),
              "c": seal_report(vol, "laporan_kecurigaan", {**lap, "lokasi": NUNUKAN})}
    assert all(r["status"] == "accepted" for r in client.push([s.envelope for s in sealed.values()]))
    return {k: s.envelope_id for k, s in sealed.items()}


def login(url: str, username: str) -> requests.Session:
    return sign_in(url, username, PASSWORD)


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    server = OfficeServer(tmp_path_factory.mktemp("map") / "office").start()
    try:
        yield server, _seed(server)
    finally:
        server.stop()


def clusters_in(page: str) -> list[str]:
    return re.findall(r'<g class="cluster[^"]*" data-count="(\d+)"', page)


def test_overview_map_draws_the_shipped_basemap_and_clusters_coincident_reports(office):
    server, ids = office
    s = login(server.url, "intel_nnk")
    r = s.get(server.url + "/dashboard/overview")
    assert r.status_code == 200
    page = r.text
    svg = page[page.index('<svg role="img" aria-labelledby="map-title"'):]
    svg = svg[:svg.index("</svg>")]
    # basemap layers from the package: coastline, the Indonesia–Malaysia border across Sebatik,
    # land of both countries, place names (a GeoNames town and a Kemendagri island)
    assert re.search(r'<path class="coast" d="M[\d.]+ [\d.]+L', svg)
    assert 'class="border" data-between="Indonesia – Malaysia"' in svg
    assert '<path id="map-land" class="land"' in svg and 'class="land foreign" data-country="Malaysia"' in svg
    assert ">Tawau</text>" in svg and ">Pulau Sebatik</text>" in svg
    # two reports at one spot: one cluster of 2 (not two dots on top of each other), one lone dot
    assert clusters_in(svg) == ["2"]
    assert svg.count('class="pt') == 1 and f'href="/dashboard/reports/{ids["c"]}"' in svg
    # ... and the cluster links to a list naming both of its reports
    assert 'href="#map-cluster-1"' in svg
    item = page[page.index('<li id="map-cluster-1">'):]
    item = item[:item.index("</ul>")]
    assert "2 laporan" in item
    for k in ("a", "b"):
        assert f'href="/dashboard/reports/{ids[k]}"' in item and ids[k][:8] in item
    # no tile server named: no tile layer, and the policy still allows images from here only
    assert 'class="tiles"' not in svg and "<image" not in svg
    assert "img-src 'self' data:;" in r.headers["Content-Security-Policy"]
    # English switch relabels the map's own texts
    s.cookies.set("jd_lang", "en")
    en = s.get(server.url + "/dashboard/overview").text
    assert "National border" in en and "2 reports" in en and "Basemap: GSHHG, Natural Earth" in en
    assert re.search(r'class="axis">[\d.]+°N<', en) and re.search(r'class="axis">[\d.]+°E<', en)
    assert re.search(r'class="axis">[\d.]+°LU<', page) and re.search(r'class="axis">[\d.]+°BT<', page)


def test_the_map_keeps_region_visibility(office):
    server, _ids = office
    page = login(server.url, "intel_kh").get(server.url + "/dashboard/overview").text
    assert clusters_in(page) == [] and 'class="pt' not in page and "(0)</h2>" in page
    assert 'class="coast"' in page          # an empty map still shows where the office works


def test_tile_layer_only_when_the_office_names_a_tile_server(office, tile_server, tmp_path):
    server, ids = office
    url = tile_server + "/tiles/{z}/{x}/{y}.png"
    tiled = OfficeServer(server.data_dir, extra_args=["--tile-url", url])
    server.stop()
    tiled.start()
    try:
        r = login(tiled.url, "intel_nnk").get(tiled.url + "/dashboard/overview")
        layer = re.search(r'<g class="tiles" data-zoom="(\d+)">(.*?)</g>', r.text)
        assert layer, "no tile layer"
        hrefs = re.findall(r'<image href="([^"]+)"', layer.group(2))
        assert hrefs and all(h.startswith(tile_server + "/tiles/" + layer.group(1) + "/") for h in hrefs)
        assert f"img-src 'self' data: {tile_server};" in r.headers["Content-Security-Policy"]
        assert "script-src 'none'" in r.headers["Content-Security-Policy"]    # nothing else relaxed
        assert r.headers["Referrer-Policy"] == "no-referrer"
        assert clusters_in(r.text) == ["2"]                  # points still drawn over the tiles
        # the detail page's small map uses the same tiles
        detail = login(tiled.url, "intel_nnk").get(tiled.url + f"/dashboard/reports/{ids['c']}").text
        assert '<g class="tiles"' in detail
        # the same dashboard viewed under the tile server's host name: its session cookie would
        # go to the tile server, so no tile is referenced and the page says why
        same = tiled.url.replace("127.0.0.1", "localhost")
        r = login(same, "intel_nnk").get(same + "/dashboard/overview")
        assert r.status_code == 200 and "<image" not in r.text and clusters_in(r.text) == ["2"]
        assert "img-src 'self' data:;" in r.headers["Content-Security-Policy"]
        assert "Server ubin peta tidak dipakai" in r.text
    finally:
        tiled.stop()
        server.start()


def test_a_bad_tile_url_is_refused_with_a_typed_error(tmp_path):
    for bad in ("ftp://tiles.example/{z}/{x}/{y}.png", "http://tiles.example/tile.png",
                'http://x/{z}/{x}/{y}.png"><script>'):
        p = subprocess.run([sys.executable, "-m", "jaga_desa", "office", "--data", str(tmp_path / "o"),
                            "--port", str(free_port()), "--tile-url", bad],
                           capture_output=True, text=True, timeout=60,
                           env={**os.environ, "JAGA_OFFICE_KEY": "k"})
        assert p.returncode != 0 and p.stderr.startswith("error [bad_request]: "), (bad, p.stderr[-300:])
        assert "Traceback" not in p.stderr


@pytest.mark.e2e
def test_map_screenshots_at_1440_and_360(office, browser, tile_server):
    server, ids = office
    ART.mkdir(exist_ok=True)
    for (w, h), name in (((1440, 900), "map-1440x900"), ((360, 640), "map-360x640")):
        ctx = browser.new_context(viewport={"width": w, "height": h})
        page = ctx.new_page()
        page.goto(server.url + "/dashboard/login?next=/dashboard/overview")
        page.get_by_label("Nama pengguna").fill("intel_nnk")
        page.get_by_label("Kata sandi").fill(PASSWORD)
        page.get_by_role("button", name="Masuk").click()
        page.wait_for_url(re.compile(r".*/dashboard/.*"))
        page.goto(server.url + "/dashboard/overview")
        heading = page.get_by_role("heading", name=re.compile("Peta titik laporan"))
        heading.scroll_into_view_if_needed()
        svg = page.locator("svg.map")
        box = svg.bounding_box()
        assert box and box["width"] <= w and box["x"] >= 0          # the map fits the screen
        cluster = page.get_by_role("link", name=re.compile("^2 laporan di titik ini"))
        assert cluster.is_visible()
        top = page.evaluate("window.scrollY") + box["y"] - 60     # from the map's heading down
        page.screenshot(path=str(ART / f"{name}.png"), full_page=True,
                        clip={"x": 0, "y": max(0, top), "width": w, "height": h})
        cluster.click()                           # jumps to the list of the cluster's reports
        listed = page.locator("#map-cluster-1")
        assert listed.is_visible()
        for k in ("a", "b"):
            assert listed.get_by_role("link", name=re.compile(ids[k][:8])).is_visible()
        ctx.close()


@pytest.mark.e2e
def test_tiles_load_in_chromium_under_the_policy_and_tell_the_tile_server_nothing_else(
        office, browser, tile_server):
    """As the tile server's operator: it sees tile paths (so, roughly which area staff look
    at — THREAT_MODEL says so) but no referring dashboard URL and no session cookie."""
    server, _ids = office
    url = tile_server + "/tiles/{z}/{x}/{y}.png"
    tiled = OfficeServer(server.data_dir, extra_args=["--tile-url", url])
    server.stop()
    tiled.start()
    try:
        Tiles.hits.clear()
        ctx = browser.new_context(viewport={"width": 1440, "height": 900})
        page = ctx.new_page()
        page.goto(tiled.url + "/dashboard/login")
        page.get_by_label("Nama pengguna").fill("intel_nnk")
        page.get_by_label("Kata sandi").fill(PASSWORD)
        page.get_by_role("button", name="Masuk").click()
        page.wait_for_url(re.compile(r".*/dashboard/$"))
        page.goto(tiled.url + "/dashboard/overview")
        n = page.locator("svg.map g.tiles image").count()
        assert n > 0
        wait_until(lambda: len({p for p, _ in Tiles.hits}) >= n, 20, "every tile to be fetched",
                   pause=lambda s: page.wait_for_timeout(s * 1000))
        for path, headers in Tiles.hits:
            assert path.startswith("/tiles/") and "referer" not in headers and "cookie" not in headers, headers
        # the browser drew them (the policy let them in): every tile image decoded to 256 px
        widths = page.locator("svg.map g.tiles image").evaluate_all(
            "els => els.map(e => e.getBBox().width > 0)")
        assert all(widths)
        svg = page.locator("svg.map")
        svg.scroll_into_view_if_needed()
        svg.screenshot(path=str(ART / "map-tiles-1440x900.png"))
        ctx.close()
    finally:
        tiled.stop()
        server.start()
