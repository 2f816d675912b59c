"""The analysis map: report points, clustered, over the offline basemap, as inline SVG.

Server-side SVG because the dashboard's policy runs no script (CSP script-src 'none') and loads
nothing from elsewhere; a point map needs neither. Web Mercator, so an office's own tiles
(basemap.tile_url) line up with the shipped vector layers drawn over them.

Two reports at one spot must not hide each other: points closer than a marker are drawn as
one cluster marker showing the count. A cluster whose reports are at different spots links
to the map re-drawn for its own box (`bbox` query parameter, rendered here again: no script),
where they come apart; reports at one and the same spot never will, so that marker links to
the list of its reports under the map.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape
from typing import Callable, Iterable

from core.errors import BadRequest

from . import basemap

TILE = 256
MIN_SPAN = 0.6          # degrees: a lone point still shows its coast, border and neighbours
                        # (and the 1:10m source is too coarse to show more detail honestly)
MIN_ZOOM_SPAN = 0.02    # degrees (~2 km): the closest zoom; 14 px is then ~40 m, and the
                        # 1:10m shoreline is already straight strokes at this size
MAX_BOX_SPAN = 40.0     # degrees: a bbox wider than the served areas is a wrong parameter
ZOOM_STEP = 2.0         # "Perbesar" / "Perkecil" halve or double the span
SAME_SPOT = 1e-6        # degrees (~0.1 m): reports this close are at one spot, zoom never parts them
CLUSTER_PX = 14         # markers closer than this (in viewBox units) become one cluster
MAX_LABELS = 60
MAX_TILES = 40
NICE_STEPS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0)
NICE_KM = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500)

TEXT = {   # map-only labels (id, en)
    "coast": ("Garis pantai", "Coastline"), "border": ("Batas negara", "National border"),
    "indonesia": ("Daratan Indonesia", "Indonesian land"),
    "foreign": ("Negara tetangga", "Neighbouring country"),
    "report": ("Laporan", "Report"), "cluster": ("Kelompok laporan (jumlah)", "Group of reports (count)"),
    "reports_here": ("laporan di titik ini", "reports at this spot"),
    "reports_near": ("laporan di sekitar sini — perbesar peta", "reports around here — zoom in"),
    "sources": ("Peta dasar: GSHHG, Natural Earth, GeoNames, Kemendagri",
                "Basemap: GSHHG, Natural Earth, GeoNames, Kemendagri"),
    "tiles": ("Ubin peta", "Map tiles"), "open": ("Buka laporan", "Open report"),
}


def tr(key: str, lang: str) -> str:
    ids, en = TEXT[key]
    return en if lang == "en" else ids


def _mx(lon: float) -> float:
    return (lon + 180.0) / 360.0 * TILE


def _my(lat: float) -> float:
    lat = max(-85.0, min(85.0, lat))
    return (1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * TILE


def _lat_of(my: float) -> float:
    return math.degrees(math.atan(math.sinh(math.pi * (1.0 - 2.0 * my / TILE))))


@dataclass
class View:
    """A Web Mercator window: `scale` viewBox units per zoom-0 unit, centred on (cx, cy)."""
    width: int
    height: int
    cx: float
    cy: float
    scale: float

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        return ((_mx(lon) - self.cx) * self.scale + self.width / 2,
                (_my(lat) - self.cy) * self.scale + self.height / 2)

    def bounds(self) -> tuple[float, float, float, float]:
        """(lon0, lat0, lon1, lat1) of the window."""
        hx, hy = self.width / 2 / self.scale, self.height / 2 / self.scale
        lon0 = (self.cx - hx) / TILE * 360 - 180
        lon1 = (self.cx + hx) / TILE * 360 - 180
        return lon0, _lat_of(self.cy + hy), lon1, _lat_of(self.cy - hy)

    @classmethod
    def fit(cls, lats: list[float], lons: list[float], width: int, height: int,
            min_span: float = MIN_SPAN) -> "View":
        """The window holding every point with a margin, never narrower than `min_span`."""
        def span(lo: float, hi: float) -> tuple[float, float]:
            mid, half = (lo + hi) / 2, max(min_span / 2, (hi - lo) * 0.6)
            return mid - half, mid + half
        (lat0, lat1), (lon0, lon1) = span(min(lats), max(lats)), span(min(lons), max(lons))
        x0, x1, y0, y1 = _mx(lon0), _mx(lon1), _my(lat1), _my(lat0)
        scale = min(width / (x1 - x0), height / (y1 - y0))
        return cls(width, height, (x0 + x1) / 2, (y0 + y1) / 2, scale)

    @classmethod
    def of_box(cls, box: Box, width: int, height: int) -> "View":
        """The window showing all of `box` (wider one way when the shapes differ), no margin,
        never closer than MIN_ZOOM_SPAN."""
        lon0, lat0, lon1, lat1 = box
        clon, clat = (lon0 + lon1) / 2, (lat0 + lat1) / 2
        hl, ht = max(MIN_ZOOM_SPAN, lon1 - lon0) / 2, max(MIN_ZOOM_SPAN, lat1 - lat0) / 2
        x0, x1 = _mx(clon - hl), _mx(clon + hl)
        y0, y1 = _my(min(85.0, clat + ht)), _my(max(-85.0, clat - ht))
        scale = min(width / (x1 - x0), height / (y1 - y0))
        return cls(width, height, (x0 + x1) / 2, (y0 + y1) / 2, scale)

    def span(self) -> float:
        lon0, lat0, lon1, lat1 = self.bounds()
        return max(lon1 - lon0, lat1 - lat0)


Box = tuple[float, float, float, float]                    # (lon0, lat0, lon1, lat1), degrees
_NUMBER = re.compile(r"-?\d{1,3}(\.\d{1,8})?")


def parse_box(text: str) -> Box:
    """The `bbox` query parameter "lon0,lat0,lon1,lat1" (as the map's links write it) ->
    a box; BadRequest for anything else, so a hand-edited URL gets a 4xx, never a 5xx.
    A box smaller than MIN_ZOOM_SPAN is not refused: the view widens it to that."""
    parts = text.split(",") if len(text) <= 80 else []
    if len(parts) != 4 or not all(_NUMBER.fullmatch(p.strip()) for p in parts):
        raise BadRequest("bbox: four numbers lon0,lat0,lon1,lat1 in degrees, like 117.5,4.0,117.8,4.2")
    lon0, lat0, lon1, lat1 = (float(p) for p in parts)
    if not (-180 <= lon0 < lon1 <= 180 and -85 <= lat0 < lat1 <= 85):
        raise BadRequest("bbox: west < east within ±180 and south < north within ±85")
    if lon1 - lon0 > MAX_BOX_SPAN or lat1 - lat0 > MAX_BOX_SPAN:
        raise BadRequest(f"bbox: at most {MAX_BOX_SPAN:g}° across")
    return lon0, lat0, lon1, lat1


def format_box(box: Box) -> str:
    """A box for a link: 4 decimals (~11 m) keep URLs short and parse_box happy."""
    return ",".join(f"{v:.4f}" for v in box)


def zoom(box: Box, factor: float) -> Box | None:
    """The box `factor` times as wide about the same centre (factor < 1 zooms in), kept on
    the globe; None when already at the closest zoom, or wider than any served area."""
    lon0, lat0, lon1, lat1 = box
    narrowest, widest = sorted((lon1 - lon0, lat1 - lat0))
    if factor < 1:      # the view fits the narrower span to MIN_ZOOM_SPAN at the closest zoom
        factor = max(factor, MIN_ZOOM_SPAN / narrowest)
        if factor > 0.95:
            return None
    if widest * factor > MAX_BOX_SPAN:
        return None
    half_lon, half_lat = (lon1 - lon0) / 2 * factor, (lat1 - lat0) / 2 * factor
    clon = min(180 - half_lon, max(-180 + half_lon, (lon0 + lon1) / 2))
    clat = min(85 - half_lat, max(-85 + half_lat, (lat0 + lat1) / 2))
    return clon - half_lon, clat - half_lat, clon + half_lon, clat + half_lat


@dataclass
class Cluster:
    x: float
    y: float
    points: list[dict] = field(default_factory=list)
    seq: int = 0                     # creation order: the first cluster in reach wins
    number: int = 0                  # 1.. for groups of two or more, as listed under the map
    zoom: str | None = None          # the link re-drawing the map for its box (points apart)

    @property
    def lat(self) -> float:
        return sum(p["lat"] for p in self.points) / len(self.points)

    @property
    def lon(self) -> float:
        return sum(p["lon"] for p in self.points) / len(self.points)

    def one_spot(self) -> bool:
        lats, lons = [p["lat"] for p in self.points], [p["lon"] for p in self.points]
        return max(lats) - min(lats) <= SAME_SPOT and max(lons) - min(lons) <= SAME_SPOT

    def box(self, width: int, height: int) -> Box:
        """Where its reports come apart: their extent with a margin wide enough that none sits
        under the map's edge texts (credits, axis labels, scale bar), at most the closest zoom."""
        lats, lons = [p["lat"] for p in self.points], [p["lon"] for p in self.points]
        pad_lat, pad_lon = (max(lats) - min(lats)) * 0.3, (max(lons) - min(lons)) * 0.3
        return View.fit([min(lats) - pad_lat, max(lats) + pad_lat], [min(lons) - pad_lon, max(lons) + pad_lon],
                        width, height, min_span=MIN_ZOOM_SPAN).bounds()


@dataclass
class MapResult:
    svg: str
    clusters: list[Cluster]          # only the groups of two or more, numbered as on the map
    bounds: Box = (0.0, 0.0, 0.0, 0.0)   # what the map shows
    home: Box = (0.0, 0.0, 0.0, 0.0)     # what the whole-area (unzoomed) map shows
    shown: int = 0                   # points inside the bounds (all of them when not zoomed)


def cluster(points: list[dict], view: View, radius: float = CLUSTER_PX) -> list[Cluster]:
    """Greedy screen-space grouping, in a fixed order so the same data gives the same map.
    A point joins the first cluster whose anchor is within `radius`; a grid of radius-sized
    cells means each point looks at nine cells, not every cluster (2,000 points stay cheap)."""
    out: list[Cluster] = []
    grid: dict[tuple[int, int], list[Cluster]] = {}
    for p in sorted(points, key=lambda p: (-p["lat"], p["lon"], p.get("envelope_id", ""))):
        x, y = view.xy(p["lat"], p["lon"])
        cx, cy = int(x // radius), int(y // radius)
        near = [c for i in (-1, 0, 1) for j in (-1, 0, 1) for c in grid.get((cx + i, cy + j), ())
                if (c.x - x) ** 2 + (c.y - y) ** 2 <= radius * radius]
        if near:
            min(near, key=lambda c: c.seq).points.append(p)
        else:
            c = Cluster(x, y, [p], seq=len(out))
            out.append(c)
            grid.setdefault((cx, cy), []).append(c)
    n = 0
    for c in out:
        if len(c.points) > 1:
            n += 1
            c.number = n
    return out


Line = tuple[tuple[float, float, float, float], list]     # (lon0, lat0, lon1, lat1), points


def _boxed(line: list) -> Line:
    lons, lats = [p[0] for p in line], [p[1] for p in line]
    return (min(lons), min(lats), max(lons), max(lats)), line


def _coast(ring: list, box: list) -> list[list]:
    """A land ring's shoreline: the ring minus the stretches its area's box cut in."""
    x0, y0, x1, y1 = box

    def on_edge(a, b):
        return (a[0] == b[0] and a[0] in (x0, x1)) or (a[1] == b[1] and a[1] in (y0, y1))
    pieces, cur = [], [ring[0]]
    for a, b in zip(ring, ring[1:] + ring[:1]):
        if on_edge(a, b):
            if len(cur) > 1:
                pieces.append(cur)
            cur = [b]
        else:
            cur.append(b)
    if len(cur) > 1:
        pieces.append(cur)
    return pieces


@lru_cache(maxsize=1)
def layers() -> dict[str, list]:
    """The basemap with each line's bounding box, computed once per process."""
    data = basemap.data()
    boxes = {a["key"]: a["bbox"] for a in data["areas"]}
    land = [_boxed(r) for a in data["land"] for r in a["rings"]]
    coast = [_boxed(piece) for a in data["land"] for r in a["rings"] for piece in _coast(r, boxes[a["area"]])]
    foreign = [(c["name"], [_boxed(r) for r in c["rings"]]) for c in data["foreign"]]
    borders = [(" – ".join(b["between"]), _boxed(b["line"])) for b in data["borders"]]
    return {"land": land, "coast": coast, "foreign": foreign, "borders": borders}


def _clip_ring(ring: list, box: tuple[float, float, float, float]) -> list:
    """Sutherland-Hodgman: the part of a closed ring inside the box."""
    x0, y0, x1, y1 = box
    for axis, limit, keep_above in ((0, x0, True), (0, x1, False), (1, y0, True), (1, y1, False)):
        if not ring:
            break
        src, ring = ring, []
        inside = (lambda p: p[axis] >= limit) if keep_above else (lambda p: p[axis] <= limit)
        for i, cur in enumerate(src):
            prev = src[i - 1]
            if inside(cur) != inside(prev):
                t = (limit - prev[axis]) / (cur[axis] - prev[axis])
                cut = [prev[0] + t * (cur[0] - prev[0]), prev[1] + t * (cur[1] - prev[1])]
                cut[axis] = limit
                ring.append(cut)
            if inside(cur):
                ring.append(cur)
    return ring


def _clip_segment(a: list, b: list, box: tuple[float, float, float, float]) -> tuple[list, list] | None:
    """Liang-Barsky: the part of segment a-b inside the box, or None."""
    x0, y0, x1, y1 = box
    dx, dy = b[0] - a[0], b[1] - a[1]
    t0, t1 = 0.0, 1.0
    for p, q in ((-dx, a[0] - x0), (dx, x1 - a[0]), (-dy, a[1] - y0), (dy, y1 - a[1])):
        if p == 0:
            if q < 0:
                return None
            continue
        r = q / p
        if p < 0:
            if r > t1:
                return None
            t0 = max(t0, r)
        elif r < t0:
            return None
        else:
            t1 = min(t1, r)
    start = a if t0 == 0 else [a[0] + t0 * dx, a[1] + t0 * dy]
    end = b if t1 == 1 else [a[0] + t1 * dx, a[1] + t1 * dy]
    return start, end


def _clip_line(line: list, box: tuple[float, float, float, float]) -> list[list]:
    """Pieces of a line inside the box, cut where they cross its edge: at a close zoom a
    coarse border's segment can cross the whole window with no vertex in it, and must still
    be drawn; a vertex far outside must not be sent."""
    pieces, cur = [], []
    for a, b in zip(line, line[1:]):
        seg = _clip_segment(a, b, box)
        if seg is None:
            if cur:
                pieces.append(cur)
            cur = []
            continue
        start, end = seg
        if not (cur and start is a):
            if cur:
                pieces.append(cur)
            cur = [start]
        cur.append(end)
        if end is not b:               # it left the box here
            pieces.append(cur)
            cur = []
    if cur:
        pieces.append(cur)
    return [c for c in pieces if len(c) > 1]


def _path(lines: Iterable[Line], view: View, closed: bool = False) -> str:
    """SVG path data of the lines in view, cut to the view (with a margin) and thinned to a
    point per pixel or so: the browser gets what it can show, not every shoreline vertex."""
    lon0, lat0, lon1, lat1 = view.bounds()
    mx, my = (lon1 - lon0) * 0.05, (lat1 - lat0) * 0.05
    frame = (lon0 - mx, lat0 - my, lon1 + mx, lat1 + my)
    parts = []
    for (a, b, c, d), line in lines:
        if c < frame[0] or a > frame[2] or d < frame[1] or b > frame[3]:
            continue
        x_lo, y_hi = view.xy(b, a)
        x_hi, y_lo = view.xy(d, c)
        if closed and x_hi - x_lo < 1.5 and y_hi - y_lo < 1.5:
            continue                        # an islet smaller than a pixel
        inner = a >= frame[0] and c <= frame[2] and b >= frame[1] and d <= frame[3]
        pieces = [line] if inner else [_clip_ring(line, frame)] if closed else _clip_line(line, frame)
        for piece in pieces:
            if len(piece) < 2:
                continue
            pts, last = [], None
            for lon, lat in piece:
                x, y = view.xy(lat, lon)
                if last is None or abs(x - last[0]) + abs(y - last[1]) >= 1.2:
                    pts.append((x, y))
                    last = (x, y)
            end = view.xy(piece[-1][1], piece[-1][0])
            if not closed and pts[-1] != end:
                pts.append(end)
            if len(pts) > (2 if closed else 1):
                parts.append("M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in pts) + ("Z" if closed else ""))
    return "".join(parts)


def _step(span: float, target: int = 4) -> float:
    for s in NICE_STEPS:
        if span / s <= target + 1:
            return s
    return NICE_STEPS[-1]


def _fmt_deg(v: float, pos: str, neg: str, step: float) -> str:
    digits = 0 if step >= 1 else 1 if step >= 0.1 else 2
    return f"{abs(v):.{digits}f}°{pos if v >= 0 else neg}"


def _graticule(view: View, lang: str) -> str:
    lon0, lat0, lon1, lat1 = view.bounds()
    step = _step(max(lon1 - lon0, lat1 - lat0))
    n, s_, e, w = ("N", "S", "E", "W") if lang == "en" else ("LU", "LS", "BT", "BB")
    out = []
    v = math.ceil(lat0 / step) * step
    while v <= lat1:
        _, y = view.xy(v, lon0)
        if y > view.height - 40 or y < 44:          # keep clear of the longitude labels and credits
                                                    # (drawn larger on a phone)
            v += step
            continue
        out.append(f'<line x1="0" y1="{y:.1f}" x2="{view.width}" y2="{y:.1f}" class="grid"/>'
                   f'<text x="3" y="{y - 3:.1f}" class="axis">{_fmt_deg(v, n, s_, step)}</text>')
        v += step
    v = math.ceil(lon0 / step) * step
    while v <= lon1:
        x, _ = view.xy(lat0, v)
        if x > view.width - 70:          # its label would run off the map
            break
        if x < 60:                       # or sit on the latitude labels
            v += step
            continue
        out.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{view.height}" class="grid"/>')
        if x < view.width * 0.72:        # right of that the scale bar sits
            out.append(f'<text x="{x + 3:.1f}" y="{view.height - 4}" class="axis">{_fmt_deg(v, e, w, step)}</text>')
        v += step
    return "".join(out)


def _labels(view: View, clusters: list[Cluster]) -> str:
    """Place names, most useful first, skipping any that would overlap one already placed.
    A second pass at the narrow-screen size (CSS enlarges labels there) marks the ones
    to hide on a phone so the survivors stay readable."""
    places = basemap.data()["places"]
    prio = sorted(places, key=lambda p: (0 if "kode" in p else 1 if p["kind"] == "town" else 2, p["name"]))
    marks = [(c.x - 8, c.y - 8, c.x + 8, c.y + 8) for c in clusters]

    def fits(box, taken):
        return all(box[2] < t[0] or box[0] > t[2] or box[3] < t[1] or box[1] > t[3] for t in taken)

    credits, scale = (0, 0, 400, 20), (view.width * 0.76, view.height - 42, view.width, view.height)
    wide = marks + [credits, scale]
    narrow = marks + [(0, 0, 720, 26), (view.width * 0.7, view.height - 56, view.width, view.height)]
    out: list[str] = []
    for p in prio:
        if len(out) >= MAX_LABELS:
            break
        x, y = view.xy(p["lat"], p["lon"])
        if not (4 < x < view.width - 40 and 12 < y < view.height - 16):
            continue
        w = 6.2 * len(p["name"])
        box = (x - 2, y - 11, x + 6 + w, y + 3)
        if box[2] > view.width - 2 or not fits(box, wide):
            continue
        wide.append(box)
        nbox = (x - 3, y - 24, x + 10 + w * 2.2, y + 6)    # CSS: 24px instead of 11px
        keep_narrow = nbox[2] < view.width - 2 and fits(nbox, narrow)
        if keep_narrow:
            narrow.append(nbox)
        cls = f'place {p["kind"]}' + ("" if keep_narrow else " minor")
        code = f' data-kode="{escape(p["kode"])}"' if "kode" in p else ""
        out.append(f'<g class="{cls}"{code}><circle cx="{x:.1f}" cy="{y:.1f}" r="2" class="dot"/>'
                   f'<text x="{x + 4:.1f}" y="{y - 2:.1f}">{escape(p["name"])}</text></g>')
    return "".join(out)


def _tiles(view: View, url: str) -> str:
    z = max(0, min(19, round(math.log2(view.scale))))
    n = 2 ** z
    size = TILE / n * view.scale                  # one tile, in viewBox units
    x_min = view.cx - view.width / 2 / view.scale
    y_min = view.cy - view.height / 2 / view.scale
    tx0, ty0 = int(x_min / (TILE / n)), int(y_min / (TILE / n))
    tx1 = int((view.cx + view.width / 2 / view.scale) / (TILE / n))
    ty1 = int((view.cy + view.height / 2 / view.scale) / (TILE / n))
    out = [f'<g class="tiles" data-zoom="{z}">']
    count = 0
    for ty in range(max(0, ty0), min(n - 1, ty1) + 1):
        for tx in range(tx0, tx1 + 1):
            if count >= MAX_TILES:
                break
            href = url.replace("{z}", str(z)).replace("{x}", str(tx % n)).replace("{y}", str(ty))
            x = (tx * TILE / n - view.cx) * view.scale + view.width / 2
            y = (ty * TILE / n - view.cy) * view.scale + view.height / 2
            out.append(f'<image href="{escape(href)}" x="{x:.1f}" y="{y:.1f}" width="{size + 0.5:.1f}" '
                       f'height="{size + 0.5:.1f}" preserveAspectRatio="none"/>')
            count += 1
    out.append("</g>")
    return "".join(out)


def _scale_bar(view: View, lang: str) -> str:
    lon0, lat0, lon1, lat1 = view.bounds()
    lat = (lat0 + lat1) / 2
    m_per_unit = math.cos(math.radians(lat)) * 2 * math.pi * 6378137 / (TILE * view.scale)
    km = next((k for k in reversed(NICE_KM) if k * 1000 / m_per_unit <= view.width * 0.22), NICE_KM[0])
    w = km * 1000 / m_per_unit
    x, y = view.width - w - 14, view.height - 26
    return (f'<g class="scalebar"><rect x="{x - 4:.1f}" y="{y - 13}" width="{w + 8:.1f}" height="20" class="halo"/>'
            f'<line x1="{x:.1f}" y1="{y}" x2="{x + w:.1f}" y2="{y}"/>'
            f'<text x="{x:.1f}" y="{y - 3}">{f"{km:g} km" if km >= 1 else f"{km * 1000:.0f} m"}</text></g>')


def render(points: list[dict], title: str, lang: str, *, link: Callable[[dict], str] | None = None,
           label: Callable[[dict], str] | None = None, width: int = 720, height: int = 480,
           css: str = "map", anchor: str = "map", tile_url: str | None = None,
           home: Iterable[str] = (), box: Box | None = None,
           zoom_link: Callable[[Box], str] | None = None) -> MapResult:
    """The map as SVG plus its clusters. `link(p)` is a report's URL, `label(p)` its name in
    lists and tooltips; `anchor` prefixes element ids so two maps on a page never clash;
    `home` = Kemendagri codes of the viewer's villages, framing a map with no points.
    `box` zooms in (only its points are drawn and clustered); `zoom_link(box)` is the URL of
    the map for a box, given to clusters whose reports a closer view would set apart."""
    label = label or (lambda p: p.get("envelope_id", "")[:8])
    if points:
        whole = View.fit([p["lat"] for p in points], [p["lon"] for p in points], width, height)
    else:        # nothing to show: the areas of the viewer's villages, so the analyst still sees where
        areas = basemap.data()["areas"]
        provinces = {code[:2] for code in home if code}
        boxes = [a["bbox"] for a in areas if provinces & set(a.get("provinces", ()))] or [areas[0]["bbox"]]
        whole = View.fit([b[1] for b in boxes] + [b[3] for b in boxes],
                         [b[0] for b in boxes] + [b[2] for b in boxes], width, height)
    view = View.of_box(box, width, height) if box else whole
    if box:
        lon0, lat0, lon1, lat1 = view.bounds()
        points = [p for p in points if lon0 <= p["lon"] <= lon1 and lat0 <= p["lat"] <= lat1]
    groups = cluster(points, view)
    if zoom_link:
        for c in groups:
            if len(c.points) > 1 and not c.one_spot():
                target = c.box(width, height)
                if max(target[2] - target[0], target[3] - target[1]) < view.span() * 0.75:
                    c.zoom = zoom_link(target)
    lon0, lat0, lon1, lat1 = view.bounds()
    clip = f"{anchor}-clip"
    # a map holding links is a group of them (axe nested-interactive: an "img" hides its children)
    role = "group" if any(link or len(c.points) > 1 for c in groups) else "img"
    out = [f'<svg role="{role}" aria-labelledby="{anchor}-title" viewBox="0 0 {width} {height}" width="100%" '
           f'class="{css}{" with-tiles" if tile_url else ""}" data-bounds="{lon0:.4f},{lat0:.4f},{lon1:.4f},{lat1:.4f}">'
           f'<title id="{anchor}-title">{escape(title)}</title>'
           f'<clipPath id="{clip}"><rect width="{width}" height="{height}"/></clipPath>'
           f'<g clip-path="url(#{clip})"><rect width="{width}" height="{height}" class="sea"/>']
    if tile_url:
        out.append(_tiles(view, tile_url))
    lay = layers()
    land = _path(lay["land"], view, closed=True)
    if land:
        out.append(f'<path id="{anchor}-land" class="land" d="{land}"/>'
                   f'<clipPath id="{anchor}-landclip"><use href="#{anchor}-land"/></clipPath>')
    for name, rings in lay["foreign"]:          # neighbours shaded, within the GSHHG shoreline
        d = _path(rings, view, closed=True)
        if d:
            out.append(f'<path class="land foreign" data-country="{escape(name)}" '
                       f'clip-path="url(#{anchor}-landclip)" d="{d}"/>')
    coast = _path(lay["coast"], view)
    if coast:
        out.append(f'<path class="coast" d="{coast}"/>')
    for between, line in lay["borders"]:
        d = _path([line], view)
        if d:
            out.append(f'<path class="border" data-between="{escape(between)}" d="{d}">'
                       f'<title>{escape(tr("border", lang))}: {escape(between)}</title></path>')
    out.append(_graticule(view, lang))
    out.append(_labels(view, groups))
    for c in groups:
        if len(c.points) == 1:
            p = c.points[0]
            cls = "pt urgent" if p.get("urgent") or p.get("children") else "pt"
            tip = f'{label(p)} · {p["lat"]:.5f}, {p["lon"]:.5f}'
            dot = f'<circle cx="{c.x:.1f}" cy="{c.y:.1f}" r="6" class="{cls}"><title>{escape(tip)}</title></circle>'
            out.append(f'<a href="{escape(link(p))}" aria-label="{escape(tr("open", lang))} {escape(label(p))}">'
                       f'{dot}</a>' if link else dot)
        else:
            urgent = any(p.get("urgent") or p.get("children") for p in c.points)
            names = ", ".join(label(p) for p in c.points)
            tip = f'{len(c.points)} {tr("reports_near" if c.zoom else "reports_here", lang)}: {names}'
            href = c.zoom or f"#{anchor}-cluster-{c.number}"
            out.append(f'<a href="{escape(href)}" aria-label="{escape(tip)}">'
                       f'<g class="cluster{" urgent" if urgent else ""}" data-count="{len(c.points)}">'
                       f'<circle cx="{c.x:.1f}" cy="{c.y:.1f}" r="11"/>'
                       f'<text x="{c.x:.1f}" y="{c.y:.1f}" text-anchor="middle" dominant-baseline="central">'
                       f'{len(c.points)}</text>'
                       f'<title>{escape(tip)}</title></g></a>')
    out.append(_scale_bar(view, lang))
    src = tr("sources", lang) + (f' · {tr("tiles", lang)}: {escape(tile_url.split("/")[2])}' if tile_url else "")
    out.append(f'<text x="4" y="14" class="attrib">{src}</text>')
    out.append(f'</g><rect width="{width}" height="{height}" class="frame"/></svg>')
    return MapResult("".join(out), [c for c in groups if len(c.points) > 1], bounds=view.bounds(),
                     home=whole.bounds(), shown=len(points))


def legend(lang: str) -> str:
    """A small HTML legend: the map's colours named in words (never colour alone)."""
    items = [("lg-land-id", "indonesia"), ("lg-land-foreign", "foreign"), ("lg-coast", "coast"),
             ("lg-border", "border"), ("lg-pt", "report"), ("lg-cluster", "cluster")]
    return ('<ul class="map-legend">' + "".join(
        f'<li><span class="sw {cls}" aria-hidden="true"></span>{escape(tr(key, lang))}</li>'
        for cls, key in items) + "</ul>")
