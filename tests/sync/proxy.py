"""A fault-injecting TCP proxy on 127.0.0.1 for sync tests.

Each accepted connection draws a fate: be refused at once, or be cut after a random
(exponentially distributed, mean `mean_bytes`) number of bytes in one direction —
mid-request (the office sees a partial body) or mid-response (the office committed, the
phone never hears). With keep-alive one connection carries many requests, so cuts land
before, during and after requests alike, and no connection lives forever.
"""
from __future__ import annotations

import random
import socket
import threading


class FaultyProxy:
    def __init__(self, upstream_port: int, *, refuse_rate: float = 0.05,
                 mean_bytes: int | None = 150_000, seed: int | None = None) -> None:
        """mean_bytes=None and refuse_rate=0: a clean pass-through that only counts bytes."""
        self.upstream_port = upstream_port
        self.refuse_rate, self.mean_bytes = refuse_rate, mean_bytes
        self.rng = random.Random(seed)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stats = {"connections": 0, "refused": 0, "cut_request": 0, "cut_response": 0,
                      "bytes_up": 0, "bytes_down": 0}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._stop.set()
        self.listener.close()

    def _fate(self) -> tuple[str, int]:
        with self._lock:
            self.stats["connections"] += 1
            if self.rng.random() < self.refuse_rate:
                self.stats["refused"] += 1
                return "refused", 0
            if self.mean_bytes is None:
                return "pass", 0
            kind = self.rng.choice(["cut_request", "cut_response"])
            self.stats[kind] += 1
            return kind, 1 + int(self.rng.expovariate(1 / self.mean_bytes))

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            fate, limit = self._fate()
            if fate == "refused":
                _close(client)
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            up_limit = limit if fate == "cut_request" else None
            down_limit = limit if fate == "cut_response" else None
            threading.Thread(target=self._pump, args=(client, upstream, up_limit, "bytes_up"),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, down_limit, "bytes_down"),
                             daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, limit: int | None, counter: str) -> None:
        sent = 0
        try:
            while True:
                data = src.recv(16384)
                if not data:
                    break
                if limit is not None and sent + len(data) >= limit:
                    dst.sendall(data[:max(0, limit - sent)])
                    break
                dst.sendall(data)
                sent += len(data)
                with self._lock:
                    self.stats[counter] += len(data)
        except OSError:
            pass
        _close(src)
        _close(dst)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
