"""core.net: a free port is free, and wait_http waits on the condition, not on a clock."""
import http.server
import socket
import subprocess
import sys
import threading

import pytest

from core.net import ServerDidNotStart, free_port, wait_http


def test_free_port_can_be_bound():
    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))         # raises OSError if the port were taken
        assert s.getsockname() == ("127.0.0.1", port)


def test_wait_http_returns_once_the_server_answers():
    port = free_port()
    answered: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, fmt, *args) -> None:    # one call per request served
            answered.append(self.path)

    server = http.server.HTTPServer(("127.0.0.1", port), Handler)
    threading.Timer(0.3, lambda: threading.Thread(target=server.serve_forever, daemon=True).start()).start()
    try:
        wait_http(f"http://127.0.0.1:{port}/", timeout=10, any_status=True)
        assert answered == ["/"]                # it returned because the server answered
    finally:
        server.shutdown()


def test_wait_http_fails_at_once_when_the_process_dies():
    proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    # "exited", not "did not answer": it noticed the death instead of sitting out the deadline
    with pytest.raises(ServerDidNotStart, match="exited with code 3"):
        wait_http(f"http://127.0.0.1:{free_port()}/", proc, timeout=30)


def test_wait_http_gives_up_at_the_deadline():
    with pytest.raises(ServerDidNotStart, match="did not answer"):
        wait_http(f"http://127.0.0.1:{free_port()}/", timeout=0.5)
