"""The overview map over a real office (uvicorn subprocess): the shipped basemap's layers,
two reports at one spot as one cluster of 2 with a list of both, region visibility kept,
the optional tile layer only when the office names a tile server (served here by a real
local HTTP server), and screenshots at 1440x900 and 360x640 in artifacts/."""
from __future__ import annotations

import html
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
from playwright.sync_api import expect

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


# Malinau (another region, so the tests above never see them): two reports ~3 km apart, which
# the whole-area map draws as one cluster, and one far away that widens that map
MALINAU = {"near1": {"lat": 4.000, "lon": 117.600, "accuracy": 10.0},
           "near2": {"lat": 4.020, "lon": 117.620, "accuracy": 10.0},
           "far": {"lat": 3.000, "lon": 116.400, "accuracy": 10.0}}


@pytest.fixture(scope="module")
def malinau(office) -> dict:
    server, _ids = office
    server.admin(["add-village", "--name", "Long Bawan", "--region", "Malinau"])
    os.environ["JAGA_PASSWORD"] = PASSWORD
    server.admin(["add-staff", "--username", "intel_mlw", "--role", "intel", "--region", "Malinau"])
    vol, client = enroll_person(server, "Long Bawan", "volunteer", "Yohana")
    lap = forms.load("laporan_kecurigaan", 1).example()
    sealed = {k: seal_report(vol, "laporan_kecurigaan", {**lap, "lokasi": loc}) for k, loc in MALINAU.items()}
    assert all(r["status"] == "accepted" for r in client.push([s.envelope for s in sealed.values()]))
    return {k: s.envelope_id for k, s in sealed.items()}


def map_svg(page: str) -> str:
    svg = page[page.rindex('<svg', 0, page.index('aria-labelledby="map-title"')):]
    return svg[:svg.index("</svg>")]


def zoom_nav(page: str) -> dict[str, str | None]:
    """The zoom controls by their visible label: the link's URL, or None when shown disabled."""
    nav = page[page.index('<nav class="map-zoom"'):]
    nav = html.unescape(nav[:nav.index("</nav>")])
    out = {}
    for label in ("Perbesar", "Perkecil", "Seluruh wilayah"):
        m = re.search(r'<a class="button" href="([^"]+)">' + label + "</a>", nav)
        assert m or f'<span class="button" aria-disabled="true">{label}</span>' in nav, label
        out[label] = m.group(1) if m else None
    return out


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
    svg = page[page.rindex('<svg', 0, page.index('aria-labelledby="map-title"')):]
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


def test_a_cluster_of_reports_a_few_km_apart_zooms_in_until_they_separate(office, malinau):
    server, _ids = office
    s = login(server.url, "intel_mlw")
    page = s.get(server.url + "/dashboard/overview").text
    svg = map_svg(page)
    assert clusters_in(svg) == ["2"] and svg.count('class="pt') == 1
    zoom = html.unescape(re.search(r'<a href="([^"]+)" aria-label="2 laporan di sekitar sini', svg).group(1))
    assert "bbox=" in zoom and zoom.endswith("#map-h")
    controls = zoom_nav(page)
    assert controls["Perbesar"] and controls["Perkecil"] is None and controls["Seluruh wilayah"] is None
    # the cluster's own box: both reports drawn apart, each linking to itself; the far one is outside
    r = s.get(server.url + zoom.split("#")[0])
    assert r.status_code == 200
    svg = map_svg(r.text)
    assert clusters_in(svg) == [] and svg.count('class="pt') == 2
    for k in ("near1", "near2"):
        assert f'href="/dashboard/reports/{malinau[k]}"' in svg
    assert malinau["far"] not in svg
    assert "2 laporan di bagian peta ini, dari 3" in r.text
    lon0, lat0, lon1, lat1 = map(float, re.search(r'data-bounds="([^"]+)"', svg).group(1).split(","))
    assert lon1 - lon0 < 0.2 and lat0 < 4.0 and 4.02 < lat1            # a box of a few km, not 0.6°
    controls = zoom_nav(r.text)
    assert "bbox=" not in controls["Seluruh wilayah"] and "bbox=" in controls["Perkecil"]
    # the filter form keeps the zoom: applying a filter re-draws the same box
    kept = re.search(r'<input type="hidden" name="bbox" value="([^"]+)">', r.text).group(1)
    assert f"bbox={kept.replace(',', '%2C')}" in zoom
    filtered = s.get(server.url + "/dashboard/overview", params={"bbox": kept, "urgency": "biasa"}).text
    assert re.search(r'data-bounds="([^"]+)"', map_svg(filtered)).group(1) == \
        re.search(r'data-bounds="([^"]+)"', svg).group(1)
    # Perbesar, step by step, down to the closest view, where it is shown disabled
    url, steps = controls["Perbesar"], 0
    while url:
        r = s.get(server.url + url.split("#")[0])
        assert r.status_code == 200 and clusters_in(map_svg(r.text)) in ([], ["2"])
        url, steps = zoom_nav(r.text)["Perbesar"], steps + 1
        assert steps < 10
    lon0, lat0, lon1, lat1 = map(float, re.search(r'data-bounds="([^"]+)"', map_svg(r.text)).group(1).split(","))
    assert min(lon1 - lon0, lat1 - lat0) == pytest.approx(0.02, abs=0.002)
    # Seluruh wilayah: back to the first map
    back = s.get(server.url + zoom_nav(r.text)["Seluruh wilayah"].split("#")[0]).text
    assert clusters_in(map_svg(back)) == ["2"]


@pytest.mark.parametrize("bad", ["117.6", "a,b,c,d", "117.7,4.0,117.6,4.1", "nan,0,1,1", "0,0,170,10",
                                 "117.6,4.0,117.7,4.1<script>alert(1)</script>", "1" * 5000])
def test_a_bad_bbox_is_a_400_naming_the_parameter_never_a_500(office, malinau, bad):
    server, _ids = office
    r = login(server.url, "intel_mlw").get(server.url + "/dashboard/overview", params={"bbox": bad})
    assert r.status_code == 400, r.text[-500:]
    assert "bbox: " in r.text and "<script>alert" not in r.text and "Traceback" not in r.text


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


def overview_as(browser, url: str, username: str, w: int, h: int):
    """(context, page) of a staff member signed in and looking at the overview (the map)."""
    ctx = browser.new_context(viewport={"width": w, "height": h})
    page = ctx.new_page()
    page.goto(url + "/dashboard/login?next=/dashboard/overview")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(re.compile(r".*/dashboard/overview$"))
    return ctx, page


@pytest.mark.e2e
def test_map_screenshots_at_1440_and_360(office, browser, tile_server):
    server, ids = office
    ART.mkdir(exist_ok=True)
    for (w, h), name in (((1440, 900), "map-1440x900"), ((360, 640), "map-360x640")):
        ctx, page = overview_as(browser, server.url, "intel_nnk", w, h)
        heading = page.get_by_role("heading", name=re.compile("Peta titik laporan"))
        heading.scroll_into_view_if_needed()
        svg = page.locator("svg.map")
        box = svg.bounding_box()
        assert box and box["width"] <= w and box["x"] >= 0          # the map fits the screen
        cluster = page.get_by_role("link", name=re.compile("^2 laporan di titik ini"))
        expect(cluster).to_be_visible()
        top = page.evaluate("window.scrollY") + box["y"] - 60     # from the map's heading down
        page.screenshot(path=str(ART / f"{name}.png"), full_page=True,
                        clip={"x": 0, "y": max(0, top), "width": w, "height": h})
        cluster.click()                           # jumps to the list of the cluster's reports
        listed = page.locator("#map-cluster-1")
        expect(listed).to_be_visible()
        for k in ("a", "b"):
            expect(listed.get_by_role("link", name=re.compile(ids[k][:8]))).to_be_visible()
        ctx.close()


@pytest.mark.e2e
def test_zoom_into_a_cluster_in_chromium_at_1440_and_360(office, malinau, browser):
    """As an analyst: click the cluster, the page reloads on the map (no script), the two
    reports are two dots; Perkecil and Seluruh wilayah bring the cluster back. Screenshots."""
    server, _ids = office
    ART.mkdir(exist_ok=True)
    for w, h in ((1440, 900), (360, 640)):
        ctx, page = overview_as(browser, server.url, "intel_mlw", w, h)
        zoom = page.get_by_role("navigation", name="Perbesaran peta")
        expect(zoom.get_by_role("link", name="Perbesar")).to_be_visible()
        cluster = page.get_by_role("link", name=re.compile("^2 laporan di sekitar sini"))
        cluster.scroll_into_view_if_needed()
        cluster.click()
        page.wait_for_url(re.compile(r".*bbox=.*#map-h$"))
        dots = page.locator("svg.map a[aria-label^='Buka laporan']")
        expect(dots).to_have_count(2)
        expect(page.locator("svg.map g.cluster")).to_have_count(0)
        expect(page.get_by_role("status").filter(has_text="2 laporan di bagian peta ini, dari 3")).to_be_visible()
        box = page.locator("svg.map").bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= w           # fits the screen
        assert box["y"] < h and page.evaluate("document.documentElement.scrollWidth") <= w   # no sideways scroll
        a, b = (dots.nth(i).bounding_box() for i in range(2))
        assert abs(a["x"] - b["x"]) + abs(a["y"] - b["y"]) > 20                  # visibly apart
        top = page.evaluate("window.scrollY") + page.locator("#map-h").bounding_box()["y"]
        page.screenshot(path=str(ART / f"map-zoom-{w}x{h}.png"), full_page=True,
                        clip={"x": 0, "y": max(0, top - 8), "width": w, "height": h})
        closer = page.url
        zoom.get_by_role("link", name="Perkecil").click()
        page.wait_for_url(lambda url: url != closer and "bbox=" in url)
        zoom.get_by_role("link", name="Seluruh wilayah").click()
        page.wait_for_url(re.compile(r".*/dashboard/overview#map-h$"))
        expect(page.get_by_role("link", name=re.compile("^2 laporan di sekitar sini"))).to_be_visible()
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
        ctx, page = overview_as(browser, tiled.url, "intel_nnk", 1440, 900)
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
