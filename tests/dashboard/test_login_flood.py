"""A login flood against a real office (uvicorn subprocess) while a phone pushes (issue 12).

Correctness, not speed (speed is bench/load_bench.py): while N threads from N source
addresses post wrong passwords, phone pushes still complete (within a generous deadline)
and are stored once; every flood answer is 401 or 429 with Retry-After, never 5xx; and the
rightful user signs in once the flood stops.
"""
from __future__ import annotations

import os
import sqlite3
import threading

import pytest
import requests

from jaga_desa.testing.servers import OfficeServer
from jaga_desa.testing.waits import wait_until
from office.dashboard import auth
from tests.support import enroll

from .conftest import CSRF_RE, PASSWORD
from .test_hardening import client_from, try_login

FLOOD = 60                  # more than AnyIO's 40 shared worker threads
PUSH_DEADLINE = 60.0        # a correctness bound for one push, not a latency figure


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    server = OfficeServer(tmp_path_factory.mktemp("flood") / "office").start()
    try:
        server.admin(["add-village", "--name", "Entikong", "--region", "Sanggau"])
        os.environ["JAGA_PASSWORD"] = PASSWORD
        server.admin(["add-staff", "--username", "intel_sgu", "--role", "intel", "--region", "Sanggau"])
        yield server
    finally:
        server.stop()


class Flood:
    """FLOOD threads, each its own loopback source address, posting wrong passwords."""

    def __init__(self, url: str) -> None:
        self.url, self.stop = url, threading.Event()
        self.codes: dict[int, int] = {}
        self.missing_retry_after = 0
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.loop, args=(i,), daemon=True) for i in range(FLOOD)]

    def loop(self, i: int) -> None:
        s = client_from(f"127.0.4.{10 + i}")
        n = 0
        while not self.stop.is_set():
            n += 1
            try:
                page = s.get(self.url + "/dashboard/login", timeout=60).text
                r = s.post(self.url + "/dashboard/login", allow_redirects=False, timeout=60,
                           data={"csrf": CSRF_RE.search(page).group(1),
                                 "username": "intel_sgu" if n % 2 else f"tebak{i}", "password": f"salah-{n}"})
            except requests.RequestException:
                r = None
            with self.lock:
                code = r.status_code if r is not None else 0
                self.codes[code] = self.codes.get(code, 0) + 1
                if code == 429 and not r.headers.get("Retry-After", "").isdigit():
                    self.missing_retry_after += 1

    def total(self) -> int:
        with self.lock:
            return sum(self.codes.values())

    def __enter__(self) -> "Flood":
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(90)


def push_within(client, envelope: bytes, deadline: float) -> dict:
    """Push on a thread and wait for its result with a deadline (no fixed sleep)."""
    out: dict = {}

    def run() -> None:
        try:
            out["result"] = client.push([envelope])[0]
        except Exception as e:      # noqa: BLE001 — reported by the assertion below
            out["error"] = repr(e)
    threading.Thread(target=run, daemon=True).start()
    wait_until(lambda: out, deadline, "a phone push to finish during the login flood", every=0.05)
    assert "error" not in out, out["error"]
    return out["result"]


def test_phone_pushes_complete_during_a_login_flood_and_the_owner_signs_in_after(office):
    person, client = enroll(office, "Entikong", "volunteer", "Siti Relawan")
    reports = [person.report() for _ in range(5)]
    with Flood(office.url) as flood:
        wait_until(lambda: flood.total() >= 2 * FLOOD, 120, "the flood to be under way", every=0.1)
        results = [push_within(client, r.envelope, PUSH_DEADLINE) for r in reports]
        during = flood.total()
    assert [r["status"] for r in results] == ["accepted"] * 5, results
    assert during >= 2 * FLOOD
    # the flood was answered, cheaply and typed: wrong password or "wait", never a 5xx
    assert set(flood.codes) <= {401, 429}, flood.codes
    assert flood.codes.get(429, 0) > 0 and flood.missing_retry_after == 0, flood.codes
    with sqlite3.connect(office.data_dir / "office.db", timeout=30) as db:
        stored = db.execute(f"SELECT count(*) FROM envelopes WHERE id IN ({','.join('?' * 5)})",
                            [r.envelope_id for r in reports]).fetchone()[0]
        assert stored == 5
        assert db.execute("SELECT count(*) FROM dash_audit WHERE action='login_throttled'").fetchone()[0] >= 1
    # the flood stops: the rightful user, from a clean address, signs in
    owner = client_from("127.0.5.1")
    code = wait_until(lambda: (c := try_login(owner, office.url, "intel_sgu", PASSWORD).status_code) != 429 and c,
                      2 * auth.ACCOUNT_CAP.total_seconds() + 30, "the owner to be let in after the flood")
    assert code == 303
