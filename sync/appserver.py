"""Serving the field app in web mode without re-sending 14 MB on every visit.

(In sync/ because it is HTTP: fieldapp itself never speaks it; fieldapp.app hands its
Flet ASGI app over to `serve`.)

Flet's own server sends the Flutter client (main.dart.wasm, skwasm, CanvasKit, icon
fonts) uncompressed and without cache headers: on 3G that is over a minute to a usable
lock screen, and a reload downloads it all again. Here the same Flet ASGI app
(`ft.run(..., export_asgi_app=True)`) is wrapped in Starlette's GZipMiddleware and a
small middleware that lets the browser keep the client files for a day (revalidated by
their ETag after that); the page itself and the websocket are never cached.
"""
from __future__ import annotations

from typing import Any

from starlette.middleware.gzip import GZipMiddleware

CACHE_SECONDS = 86400           # Flutter's file names carry no content hash: a day, then revalidate
CACHEABLE = (".wasm", ".js", ".mjs", ".json", ".ttf", ".otf", ".woff", ".woff2", ".png", ".ico", ".svg",
             ".bin", ".symbols", ".frag", ".riv")
GZIP_LEVEL = 6                  # about level 9's size at a fraction of its CPU


class CacheStatic:
    """ASGI middleware: Cache-Control on the client's static files, no-cache on the page."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        value = (f"public, max-age={CACHE_SECONDS}".encode() if path.endswith(CACHEABLE) and "/upload" not in path
                 else b"no-cache")

        async def send_with_cache(message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                headers.append((b"cache-control", value))
                message = {**message, "headers": headers}
            await send(message)
        await self.app(scope, receive, send_with_cache)


# Flutter's engine writes `<meta name="viewport" ... maximum-scale=1.0, user-scalable=no>` at
# start: nobody can pinch-zoom a screen of small print (axe meta-viewport, WCAG 1.4.4). And its
# semantics tree sits in no landmark (axe region). This runs in the page before Flutter does and
# keeps both right: the viewport meta without the zoom lock, the app's view as the page's main.
PAGE_FIX = rb"""<script>(() => {
  const fix = () => {
    document.querySelectorAll('meta[name="viewport"]').forEach(m => {
      const c = m.getAttribute('content') || '';
      if (/user-scalable\s*=\s*no|maximum-scale/.test(c)) m.setAttribute('content', 'width=device-width, initial-scale=1.0');
    });
    const view = document.querySelector('flutter-view') || document.querySelector('flt-glass-pane');
    if (view && !view.getAttribute('role')) view.setAttribute('role', 'main');
  };
  new MutationObserver(fix).observe(document.documentElement,
    {childList: true, subtree: true, attributes: true, attributeFilter: ['content']});
  fix();
})();</script>"""


class PageFix:
    """ASGI middleware: PAGE_FIX into the app's HTML page (only that page; the rest streams)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("path", "") not in ("/", "/index.html"):
            await self.app(scope, receive, send)
            return
        start: dict = {}
        body: list[bytes] = []

        async def collect(message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return
            html = b"".join(body)
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            if b"</head>" in html and any(k.lower() == b"content-type" and b"html" in v for k, v in headers):
                html = html.replace(b"</head>", PAGE_FIX + b"</head>", 1)
            await send({**start, "headers": headers + [(b"content-length", str(len(html)).encode())]})
            await send({"type": "http.response.body", "body": html})
        await self.app(scope, receive, collect)


def wrap(asgi_app: Any) -> Any:
    """Flet's ASGI app behind compression and caching, its page zoomable."""
    return CacheStatic(GZipMiddleware(PageFix(asgi_app), minimum_size=1024, compresslevel=GZIP_LEVEL))


def serve(asgi_app: Any, host: str, port: int) -> None:
    import uvicorn
    uvicorn.run(wrap(asgi_app), host=host, port=port, log_level="warning", ws="websockets-sansio")
