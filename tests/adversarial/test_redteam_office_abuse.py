"""Red team on the office's doors (issue 22, items 7, 8, 9, 10, 12): each test is the attacker.

- a stranger with no token sends a gzip bomb to the push door (12);
- a receiver (or whoever answers in its place) redirects the signed webhook inward (10);
- a local client writes its own X-Forwarded-For on every login attempt (8);
- staff type huge and over-long ids into every dashboard POST, and an admin a TTL of 1e9
  hours, nan or a negative one (7);
- an admin acts through the CLI, and staff read signals, revoke-confirm pages, the village
  list and the hand-over history, and look for the audit rows (9).
Real office under uvicorn on loopback, SQLite and PostgreSQL where the office stores
something; real HTTP servers for the webhook's receiver and the internal service.
"""
from __future__ import annotations

import gzip
import json
import os
import time
from http.server import BaseHTTPRequestHandler

import forms
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from jaga_desa.testing.dashboard import sign_in
from jaga_desa.testing.loopback import LoopbackHTTP
from jaga_desa.testing.servers import OfficeServer
from office import db
from office.dashboard import access_table
from office.dashboard.schema import dash_audit
from office.warning import webhook
from office.warning.schema import warn_deliveries, warn_signals
from tests.support import enroll, village
from tests.warning.conftest import T0
from tests.warning.test_engine import calo, report, run

from .conftest import main_py

PASSWORD = "kata-sandi-uji-1"
SECRET = b"rahasia-mitra-0123456789"


def _peak_rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))


# ── 12: authenticate first, then inflate with a cap ─────────────────────────────

def test_a_stranger_never_makes_the_office_inflate_a_push_body(office_server):
    """No token, or a wrong one: the body is not read. Before, it was inflated (8 MiB cap) and
    parsed first — a few KiB of gzip holding millions of `{}` cost the office ~100 MiB each —
    and only then refused; a body that is not even gzip got the inflater's 422, not a 401."""
    url = f"{office_server.url}/api/v1/envelopes"
    gz = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    for auth in ({}, {"Authorization": "Bearer jds_not-a-token"}, {"Authorization": "Basic eA=="}):
        r = requests.post(url, data=b"this is not gzip", headers={**gz, **auth}, timeout=30)
        assert r.status_code == 401 and r.json()["code"] == "unauthorized", r.text
    bomb = gzip.compress(b'{"envelopes":[' + b"{}," * 2_600_000 + b"{}]}", 9)
    assert len(bomb) < 64 * 1024
    before = _peak_rss_kib(office_server.pid)
    for _ in range(3):
        r = requests.post(url, data=bomb, headers={**gz, "Authorization": "Bearer jds_not-a-token"}, timeout=60)
        assert r.status_code == 401, r.text
    grown = _peak_rss_kib(office_server.pid) - before
    assert grown < 16 * 1024, f"the office's peak memory grew {grown} KiB for a refused stranger"
    # an enrolled phone still pushes gzip, and its bomb is still capped (413), never a 5xx
    village(office_server)
    siti, client = enroll(office_server, "Entikong", "volunteer", "Siti")
    assert client.push([siti.report().envelope])[0]["status"] == "accepted"
    r = requests.post(url, data=gzip.compress(b'{"envelopes":[' + b'"",' * 3_000_000 + b'""]}', 9),
                      headers={**gz, "Authorization": f"Bearer {client.token}"}, timeout=60)
    assert r.status_code == 413 and r.json()["code"] == "too_large"
    client.close()


# ── 10: the webhook follows no redirect ──────────────────────────────────────────

class _Hits(LoopbackHTTP):
    """A real HTTP server: `redirect_to` answers every POST with a 307 there; otherwise 200.
    Keeps what it received."""

    def __init__(self, redirect_to: str | None = None) -> None:
        self.got: list[tuple[str, bytes, dict]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.got.append((self.path, body, dict(self.headers)))
                self.send_response(307 if redirect_to else 200)
                if redirect_to:
                    self.send_header("Location", redirect_to)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        super().__init__(Handler)


@pytest.fixture(params=["sqlite", "postgresql"])
def signalled(request, tmp_path):
    """A migrated office store with two undelivered signals (SQLite or PostgreSQL)."""
    from office import keys as office_keys
    from office.schema import villages
    from sqlalchemy import insert
    url = request.getfixturevalue("postgres_server")("red_hook") if request.param == "postgresql" else None
    engine = db.open_store(tmp_path, url)
    keys = office_keys.load_or_create(tmp_path, "kata-sandi-kantor")
    with engine.begin() as conn:
        conn.execute(insert(villages), [{"id": 1, "name": "Entikong", "region": "Sanggau"},
                                        {"id": 2, "name": "Badau", "region": "Kapuas Hulu"}])
    office = (engine, keys)
    import datetime as dt
    run(office, [report(1, T0, **calo(telepon="0812 3456 7890", nama="Saparudin"))])
    run(office, [report(2, T0 + dt.timedelta(days=1), **calo(telepon="0812 3456 7890", nama="Saparudin"))])
    yield engine
    engine.dispose()


def test_the_webhook_follows_no_redirect_and_logs_what_happened(signalled):
    engine = signalled
    with engine.connect() as conn:
        n = len(conn.execute(select(warn_signals.c.id).where(warn_signals.c.delivered.is_(False))).all())
    assert n >= 1                                        # signals over the same reports are one (warning/review)
    internal = _Hits()                                   # e.g. a metadata service inside the office
    partner = _Hits(redirect_to=internal.url + "/latest/secrets")
    try:
        out = webhook.deliver_pending(engine, webhook.Webhook(partner.url + "/jaga", SECRET, backoff=0.01))
    finally:
        partner.close()
        internal.close()
    assert out == {"sent": 0, "failed": n}, out
    assert internal.got == []                            # neither the body nor the signature went inward
    assert len(partner.got) == n and all(p == "/jaga" for p, _, _ in partner.got)
    with engine.connect() as conn:
        log = [dict(r) for r in conn.execute(select(warn_deliveries).order_by(warn_deliveries.c.id)).mappings()]
        queued = conn.execute(select(warn_signals.c.id).where(warn_signals.c.delivered.is_(False))).all()
    assert [(d["status"], d["ok"]) for d in log] == [(307, False)] * n
    assert all("redirect not followed" in d["error"] and "/latest/secrets" in d["error"] for d in log)
    assert len(queued) == n                              # still to deliver, to the right place
    with pytest.raises(Exception, match="http"):
        webhook.Webhook("http:///no-host", SECRET)


# ── 8: X-Forwarded-For only from configured proxies ─────────────────────────────

def _staffed(server: OfficeServer) -> OfficeServer:
    os.environ["JAGA_PASSWORD"] = PASSWORD
    server.admin(["add-staff", "--username", "admin", "--role", "admin"])
    return server


def _login_attempts(server: OfficeServer, n: int, forged: str) -> list[int]:
    from jaga_desa.testing.dashboard import csrf_of
    out = []
    for i in range(n):
        s = requests.Session()
        page = s.get(server.url + "/dashboard/login", timeout=30).text
        r = s.post(server.url + "/dashboard/login", allow_redirects=False, timeout=60,
                   headers={"X-Forwarded-For": forged.format(i=i)},
                   data={"csrf": csrf_of(page), "username": f"tebak{i}", "password": "salah"})
        out.append(r.status_code)
    return out


def _audit_ips(server: OfficeServer) -> set:
    engine = db.open_store(server.data_dir, server.db_url)
    try:
        with engine.connect() as conn:
            return {r.ip for r in conn.execute(select(dash_audit.c.ip).where(
                dash_audit.c.action.in_(["login_failed", "login_throttled"])))}
    finally:
        engine.dispose()


def test_a_forwarded_address_is_believed_only_from_a_configured_proxy(office_factory, tmp_path):
    """A local client writes a new X-Forwarded-For on every wrong password. uvicorn believed
    it from 127.0.0.1: each attempt was a new source (never slowed) and the audit log kept the
    forged addresses. Now the source is the real peer: the attempts are one source, slowed
    after the free ones, and the log holds 127.0.0.1. An office behind its own proxy names it
    (--trusted-proxy) and then gets the forwarded address."""
    server = _staffed(office_factory("xff"))
    statuses = _login_attempts(server, 8, "203.0.113.{i}")
    assert 429 in statuses, statuses
    assert _audit_ips(server) == {"127.0.0.1"}
    behind = OfficeServer(tmp_path / "behind", extra_args=["--trusted-proxy", "127.0.0.1"]).start()
    try:
        _staffed(behind)
        _login_attempts(behind, 2, "198.51.100.7")
        assert _audit_ips(behind) == {"198.51.100.7"}
    finally:
        behind.stop()
    bad = main_py("office", "--data", tmp_path / "bad", "--trusted-proxy", "*", check=False, timeout=60)
    assert bad.returncode != 0 and "error [bad_request]" in bad.stderr


def test_an_ipv6_attacker_rotating_through_a_64_is_one_source(tmp_path):
    """Behind the office's own proxy, an attacker writes a fresh address from his /64 on every
    wrong password (a home line gets 2^64 of them): the throttle counts the /64, so he is
    slowed after the free failures all the same; the audit log keeps each checked address
    and notes the throttled /64 once, not once per address.
    Another /64 is not slowed by him."""
    from office.dashboard.auth import FREE_FAILURES, source
    assert source("2001:db8:7:7:1::9") == source("2001:db8:7:7:ffff::1") == "2001:db8:7:7::/64"
    assert source("::ffff:203.0.113.5") == "203.0.113.5" and source("203.0.113.5") == "203.0.113.5"
    behind = OfficeServer(tmp_path / "v6", extra_args=["--trusted-proxy", "127.0.0.1"]).start()
    try:
        _staffed(behind)
        statuses = _login_attempts(behind, FREE_FAILURES + 3, "2001:db8:7:7::{i:x}")
        assert 429 in statuses, statuses
        # each checked password under its own address; the throttled rest: one note for the /64
        assert _audit_ips(behind) == {f"2001:db8:7:7::{i:x}" for i in range(FREE_FAILURES)} | {"2001:db8:7:7::/64"}
        assert _login_attempts(behind, 1, "2001:db8:9:9::1") != [429]
    finally:
        behind.stop()


# ── 7: huge numbers never reach the database ───────────────────────────────────

@pytest.mark.parametrize("ttl", ["1e9", "nan", "-5", "0", "inf", "721"])
def test_an_enrollment_code_ttl_out_of_range_is_a_typed_error(office, ttl):
    got = main_py("office-admin", "--data", office.data_dir, "enroll-code", "--village", "Sebatik Tengah",
                  "--role", "volunteer", "--name", "Siti", "--ttl-hours", ttl, check=False, timeout=60)
    assert got.returncode != 0 and got.stderr.startswith("error [bad_request]"), (ttl, got.stderr)
    assert "Traceback" not in got.stderr


ID_VALUES = ["9" * 20, "9" * 25, str(2**31), str(2**63), str(2**64), "1" * 300, "-1", "0", "²", "1_0", " 7",
             "0x10", "1e3", "٣", ""]
ids = st.one_of(st.sampled_from(ID_VALUES), st.integers(min_value=2**31 - 2, max_value=10**40).map(str),
                st.text(max_size=40))
FORM_KEYS = ["assignee", "action", "reason", "village", "state", "note", "message", "days", "k", "ids",
             "tier", "confirm", "code", "role", "name", "username", "label", "regions", "before",
             "village_" + "9" * 25, "village_1", "role_head"]


@pytest.fixture(scope="module")
def signal_office(tmp_path_factory):
    """An office with a real signal (one phone number named in two villages) and an admin."""
    server = _staffed(OfficeServer(tmp_path_factory.mktemp("ids") / "office").start())
    try:
        village(server)
        server.admin(["add-village", "--name", "Badau", "--region", "Sanggau"])
        v2 = forms.load("laporan_kecurigaan", 2).example()
        for name, where in (("Siti", "Entikong"), ("Budi", "Badau")):
            person, client = enroll(server, where, "volunteer", name)
            sealed = person.report(answers=v2, form_version=2)
            assert client.push([sealed.envelope])[0]["status"] == "accepted"
            client.close()
        server.derived()             # the signal is derived after the pushes, not in them
        s = sign_in(server.url, "admin", PASSWORD)
        from jaga_desa.testing.dashboard import csrf_of
        page = s.get(server.url + "/dashboard/signals", timeout=30).text
        s.csrf = csrf_of(page)
        engine = db.open_store(server.data_dir)
        with engine.connect() as conn:
            s.signal_id = str(conn.execute(select(warn_signals.c.id)).scalars().first())
        engine.dispose()
        assert s.signal_id != "None"
        yield server, s
    finally:
        server.stop()


def test_a_huge_signal_id_or_assignee_is_a_400_not_a_500(signal_office):
    server, s = signal_office
    for sid, assignee in (("9" * 20, "1"), (s.signal_id, "9" * 25), (s.signal_id, str(2**31))):
        r = s.post(f"{server.url}/dashboard/signals/{sid}", allow_redirects=False, timeout=30,
                   data={"csrf": s.csrf, "action": "assign", "assignee": assignee})
        assert r.status_code == 400, (sid, assignee, r.status_code, r.text[-300:])


def _post_routes() -> list[str]:
    return sorted(p for (m, p), _ in access_table().items()
                  if m == "POST" and p.startswith("/dashboard") and p not in ("/dashboard/logout", "/dashboard/login"))


@pytest.mark.parametrize("path", _post_routes())
def test_every_dashboard_post_with_huge_and_over_long_ids_never_5xx(signal_office, path):
    server, s = signal_office

    @given(st.sampled_from(ID_VALUES) | ids, st.dictionaries(st.sampled_from(FORM_KEYS), ids, max_size=5))
    @settings(max_examples=25, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def attempt(path_id, form):
        from urllib.parse import quote
        url = path
        for name in ("signal_id", "staff_id", "report_id", "device_id", "person_id", "token_id", "att_id"):
            url = url.replace("{" + name + "}", quote(path_id or "1", safe=""))
        r = s.post(server.url + url, data={**form, "csrf": s.csrf}, allow_redirects=False, timeout=60)
        assert r.status_code < 500, (url, form, r.status_code, r.text[-300:])

    attempt()


# ── 9: every read of report data and every admin action is audited ────────────

@pytest.fixture(params=["sqlite", "postgresql"])
def audited_office(request, office_factory):
    url = request.getfixturevalue("postgres_server")("red_audit") if request.param == "postgresql" else None
    return _staffed(office_factory("audit-" + request.param, db_url=url))


def _actions(server: OfficeServer) -> list[tuple[str, str | None, str | None]]:
    engine = db.open_store(server.data_dir, server.db_url)
    try:
        with engine.connect() as conn:
            return [(r.action, r.username, r.target) for r in conn.execute(
                select(dash_audit.c.action, dash_audit.c.username, dash_audit.c.target).order_by(dash_audit.c.id))]
    finally:
        engine.dispose()


def test_cli_admin_actions_and_staff_views_leave_an_audit_row(audited_office, monkeypatch):
    server = audited_office
    server.admin(["add-village", "--name", "Entikong", "--region", "Sanggau"])
    server.admin(["add-village", "--code", "65.03.01.2001"])
    server.admin(["set-village-code", "--village", "Entikong", "--code", "61.03.21.2003"])
    server.admin(["api-token", "list"])
    monkeypatch.setenv("JAGA_WEBHOOK_SECRET", SECRET.decode())
    rx = _Hits()
    try:
        server.admin(["deliver-webhooks", "--url", rx.url + "/jaga"])
    finally:
        rx.close()
    siti, client = enroll(server, "Entikong", "volunteer", "Siti")
    client.close()
    s = sign_in(server.url, "admin", PASSWORD)
    for path in ("/dashboard/signals", f"/dashboard/admin/devices/{siti.device_id}/revoke",
                 f"/dashboard/admin/persons/{siti.id}/revoke", "/dashboard/admin/villages",
                 "/dashboard/admin/handover"):
        assert s.get(server.url + path, timeout=30).status_code == 200, path
    got = _actions(server)
    cli = {a for a, who, _ in got if who and who.startswith("cli:")}
    assert {"add_village", "set_village_code", "list_api_tokens", "deliver_webhooks"} <= cli, got
    assert sum(1 for a, who, _ in got if a == "add_village" and who.startswith("cli:")) == 2   # --code too
    staff = [(a, t) for a, who, t in got if who == "admin"]
    assert {"view_signals", "view_villages", "view_handover"} <= {a for a, _ in staff}, staff
    assert ("view_revoke_device", siti.device_id) in staff and ("view_revoke_person", siti.id) in staff


# ── 4: one phone cannot fill the disk or crowd out the others ─────────────────

QUOTA = 1024 * 1024


@pytest.fixture(params=["sqlite", "postgresql"])
def limited_office(request, tmp_path):
    url = request.getfixturevalue("postgres_server")("red_quota") if request.param == "postgresql" else None
    server = OfficeServer(tmp_path / "limited", url, env={"JAGA_PHONE_BYTES_PER_DAY": str(QUOTA),
                                                          "JAGA_PHONE_PUSHES_PER_MINUTE": "4"}).start()
    yield server
    server.stop()


def _stored(server: OfficeServer, envelope_id: str) -> int:
    from office.schema import envelopes
    engine = db.open_store(server.data_dir, server.db_url)
    try:
        with engine.connect() as conn:
            return len(conn.execute(select(envelopes.c.id).where(envelopes.c.id == envelope_id)).all())
    finally:
        engine.dispose()


def test_one_phone_cannot_fill_the_office_or_crowd_out_the_others(limited_office, tmp_path):
    """Siti's phone pushes a report declaring 1.2 MB of photos against a 1 MiB day: it is
    deferred (not refused, nothing signed, nothing stored) and waits on the phone; her small
    report in the same push is taken, and Budi's phone is untouched by her quota. Past four
    pushes a minute she gets 429 `rate_limited`; Budi does not. With two of her requests held
    open (slow uploads), a third of hers waits its turn while Budi's is served, and runs once
    hers end; with two held and eight waiting, one more of hers is turned away (429)."""
    import base64
    import socket

    from jaga_desa.testing.waits import wait_until
    from sync.client import OfficeClient
    from sync.runner import sync_once
    from tests.support import SqliteOutbox
    server = limited_office
    village(server)
    siti, sc = enroll(server, "Entikong", "volunteer", "Siti")
    budi, bc = enroll(server, "Entikong", "volunteer", "Budi")
    photos = {"aa" * 16: os.urandom(600_000), "bb" * 16: os.urandom(600_000)}
    big, small = siti.report(attachments=photos), siti.report()
    slow = siti.report(attachments={"dd" * 16: os.urandom(100_000), "ee" * 16: os.urandom(100_000)})
    # a second report for the second round of held uploads: the first round's cut-off bytes
    # may still be landing when that round starts, so it would ask for a stale offset
    slow2 = siti.report(attachments={"d2" * 16: os.urandom(100_000), "e2" * 16: os.urandom(100_000)})
    got_big, got_small, got_slow, got_slow2 = sc.push([big.envelope, small.envelope, slow.envelope,
                                                       slow2.envelope])
    assert got_slow["status"] == got_slow2["status"] == "accepted"
    assert got_big["status"] == "deferred" and got_big["code"] == "quota_exceeded", got_big
    assert "refusal" not in got_big and 0 < got_big["retry_after"] <= 86400
    assert got_small["status"] == "accepted" and _stored(server, big.envelope_id) == 0
    theirs = budi.report(attachments={"cc" * 16: os.urandom(600_000)})
    assert bc.push([theirs.envelope])[0]["status"] == "accepted"            # her quota is hers

    outbox = SqliteOutbox(tmp_path / "siti.db", office_url=server.url, sync_token=sc.token,
                          device_id=siti.device_id, office_sign_public=base64.b64decode(
                              siti.enrolled["office_ed25519_public"]))
    outbox.add(big)
    client = OfficeClient(server.url, token=sc.token)
    rnd = sync_once(outbox, client)
    client.close()
    assert not rnd.ok and rnd.error == "quota_exceeded", rnd
    assert [i.envelope_id for i in outbox.pending()] == [big.envelope_id]   # kept for tomorrow

    # (raw requests: the phone's own client honours Retry-After by waiting, as it should)
    push = lambda token: requests.post(f"{server.url}/api/v1/envelopes", json={"envelopes": []}, timeout=30,
                                       headers={"Authorization": f"Bearer {token}"})
    answers = [push(sc.token) for _ in range(4)]
    limited = [r for r in answers if r.status_code == 429]
    assert limited and limited[0].json()["code"] == "rate_limited" and int(limited[0].headers["Retry-After"]) >= 1
    assert push(bc.token).status_code == 200                                 # Budi is not slowed
    carried = requests.post(f"{server.url}/api/v1/courier", data=b"x" * 1024, timeout=30,
                            headers={"Authorization": f"Bearer {sc.token}"})
    assert carried.status_code == 429 and carried.json()["code"] == "rate_limited"  # the courier door counts too

    def slow_upload(att: str, report=slow) -> socket.socket:
        """One of her uploads that never finishes: its request runs, waiting for the rest of the body."""
        offset = sc.attachment_status(report.envelope_id, att)["received"]
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.sendall((f"PUT /api/v1/attachments/{report.envelope_id}/{att}?offset={offset} HTTP/1.1\r\n"
                      f"Host: 127.0.0.1\r\nAuthorization: Bearer {sc.token}\r\n"
                      f"Content-Type: application/octet-stream\r\nContent-Length: 50000\r\n\r\n").encode()
                     + b"x" * 10)
        return sock

    def inbox(token: str, timeout: float = 60) -> int | str:
        try:
            return requests.get(f"{server.url}/api/v1/inbox", timeout=timeout,
                                headers={"Authorization": f"Bearer {token}"}).status_code
        except requests.exceptions.ReadTimeout:
            return "waiting"

    held = [slow_upload("dd" * 16), slow_upload("ee" * 16)]
    try:
        # her two slots are taken once a request of hers no longer runs at once
        wait_until(lambda: inbox(sc.token, timeout=1) == "waiting", 30, "her two uploads to hold her slots")
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(1) as pool:
            hers = pool.submit(inbox, sc.token)          # waits for one of her two slots
            assert inbox(bc.token) == 200                # Budi is served meanwhile
            assert not hers.done()                       # hers cannot run while both of hers are held
            for sock in held:
                sock.close()
            held.clear()
            assert hers.result(timeout=60) == 200        # served once hers ended
        wait_until(lambda: inbox(sc.token) == 200, 30, "her slots to be free again")
        held.extend([slow_upload("d2" * 16, slow2), slow_upload("e2" * 16, slow2)])
        wait_until(lambda: inbox(sc.token, timeout=1) == "waiting", 30, "her two uploads to hold her slots again")
        held.extend(socket.create_connection(("127.0.0.1", server.port)) for _ in range(8))
        for sock in held[-8:]:                           # eight more of hers wait their turn...
            sock.sendall(f"GET /api/v1/inbox HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {sc.token}\r\n\r\n"
                         .encode())
        wait_until(lambda: inbox(sc.token) == 429, 30, "one more of hers, beyond those waiting, to be refused")
        assert inbox(bc.token) == 200
    finally:
        for sock in held:
            sock.close()
    sc.close()
    bc.close()
