"""A small HTTP server inside the test process, for the parties a test plays itself (the
attacker's servers in `rogue`, a webhook receiver): a standard-library ThreadingHTTPServer
on a free 127.0.0.1 port, served by a daemon thread until `close()`. Our own servers run
as child processes instead (`servers`), as they do in the field."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LoopbackHTTP:
    """`handler` served on 127.0.0.1:<free port> by a daemon thread until `close()`."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                       name=f"loopback-{self.port}")
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
