"""One loopback TCP proxy for the fault tests and the network benchmarks.

It relays 127.0.0.1:`port` to the upstream port and counts the bytes each way. Per
accepted connection it can also draw a fate:

- refused: closed at once (probability `refuse_rate`);
- cut: closed after an exponentially distributed number of bytes (mean `cut_after`).
  With `cut_where="one_side"` the cut lands in one direction picked at random —
  mid-request (the office sees a partial body) or mid-response (the office committed,
  the phone never hears). With `"both_sides"` one byte budget is shared by both
  directions, as a flaky radio link drops whatever is in flight.

And it can shape a slow link: a bandwidth cap (`kbit`, per direction) and a one-way
`delay` paid once per burst. With keep-alive one connection carries many requests, so
cuts land before, during and after requests alike."""
from __future__ import annotations

import random
import socket
import threading
import time


class FaultProxy:
    def __init__(self, upstream_port: int, *, refuse_rate: float = 0.0, cut_after: float | None = None,
                 cut_where: str = "one_side", kbit: float | None = None, delay: float = 0.0,
                 seed: int | None = None) -> None:
        """Defaults: a clean pass-through that only counts bytes."""
        if cut_where not in ("one_side", "both_sides"):
            raise ValueError(f"cut_where must be one_side or both_sides, not {cut_where!r}")
        self.upstream_port = upstream_port
        self.refuse_rate, self.cut_after, self.cut_where = refuse_rate, cut_after, cut_where
        self.rate = kbit * 1000 / 8 if kbit else None
        self.delay = delay
        self.rng = random.Random(seed)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.stats: dict[str, int] = {}
        self.reset()
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=256)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True, name=f"proxy-{self.port}").start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # the counters, by the names the benchmarks read
    up = property(lambda self: self.stats["bytes_up"])
    down = property(lambda self: self.stats["bytes_down"])
    connections = property(lambda self: self.stats["connections"])
    cuts = property(lambda self: self.stats["cut_request"] + self.stats["cut_response"])

    def reset(self) -> None:
        with self._lock:
            self.stats = {"connections": 0, "refused": 0, "cut_request": 0, "cut_response": 0,
                          "bytes_up": 0, "bytes_down": 0}

    def close(self) -> None:
        self._stop.set()
        self.listener.close()

    def _fate(self) -> tuple[str, int | None]:
        with self._lock:
            self.stats["connections"] += 1
            if self.refuse_rate and self.rng.random() < self.refuse_rate:
                self.stats["refused"] += 1
                return "refused", None
            if self.cut_after is None:
                return "pass", None
            budget = 1 + int(self.rng.expovariate(1 / self.cut_after))
            if self.cut_where == "both_sides":
                return "both", budget
            return self.rng.choice(["cut_request", "cut_response"]), budget

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            fate, budget = self._fate()
            if fate == "refused":
                _close(client)
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            for s in (client, upstream):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            shared = {"left": budget} if fate == "both" else None
            up = shared or ({"left": budget} if fate == "cut_request" else {"left": None})
            down = shared or ({"left": budget} if fate == "cut_response" else {"left": None})
            threading.Thread(target=self._pump, args=(client, upstream, up, "up"), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, down, "down"), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, budget: dict, direction: str) -> None:
        last = 0.0
        try:
            while True:
                data = src.recv(16384 if self.rate is None else 1024)
                if not data:
                    break
                with self._lock:
                    left = budget["left"]
                    cut = left is not None and len(data) >= left
                    if left is not None:
                        budget["left"] = max(0, left - len(data))
                    if cut:
                        self.stats["cut_request" if direction == "up" else "cut_response"] += 1
                if cut:
                    dst.sendall(data[:left])            # the bytes that made it, then the line drops
                    break
                if self.delay and time.monotonic() - last > 0.05:
                    time.sleep(self.delay)              # propagation delay, paid once per burst
                last = time.monotonic()
                if self.rate:
                    time.sleep(len(data) / self.rate)
                dst.sendall(data)
                with self._lock:
                    self.stats["bytes_" + direction] += len(data)
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
