"""The installable offline field app, served by the office at /app/ (over its HTTPS).

A volunteer opens /app/ once, at enrollment on the office's Wi-Fi; the service worker the
build ships (jaga_desa/offline/sw.js) then keeps every file and the app runs with no
network at all. The office only serves the folder `jaga-desa build-app` wrote, named by
`--app-dir` (or JAGA_APP_DIR, which every worker process inherits).

The app calls the office from the office's own origin, so the office sends no CORS headers
at all: no other web page can read an answer from the API through a visitor's browser.
"""
from __future__ import annotations

import mimetypes
import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from starlette.middleware.gzip import GZipMiddleware
from starlette.staticfiles import StaticFiles

from core.errors import BuildFailed

APP_ENV = "JAGA_APP_DIR"
PREFIX = "/app"
# A module worker refuses a script served with any type but JavaScript; wasm streams only
# as application/wasm. Python's table lacks .mjs before 3.12.
mimetypes.add_type("text/javascript", ".mjs")
mimetypes.add_type("application/wasm", ".wasm")


# How long a phone's browser may keep sw.js without asking again. The page registers it with
# updateViaCache "all", so a launch within this time sends nothing at all to the network
# (goal: 0 bytes on reload); browsers cap it at 24 h, after which the next online launch
# asks, finds a new build if there is one, and the service worker swaps caches (sw.js).
SW_MAX_AGE = 86400


class AppFiles(StaticFiles):
    """The build's files. sw.js may be kept a day (a launch costs no network); the page is
    revalidated (the service worker answers it from its cache in any case)."""

    async def get_response(self, path: str, scope):
        response = await super().get_response(path, scope)
        if path == "sw.js":
            response.headers["Cache-Control"] = f"max-age={SW_MAX_AGE}"
        elif response.headers.get("content-type", "").startswith("text/html"):
            response.headers["Cache-Control"] = "no-cache"
        return response


def check_dir(folder: str | Path) -> Path:
    folder = Path(folder)
    if not (folder / "index.html").is_file() or not (folder / "sw.js").is_file():
        raise BuildFailed(f"{folder} is not an offline app build (run: jaga-desa build-app --out {folder})")
    return folder


def mount(app: FastAPI) -> None:
    """Serve JAGA_APP_DIR at /app/ when it is set."""
    folder = os.environ.get(APP_ENV)
    if not folder:
        return
    files = AppFiles(directory=check_dir(folder), html=True)

    async def to_app() -> RedirectResponse:
        return RedirectResponse(PREFIX + "/")

    app.add_api_route(PREFIX, to_app, include_in_schema=False)
    # Compressed on the way: the first install is ~42 MB of files, most of it JavaScript and
    # WebAssembly that gzip shrinks by half or more — once per phone, on the office's Wi-Fi.
    app.mount(PREFIX, GZipMiddleware(files, minimum_size=1024, compresslevel=6), name="offline-app")
