"""mapview (pure): projection, clustering, tile arithmetic, and the shipped basemap's content."""
from __future__ import annotations

import json
import math
import re

import pytest

from core.errors import BadRequest
from office.dashboard import basemap, mapview


def pt(i: int, lat: float, lon: float, **kw) -> dict:
    return {"envelope_id": f"{i:08d}-0000", "lat": lat, "lon": lon, **kw}


def test_shipped_basemap_covers_the_served_borders():
    d = basemap.data()
    pairs = {" – ".join(b["between"]) for b in d["borders"]}
    assert {"Indonesia – Malaysia", "Indonesia – Timor-Leste"} <= pairs
    assert {a["key"] for a in d["areas"]} == {"kalimantan", "timor", "sulawesi"}
    assert sum(len(a["rings"]) for a in d["land"]) > 100
    assert {c["iso"] for c in d["foreign"]} >= {"MYS", "TLS", "BRN"}
    names = {p["name"] for p in d["places"]}
    assert {"Tawau", "Atambua", "Kefamenanu", "Pulau Sebatik"} <= names
    # Sebatik is split: the border crosses the island at about 4.17° N
    sebatik = [b for b in d["borders"] if b["between"] == ["Indonesia", "Malaysia"]
               and any(117.7 < x < 117.9 and 4.1 < y < 4.25 for x, y in b["line"])]
    assert sebatik
    assert basemap.DATA.stat().st_size < 2_000_000
    assert (basemap.DATA.parent / "SOURCE.md").is_file()


def test_coincident_points_become_one_cluster_and_far_points_stay_apart():
    pts = [pt(1, 4.13681, 117.66642), pt(2, 4.13681, 117.66642), pt(3, 3.9, 117.3)]
    view = mapview.View.fit([p["lat"] for p in pts], [p["lon"] for p in pts], 720, 480)
    groups = mapview.cluster(pts, view)
    assert sorted(len(g.points) for g in groups) == [1, 2]
    two = next(g for g in groups if len(g.points) == 2)
    assert two.number == 1 and math.isclose(two.lat, 4.13681) and math.isclose(two.lon, 117.66642)


def test_the_same_points_in_another_order_give_the_same_map():
    pts = [pt(i, 4.1 + (i % 3) * 1e-4, 117.6 + (i % 5) * 0.05) for i in range(12)]
    a = mapview.render(pts, "t", "id").svg
    b = mapview.render(list(reversed(pts)), "t", "id").svg
    assert a == b


def test_a_lone_point_shows_its_surroundings_and_projects_inside_the_view():
    view = mapview.View.fit([4.13681], [117.66642], 720, 480)
    lon0, lat0, lon1, lat1 = view.bounds()
    assert lon1 - lon0 >= mapview.MIN_SPAN and lat1 - lat0 >= mapview.MIN_SPAN * 0.99
    x, y = view.xy(4.13681, 117.66642)
    assert math.isclose(x, 360, abs_tol=0.5) and math.isclose(y, 240, abs_tol=0.5)


def test_tiles_cover_the_view_at_a_zoom_matching_its_scale():
    view = mapview.View.fit([4.0, 4.3], [117.5, 117.9], 720, 480)
    svg = mapview._tiles(view, "https://t.example/{z}/{x}/{y}.png")
    z = int(re.search(r'data-zoom="(\d+)"', svg).group(1))
    assert 2 ** z / 2 <= view.scale <= 2 ** z * 2
    tiles = re.findall(r'href="https://t.example/(\d+)/(\d+)/(\d+).png" x="([-\d.]+)" y="([-\d.]+)" '
                       r'width="([\d.]+)"', svg)
    assert tiles and all(int(t[0]) == z for t in tiles)
    size = float(tiles[0][5])
    xs, ys = [float(t[3]) for t in tiles], [float(t[4]) for t in tiles]
    assert min(xs) <= 0 and max(xs) + size >= 720 and min(ys) <= 0 and max(ys) + size >= 480
    # the tile holding Sebatik at this zoom is among them (slippy-map arithmetic)
    n = 2 ** z
    tx = int((117.7 + 180) / 360 * n)
    ty = int((1 - math.asinh(math.tan(math.radians(4.15))) / math.pi) / 2 * n)
    assert (str(tx), str(ty)) in {(t[1], t[2]) for t in tiles}


@pytest.mark.parametrize("bad", ["", "ftp://x/{z}/{x}/{y}", "http:///{z}/{x}/{y}", "http://x/{z}/{x}.png",
                                 "http://x/{z}/{x}/{y}.png' onload='a"])
def test_bad_tile_urls_are_refused(bad, monkeypatch):
    with pytest.raises(BadRequest):
        basemap.check_tile_url(bad)
    monkeypatch.setenv(basemap.TILE_ENV, bad)
    if bad:
        with pytest.raises(BadRequest):
            basemap.tile_url()
    else:
        assert basemap.tile_url() is None and basemap.tile_origin() is None


def test_tile_origin_is_what_the_policy_allows(monkeypatch):
    monkeypatch.setenv(basemap.TILE_ENV, "https://tiles.kantor.example:8443/osm/{z}/{x}/{y}.png")
    assert basemap.tile_origin() == "https://tiles.kantor.example:8443"


def test_labels_never_overlap_and_stay_inside_the_map():
    view = mapview.View.fit([-9.6, -8.9], [124.0, 125.3], 720, 480)
    svg = mapview._labels(view, [])
    boxes = []
    for x, y, name in re.findall(r'<text x="([\d.]+)" y="([\d.]+)">([^<]+)</text>', svg):
        x, y = float(x), float(y)
        boxes.append((x, y - 9, x + 6.2 * len(name), y + 3))
    assert len(boxes) >= 5
    for i, a in enumerate(boxes):
        assert a[2] <= 720
        for b in boxes[i + 1:]:
            assert a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1], (a, b)


def test_the_basemap_json_is_compact_and_valid():
    raw = basemap.DATA.read_bytes()
    d = json.loads(raw)
    assert d["format"] == 1 and len(d["sources"]) == 4
    for area in d["land"]:
        box = next(a["bbox"] for a in d["areas"] if a["key"] == area["area"])
        for ring in area["rings"]:
            assert all(box[0] <= x <= box[2] and box[1] <= y <= box[3] for x, y in ring)


def test_the_coastline_leaves_out_where_an_area_box_cut_the_land():
    box = [117.0, 4.0, 118.0, 5.0]
    ring = [[117.0, 4.2], [117.5, 4.1], [117.6, 4.5], [117.0, 4.6]]   # cut by the west edge
    assert mapview._coast(ring, box) == [[[117.0, 4.2], [117.5, 4.1], [117.6, 4.5], [117.0, 4.6]]]
    assert [len(p) for p in mapview._coast([[117.0, 4.2], [117.0, 4.6], [117.6, 4.5]], box)] == [3]


def test_an_empty_map_frames_the_viewers_own_area():
    timor = mapview.render([], "t", "id", home=["53.04.01.2001"]).svg
    lon0, lat0, lon1, lat1 = map(float, re.search(r'data-bounds="([^"]+)"', timor).group(1).split(","))
    assert lon0 < 124.9 < lon1 and lat0 < -9.1 < lat1                  # Atambua is on it
    default = mapview.render([], "t", "id").svg                         # no codes: Kalimantan
    lon0, lat0, lon1, lat1 = map(float, re.search(r'data-bounds="([^"]+)"', default).group(1).split(","))
    assert lon0 < 117.7 < lon1 and lat0 < 4.1 < lat1


def test_a_tile_server_on_the_dashboards_host_name_is_not_used(monkeypatch):
    monkeypatch.setenv(basemap.TILE_ENV, "http://Kantor.Local:8080/{z}/{x}/{y}.png")
    assert basemap.tile_url("kantor.local") is None and basemap.tile_origin("kantor.local") is None
    assert basemap.tile_url("dasbor.kantor.local") and basemap.tile_origin("10.0.0.9") == "http://Kantor.Local:8080"


# --- zoom (bbox) -------------------------------------------------------------------------

NEAR = [pt(1, 4.00, 117.60), pt(2, 4.02, 117.62), pt(3, 3.00, 116.40)]     # 1 and 2 ~3 km apart


def zoom_to(box) -> str:
    return "/o?bbox=" + mapview.format_box(box)


def test_a_cluster_of_reports_a_few_km_apart_separates_when_zoomed_into_its_box():
    whole = mapview.render(NEAR, "t", "id", zoom_link=zoom_to)
    [two] = whole.clusters
    assert len(two.points) == 2 and two.zoom and f'href="{two.zoom}"' in whole.svg
    assert "2 laporan di sekitar sini — perbesar peta" in whole.svg and whole.shown == 3
    box = mapview.parse_box(two.zoom.split("=", 1)[1])
    closer = mapview.render(NEAR, "t", "id", box=box, zoom_link=zoom_to)
    assert closer.clusters == [] and closer.svg.count('class="pt') == 2     # apart, and nothing else
    assert closer.shown == 2                                                # the far report is outside
    lon0, lat0, lon1, lat1 = closer.bounds
    assert lon0 <= 117.60 and 117.62 <= lon1 and lat0 <= 4.00 and 4.02 <= lat1
    assert closer.home == whole.bounds                                      # "Seluruh wilayah" goes back there


def test_reports_at_one_spot_link_to_their_list_since_no_zoom_parts_them():
    same = [pt(1, 4.13681, 117.66642), pt(2, 4.13681, 117.66642), pt(3, 3.9, 117.3)]
    r = mapview.render(same, "t", "id", zoom_link=zoom_to)
    [two] = r.clusters
    assert two.zoom is None and 'href="#map-cluster-1"' in r.svg and "bbox=" not in r.svg
    assert "2 laporan di titik ini" in r.svg
    # ... and a cluster still together at the closest zoom does not offer a zoom that changes nothing
    close = [pt(1, 4.1, 117.6), pt(2, 4.1001, 117.6001)]                  # ~15 m apart
    deepest = mapview.render(close, "t", "id", box=(117.59, 4.09, 117.61, 4.11), zoom_link=zoom_to)
    assert [len(c.points) for c in deepest.clusters] == [2] and deepest.clusters[0].zoom is None


def test_zoom_steps_stop_at_the_closest_view_and_at_the_widest_box():
    box = (117.5, 4.0, 117.9, 4.3)
    closer = mapview.zoom(box, 0.5)
    assert closer == pytest.approx((117.6, 4.075, 117.8, 4.225))
    step = box
    for _ in range(20):
        nxt = mapview.zoom(step, 0.5)
        if nxt is None:
            break
        step = nxt
    assert min(step[2] - step[0], step[3] - step[1]) == pytest.approx(mapview.MIN_ZOOM_SPAN)
    assert mapview.zoom((100.0, -10.0, 130.0, 10.0), 2) is None                # past MAX_BOX_SPAN
    assert mapview.zoom((179.0, 0.0, 179.8, 1.0), 2)[2] <= 180                 # kept on the globe
    assert mapview.parse_box(mapview.format_box(closer)) == pytest.approx(closer, abs=1e-4)


@pytest.mark.parametrize("bad", ["", "1,2,3", "1,2,3,4,5", "a,b,c,d", "nan,1,2,3", "inf,1,2,3",
                                 "1e3,0,1,1", "117.8,4.0,117.5,4.2", "117.5,4.2,117.8,4.2",
                                 "0,0,100,10", "181,0,182,1", "117.5,-90,117.8,4", "1" * 100,
                                 "117.5,4.0,117.8,4.2<script>"])
def test_a_bad_bbox_is_a_typed_error(bad):
    with pytest.raises(BadRequest) as exc:
        mapview.parse_box(bad)
    assert exc.value.code == "bad_request" and exc.value.message.startswith("bbox: ")


def test_a_zoomed_basemap_is_cut_to_the_box_and_thinned():
    """Inside Sebatik at the closest zoom: every drawn vertex lies near the window (the rest of
    Borneo's shoreline is not sent), and the SVG is smaller than the whole area's."""
    whole = mapview.render([pt(1, 4.13681, 117.66642)], "t", "id").svg
    box = (117.657, 4.127, 117.677, 4.147)                                 # MIN_ZOOM_SPAN across
    near = mapview.render([pt(1, 4.13681, 117.66642)], "t", "id", box=box).svg
    assert len(near) < len(whole)
    for d in re.findall(r'class="(?:land|coast|border)[^"]*"[^>]* d="([^"]+)"', near):
        nums = [float(v) for v in re.findall(r"-?[\d.]+", d)]
        xs, ys = nums[0::2], nums[1::2]
        assert all(-60 <= x <= 780 for x in xs) and all(-60 <= y <= 540 for y in ys)
    assert '<path id="map-land" class="land"' in near                     # an island's interior is land
    assert re.search(r'<text [^>]+>\d+ m</text></g>', near)                # the scale bar in metres
    assert re.search(r'class="axis">4\.1\d°LU<', near)                     # the graticule in hundredths


def test_a_line_crossing_a_small_window_with_no_vertex_in_it_is_still_drawn_cut_at_its_edges():
    box = (117.60, 4.10, 117.62, 4.12)
    border = [[117.50, 4.00], [117.70, 4.20], [117.80, 4.25]]     # one coarse segment across the window
    assert mapview._clip_line(border, box) == [[pytest.approx([117.60, 4.10]), pytest.approx([117.62, 4.12])]]
    assert mapview._clip_line([[117.0, 4.0], [117.1, 4.0]], box) == []
