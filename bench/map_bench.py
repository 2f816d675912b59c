"""Dashboard map: server-side SVG of the overview map at the query's cap of 2,000 points.

    python bench/map_bench.py [--points 2000] [--runs 5]

Baseline in the same run: the same map with no points (basemap layers, labels, graticule
only) — so the ratio is what the report points and their clustering add. Also printed: the
SVG's size plain and gzipped (what a staff browser downloads), and the basemap file's size.
"""
from __future__ import annotations

import argparse
import gzip
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import median, report  # noqa: E402
from office.dashboard import basemap, mapview  # noqa: E402


LONE = 'class="pt'          # a lone report's marker in the SVG


def points(n: int, seed: int = 7) -> list[dict]:
    """Reports around the Nunukan/Sebatik border villages, a third of them stacked on a few spots."""
    rnd = random.Random(seed)
    spots = [(4.137, 117.666), (4.05, 117.60), (3.96, 117.45), (4.16, 117.75)]
    out = []
    for i in range(n):
        if i % 3 == 0:
            lat, lon = spots[i % len(spots)]
        else:
            lat, lon = 3.9 + rnd.random() * 0.4, 117.3 + rnd.random() * 0.6
        out.append({"envelope_id": f"{i:08x}-bench", "lat": lat, "lon": lon, "urgent": i % 7 == 0})
    return out


def timed(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return median(times), result


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    basemap.data()                                   # load once, as a running office has
    pts = points(args.points)
    anchor = [{"envelope_id": "x", "lat": 3.9, "lon": 117.3}, {"envelope_id": "y", "lat": 4.3, "lon": 117.9}]
    base_s, _ = timed(lambda: mapview.render(anchor, "t", "id"), args.runs)
    full_s, res = timed(lambda: mapview.render(pts, "t", "id", link=lambda p: "/r/" + p["envelope_id"]), args.runs)
    svg = res.svg.encode()
    groups = mapview.cluster(pts, mapview.View.fit([p["lat"] for p in pts], [p["lon"] for p in pts], 720, 480))
    # zoomed (issue 15): the map re-drawn for the box of the biggest cluster of reports at different spots
    spread = max((c for c in groups if len(c.points) > 1 and not c.one_spot()), key=lambda c: len(c.points))
    box = spread.box(720, 480)
    zoom_s, zoomed = timed(lambda: mapview.render(pts, "t", "id", box=box, link=lambda p: "/r/" + p["envelope_id"],
                                                  zoom_link=mapview.format_box), args.runs)
    report("map", [
        {"metric": "basemap-only map render (ms, median)", "value": round(base_s * 1000, 1)},
        {"metric": f"map render with {args.points} points (ms, median)", "value": round(full_s * 1000, 1),
         "target": "<= 200 (the dashboard's page budget)", "met": full_s * 1000 <= 200},
        {"metric": "ratio points / basemap-only", "value": round(full_s / base_s, 2)},
        {"metric": "markers drawn (clusters + lone points)", "value": len(groups)},
        {"metric": "clusters of 2+", "value": sum(len(g.points) > 1 for g in groups)},
        {"metric": f"zoomed into a cluster of {len(spread.points)}: render (ms, median)",
         "value": round(zoom_s * 1000, 1), "target": "<= 200 (the dashboard's page budget)",
         "met": zoom_s * 1000 <= 200},
        {"metric": "zoomed: markers drawn / clusters of 2+",
         "value": f"{zoomed.svg.count(LONE) + len(zoomed.clusters)} / {len(zoomed.clusters)}"},
        {"metric": "zoomed: SVG bytes gzipped", "value": len(gzip.compress(zoomed.svg.encode()))},
        {"metric": "SVG bytes", "value": len(svg)},
        {"metric": "SVG bytes gzipped", "value": len(gzip.compress(svg)),
         "target": "<= 100000 (a second on a 3G link)", "met": len(gzip.compress(svg)) <= 100000},
        {"metric": "basemap.json bytes in the package", "value": basemap.DATA.stat().st_size},
    ])
    return 0


if __name__ == "__main__":
    sys.exit(main())
