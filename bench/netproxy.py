"""A loopback TCP proxy that counts bytes and can behave like a bad rural link.

Shaping per connection and direction: a bandwidth cap (bytes/s), a one-way delay, and a
random cut on average every `drop_every` bytes. Used by the benchmarks only
(the tests have their own fault-injection proxy in tests/sync).
"""
from __future__ import annotations

import random
import socket
import threading
import time


class Proxy:
    def __init__(self, target_port: int, *, kbit: float | None = None, delay: float = 0.0,
                 drop_every: float | None = None, seed: int = 7) -> None:
        self.target = ("127.0.0.1", target_port)
        self.rate = kbit * 1000 / 8 if kbit else None
        self.delay, self.drop_every = delay, drop_every
        self.rng = random.Random(seed)
        self.up = self.down = self.connections = self.cuts = 0
        self._lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(256)
        self.port = self.sock.getsockname()[1]
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def reset(self) -> None:
        with self._lock:
            self.up = self.down = self.connections = self.cuts = 0

    def close(self) -> None:
        self._stop = True
        self.sock.close()

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self.connections += 1
                # a cut after an exponentially distributed number of bytes: drops at random points
                cut_at = int(self.rng.expovariate(1 / self.drop_every)) + 1 if self.drop_every else None
            state = {"budget": cut_at}
            threading.Thread(target=self._pipe, args=(client, server, "up", state), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, "down", state), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, direction: str, state: dict) -> None:
        last = 0.0
        try:
            while True:
                data = src.recv(4096 if self.rate is None else 1024)
                if not data:
                    break
                if state["budget"] is not None:
                    state["budget"] -= len(data)
                    if state["budget"] <= 0:
                        with self._lock:
                            self.cuts += 1
                        break
                if self.delay and time.monotonic() - last > 0.05:
                    time.sleep(self.delay)      # propagation delay, paid once per burst
                last = time.monotonic()
                if self.rate:
                    time.sleep(len(data) / self.rate)
                dst.sendall(data)
                with self._lock:
                    setattr(self, direction, getattr(self, direction) + len(data))
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
