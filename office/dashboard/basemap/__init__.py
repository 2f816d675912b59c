"""The offline basemap shipped in the package, and the optional tile server an office may have.

Border offices often have no internet: the map must draw coastline, national borders and place
names from data inside the wheel (`basemap.json`, built by scripts/build-basemap; provenance and
licences in SOURCE.md). An office that runs its own tile server names it with `--tile-url` /
JAGA_TILE_URL; the tiles are then drawn under the same vector layers.
"""
from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from core.errors import BadRequest

DATA = Path(__file__).with_name("basemap.json")
TILE_ENV = "JAGA_TILE_URL"


@lru_cache(maxsize=1)
def data() -> dict:
    """The shipped layers: land (per country), coast, borders, places, areas."""
    with DATA.open(encoding="utf-8") as f:
        return json.load(f)


def check_tile_url(url: str) -> str:
    """An http(s) URL template with {z}, {x} and {y}; BadRequest otherwise (refused at start-up)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadRequest(f"{TILE_ENV}/--tile-url must be an http(s) URL, got {url!r}")
    if any(k not in url for k in ("{z}", "{x}", "{y}")) or any(c in url for c in "\"'<> "):
        raise BadRequest(f"{TILE_ENV}/--tile-url must contain {{z}}, {{x}} and {{y}}, got {url!r}")
    return url


def tile_url(page_host: str | None = None) -> str | None:
    """The office's tile URL template, or None (then only the shipped basemap is drawn).

    None also when the tile server has the host name the dashboard is viewed under
    (`page_host`): browsers send a host's cookies to every port of it, so such a tile server
    would receive the staff session cookie with each tile."""
    url = os.environ.get(TILE_ENV, "").strip()
    if not url:
        return None
    check_tile_url(url)
    if page_host is not None and same_host(url, page_host):
        return None
    return url


def same_host(url: str, page_host: str) -> bool:
    return (urlsplit(url).hostname or "").lower() == page_host.lower().strip("[]")


def tile_origin(page_host: str | None = None) -> str | None:
    """scheme://host[:port] of the tile server, for the dashboard's img-src policy."""
    url = tile_url(page_host)
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
