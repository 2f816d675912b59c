"""The office under load and under a login flood at once (issue 12).

    python bench/load_bench.py [--phones 200] [--staff 20] [--flood 40] [--seconds 20] [--db URL]

A real office (uvicorn subprocess) on SQLite in a temp dir, or on the PostgreSQL URL given.
Simulated phones (threads with their own enrolled person keys, real sealed envelopes with
valid answers) push small batches with a little think time; staff sessions browse the
inbox, the overview map and report details; then the same again while `--flood` threads
post wrong passwords for real and made-up accounts from many loopback source addresses.

Prints push latency p50/p99 and dashboard p95 for both phases, the flood's effect on push
p99 as a ratio (target < 2x), the CPU each side used in each phase (the office server, the
phones and staff in this process, the flood in its own process group) as a share of the
machine's cores — so a reader sees whether the flood slowed the office or only the machine
— and a reconciliation: every envelope the office accepted is
stored exactly once, none acknowledged is missing (0 lost, 0 duplicated).
"""
from __future__ import annotations

import argparse
import base64
import json
import multiprocessing
import os
import random
import re
import sys
import threading
import time
from pathlib import Path
from tempfile import TemporaryDirectory

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey  # noqa: E402
from requests.adapters import HTTPAdapter  # noqa: E402

import forms  # noqa: E402
from bench import harness  # noqa: E402
from bench.common import cpu_seconds, machine, percentile, report  # noqa: E402
from bench.harness import ENV  # noqa: E402
from jaga_desa.testing.dashboard import sign_in  # noqa: E402
from sync import envelope as env  # noqa: E402

PASSWORD = "bench-password-123"


class From(HTTPAdapter):
    """Bind the client to one loopback source address (127.0.0.0/8 is all loopback on Linux)."""

    def __init__(self, ip: str) -> None:
        self.ip = ip
        super().__init__(pool_maxsize=4)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.ip, 0)
        return super().init_poolmanager(*args, **kwargs)


class Phone:
    def __init__(self, url: str, code: str, i: int) -> None:
        self.x, self.ed = X25519PrivateKey.generate(), Ed25519PrivateKey.generate()
        self.http = requests.Session()
        r = self.http.post(url + "/api/v1/enroll", timeout=60, json={
            "code": code, "name": f"Relawan {i}",
            "x25519_public": base64.b64encode(env.raw_public(self.x.public_key())).decode(),
            "ed25519_public": base64.b64encode(env.raw_public(self.ed.public_key())).decode()})
        r.raise_for_status()
        e = r.json()
        self.person, self.device = e["person_id"], e["device_id"]
        self.http.headers["Authorization"] = f"Bearer {e['sync_token']}"
        self.office = env.load_public_x25519(base64.b64decode(e["office_x25519_public"]))
        self.url = url
        self.answers = forms.load("laporan_kecurigaan", 1).example()   # sealed as version 1 below

    def seal(self, n: int) -> list[bytes]:
        return [env.seal({"answers": {**self.answers, "tempat": f"dermaga {random.randint(1, 10 ** 6)}"},
                          "flags": {}, "rahasia": False, "lang": "id"},
                         form_id="laporan_kecurigaan", form_version=1, author_id=self.person,
                         device_id=self.device, signing_key=self.ed, recipients=[self.office]).envelope
                for _ in range(n)]


class Phase:
    def __init__(self) -> None:
        self.push: list[float] = []
        self.dash: list[float] = []
        self.accepted: list[str] = []
        self.errors: dict[str, int] = {}
        self.logins = 0
        self.cpu: dict[str, float] = {}          # CPU seconds in the phase: office, phones+staff, flood
        self.seconds = 0.0
        self.lock = threading.Lock()

    def error(self, what: str) -> None:
        with self.lock:
            self.errors[what] = self.errors.get(what, 0) + 1


def phone_loop(phone: Phone, phase: Phase, stop: threading.Event, sealed: list[list[bytes]], think: float) -> None:
    """Push pre-sealed batches (sealing is the phone's CPU, not the office's: done before)."""
    rng = random.Random(phone.person)
    stop.wait(rng.uniform(0, think))            # phones do not all wake at the same instant
    while not stop.is_set() and sealed:
        items = sealed.pop()
        t = time.perf_counter()
        try:
            r = phone.http.post(phone.url + "/api/v1/envelopes", timeout=120,
                                json={"envelopes": [base64.b64encode(e).decode() for e in items]})
        except requests.RequestException:
            phase.error("push connection")
            continue
        dt = time.perf_counter() - t
        if r.status_code != 200:
            phase.error(f"push {r.status_code}")
        else:
            ok = [x["envelope_id"] for x in r.json()["results"] if x["status"] == "accepted"]
            with phase.lock:
                phase.push.append(dt)
                phase.accepted += ok
            if len(ok) != len(items):
                phase.error("push item refused")
        stop.wait(rng.uniform(0.5, 1.5) * think)


def login(url: str, username: str, session: requests.Session | None = None) -> requests.Session:
    return sign_in(url, username, PASSWORD, session)


def staff_loop(url: str, session: requests.Session, phase: Phase, stop: threading.Event) -> None:
    rng = random.Random(id(session))
    ids: list[str] = []
    while not stop.is_set():
        pick = rng.random()
        path = ("/dashboard/" if pick < 0.5 else "/dashboard/overview" if pick < 0.7 else
                f"/dashboard/reports/{rng.choice(ids)}" if ids else "/dashboard/?q=kebun")
        t = time.perf_counter()
        try:
            r = session.get(url + path, timeout=120)
        except requests.RequestException:
            phase.error("dashboard connection")
            continue
        dt = time.perf_counter() - t
        if r.status_code != 200:
            phase.error(f"dashboard {r.status_code}")
            continue
        with phase.lock:
            phase.dash.append(dt)
        if path == "/dashboard/":
            ids = re.findall(r"/dashboard/reports/([0-9a-f-]{36})", r.text)[:20] or ids
        stop.wait(rng.uniform(0.2, 0.6))


def flood_loop(url: str, i: int, phase: Phase, stop: threading.Event, accounts: list[str]) -> None:
    s = requests.Session()
    s.mount("http://", From(f"127.0.{1 + i // 200}.{2 + i % 200}"))
    rng = random.Random(i)
    while not stop.is_set():
        try:
            page = s.get(url + "/dashboard/login", timeout=60).text
            token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
            s.post(url + "/dashboard/login", timeout=60, allow_redirects=False,
                   data={"csrf": token, "username": rng.choice(accounts + [f"tebak{rng.randint(0, 999)}"]),
                         "password": f"salah-{rng.random()}"})
            with phase.lock:
                phase.logins += 1
        except (requests.RequestException, AttributeError):
            phase.error("flood connection")


def flood_process(url: str, flood: int, seconds: float, accounts: list[str], out) -> None:
    """The attacker, in its own process and process group: its threads must not share the
    measuring process's GIL, or the flood would slow the phones' clocks instead of the office;
    it reports its own CPU time so its share of the machine is printed beside the ratio."""
    os.setpgid(0, 0)
    cpu0 = time.process_time()
    phase, stop = Phase(), threading.Event()
    threads = [threading.Thread(target=flood_loop, args=(url, i, phase, stop, accounts), daemon=True)
               for i in range(flood)]
    for t in threads:
        t.start()
    stop.wait(seconds)
    stop.set()
    for t in threads:
        t.join(150)
    out.put((phase.logins, phase.errors, time.process_time() - cpu0))


def run_phase(url: str, office_pid: int, phones: list[Phone], sessions: list, flood: int, seconds: float,
              batch: int, think: float, accounts: list[str]) -> Phase:
    phase, stop = Phase(), threading.Event()
    rounds = int(seconds / (think * 0.5)) + 2
    sealed = {p.person: [p.seal(batch) for _ in range(rounds)] for p in phones}
    threads = [threading.Thread(target=phone_loop, args=(p, phase, stop, sealed[p.person], think), daemon=True)
               for p in phones]
    threads += [threading.Thread(target=staff_loop, args=(url, s, phase, stop), daemon=True) for s in sessions]
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    attacker = ctx.Process(target=flood_process, args=(url, flood, seconds, accounts, out)) if flood else None
    if attacker:
        attacker.start()
    office0, own0, t0 = cpu_seconds(office_pid), time.process_time(), time.monotonic()
    for t in threads:
        t.start()
    stop.wait(seconds)
    stop.set()
    for t in threads:
        t.join(150)
    phase.seconds = time.monotonic() - t0
    phase.cpu = {"office": cpu_seconds(office_pid) - office0, "phones": time.process_time() - own0, "flood": 0.0}
    if attacker:
        phase.logins, errors, phase.cpu["flood"] = out.get(timeout=300)
        attacker.join(60)
        for k, v in errors.items():
            phase.errors[k] = phase.errors.get(k, 0) + v
    return phase


def stored_ids(db_url: str) -> list[str]:
    from sqlalchemy import select
    from office import db
    from office.schema import envelopes
    engine = db.make_engine(db_url)
    with engine.connect() as conn:
        out = list(conn.execute(select(envelopes.c.id)).scalars())
    engine.dispose()
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--phones", type=int, default=200)
    p.add_argument("--staff", type=int, default=20)
    p.add_argument("--flood", type=int, default=40)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--batch", type=int, default=3, help="envelopes per push")
    p.add_argument("--think", type=float, default=2.0, help="mean seconds between a phone's pushes")
    p.add_argument("--db", help="office database URL (default: SQLite in a temp dir)")
    p.add_argument("--workers", type=int, default=1, help="office worker processes")
    args = p.parse_args(argv)
    os.environ.update({k: v for k, v in ENV.items() if k.startswith("JAGA_")})
    with TemporaryDirectory() as tmp:
        data = Path(tmp) / "office"
        from office import db, enrollment, staff
        db_url = args.db or db.sqlite_url(data)
        data.mkdir(parents=True)
        server = harness.office(data, workers=args.workers, db_url=args.db)
        try:
            engine = db.make_engine(db_url)
            accounts = [f"analis{i}" for i in range(args.staff)]
            with engine.begin() as conn:
                enrollment.add_village(conn, "Entikong", "Sanggau")
                codes = [enrollment.create_code(conn, village="Entikong", role="volunteer", name=f"R{i}")["code"]
                         for i in range(args.phones)]
                for name in accounts:
                    staff.create_staff(conn, name, PASSWORD, "admin")
            engine.dispose()
            phones = [Phone(server.url, c, i) for i, c in enumerate(codes)]
            sessions = [login(server.url, name) for name in accounts]
            quiet = run_phase(server.url, server.pid, phones, sessions, 0, args.seconds, args.batch, args.think, accounts)
            flood = run_phase(server.url, server.pid, phones, sessions, args.flood, args.seconds, args.batch, args.think,
                              accounts)
        finally:
            server.stop()
        stored = stored_ids(db_url)
    acked = quiet.accepted + flood.accepted
    lost = len(set(acked) - set(stored))
    duplicated = (len(stored) - len(set(stored))) + (len(acked) - len(set(acked)))
    ms = lambda v: f"{v * 1000:.0f} ms"      # noqa: E731
    share = lambda ph, who: ph.cpu.get(who, 0.0) / (ph.seconds * (os.cpu_count() or 1))   # noqa: E731
    ratio = percentile(flood.push, 99) / percentile(quiet.push, 99)
    rows = [
        {"metric": "push p50 / p99 (no flood)", "value": f"{ms(percentile(quiet.push, 50))} / {ms(percentile(quiet.push, 99))}"},
        {"metric": "push p50 / p99 (login flood)", "value": f"{ms(percentile(flood.push, 50))} / {ms(percentile(flood.push, 99))}"},
        {"metric": "push p99 flood / no flood", "value": f"{ratio:.2f}x", "target": "< 2x", "met": ratio < 2},
        {"metric": "dashboard p95 (no flood / flood)",
         "value": f"{ms(percentile(quiet.dash, 95))} / {ms(percentile(flood.dash, 95))}"},
        {"metric": "pushes, page views (no flood / flood)",
         "value": f"{len(quiet.push)}/{len(quiet.dash)} · {len(flood.push)}/{len(flood.dash)}"},
        {"metric": "login attempts during the flood", "value": str(flood.logins)},
        *[{"metric": f"CPU share of the machine's {os.cpu_count()} cores, {who} (no flood / flood)",
           "value": f"{share(quiet, who):.0%} / {share(flood, who):.0%}"} for who in ("office", "phones", "flood")],
        {"metric": "accepted / lost / duplicated", "value": f"{len(acked)} / {lost} / {duplicated}",
         "target": "0 lost, 0 dup", "met": lost == 0 and duplicated == 0},
        {"metric": "errors (no flood | flood)", "value": f"{json.dumps(quiet.errors)} | {json.dumps(flood.errors)}"},
    ]
    store = "PostgreSQL" if args.db else "SQLite"
    setup = {"metric": "setup: phones, staff, flood threads, store, office workers, seconds per phase",
             "value": f"{args.phones}, {args.staff}, {args.flood}, {store}, {args.workers}, {args.seconds:.0f}"}
    report("load", [setup, *rows])
    print(f"  ({machine()}; {args.seconds:.0f} s per phase)")


if __name__ == "__main__":
    main()
