"""Inline SVG: horizontal bar charts and a point map that needs no tile server."""
from __future__ import annotations

from html import escape


def bars(items: list[tuple[str, int]], title: str, width: int = 460) -> str:
    if not items:
        return f'<svg role="img" aria-label="{escape(title)}" width="{width}" height="24"></svg>'
    row, label_w = 22, 190
    top = max(n for _, n in items) or 1
    h = row * len(items) + 4
    out = [f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {h}" width="100%" '
           f'class="chart"><title>{escape(title)}</title>']
    for i, (label, n) in enumerate(items):
        y = i * row + 2
        w = max(2, int((width - label_w - 50) * n / top))
        short = label if len(label) <= 24 else label[:23] + "…"
        out.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" class="lbl">{escape(short)}'
                   f'<title>{escape(label)}</title></text>'
                   f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="{row - 6}" class="bar"/>'
                   f'<text x="{label_w + w + 5}" y="{y + 15}" class="num">{n}</text>')
    out.append("</svg>")
    return "".join(out)


def point_map(points: list[dict], title: str, link=None, width: int = 640, height: int = 400,
              css: str = "map") -> str:
    """Points on an equirectangular plot with a lat/lon grid; each point links to its report."""
    pad = 36
    if not points:
        return (f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {width} 60" width="100%" class="{css}">'
                f'<text x="10" y="35" class="lbl">—</text></svg>')
    lats = [p["lat"] for p in points]
    lons = [p["lon"] for p in points]
    clat, clon = (min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2
    aspect = (width - 2 * pad) / (height - 2 * pad)
    half_lat = max((max(lats) - min(lats)) * 0.55, (max(lons) - min(lons)) * 0.55 / aspect, 0.005)
    half_lon = half_lat * aspect
    lat0, lat1, lon0, lon1 = clat - half_lat, clat + half_lat, clon - half_lon, clon + half_lon

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return (pad + (lon - lon0) / (lon1 - lon0) * (width - 2 * pad),
                height - pad - (lat - lat0) / (lat1 - lat0) * (height - 2 * pad))

    out = [f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" width="100%" '
           f'class="{css}"><title>{escape(title)}</title>'
           f'<rect x="{pad}" y="{pad}" width="{width - 2 * pad}" height="{height - 2 * pad}" class="sea"/>']
    for i in range(5):
        lat = lat0 + (lat1 - lat0) * i / 4
        lon = lon0 + (lon1 - lon0) * i / 4
        x, _ = xy(lat0, lon)
        _, y = xy(lat, lon0)
        out.append(f'<line x1="{pad}" y1="{y:.1f}" x2="{width - pad}" y2="{y:.1f}" class="grid"/>'
                   f'<text x="2" y="{y + 4:.1f}" class="axis">{lat:.3f}</text>'
                   f'<line x1="{x:.1f}" y1="{pad}" x2="{x:.1f}" y2="{height - pad}" class="grid"/>'
                   f'<text x="{x - 20:.1f}" y="{height - 10}" class="axis">{lon:.3f}</text>')
    for p in points:
        x, y = xy(p["lat"], p["lon"])
        cls = "pt urgent" if p.get("urgent") or p.get("children") else "pt"
        tip = f'{p["lat"]:.5f}, {p["lon"]:.5f}'
        dot = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" class="{cls}"><title>{escape(tip)}</title></circle>'
        out.append(f'<a href="{escape(link(p))}">{dot}</a>' if link else dot)
    out.append("</svg>")
    return "".join(out)
