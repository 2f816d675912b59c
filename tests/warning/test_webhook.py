"""The signed webhook against a real HTTP server on loopback: HMAC-SHA256 over the exact
body, retries with back-off on 503, one delivery-log row per attempt, nothing sent twice,
a dead receiver leaves the signal queued; no identifier leaves the office."""
from __future__ import annotations

import datetime as dt
import json
from http.server import BaseHTTPRequestHandler

import pytest
from sqlalchemy import select

from jaga_desa.testing.loopback import LoopbackHTTP
from office.warning import webhook
from office.warning.schema import warn_deliveries, warn_signals
from tests.warning.conftest import T0
from tests.warning.test_engine import calo, report, run

SECRET = b"rahasia-mitra-0123456789"


class Receiver(LoopbackHTTP):
    """A real server: answers 503 `fail_first` times, then 200; keeps what it got."""

    def __init__(self, fail_first: int = 0) -> None:
        self.got: list[tuple[bytes, str | None]] = []
        self.fail_first = fail_first
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.got.append((body, self.headers.get(webhook.SIGNATURE_HEADER)))
                status = 503 if len(outer.got) <= outer.fail_first else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        super().__init__(Handler)

    @property
    def url(self) -> str:
        return super().url + "/jaga"


@pytest.fixture
def signal(office):
    """Two signals: the ring (phone and name in two villages) and a departure point used three times."""
    jetty = {"tempat_berangkat": "Dermaga Sei Menggaris"}
    run(office, [report(1, T0, **jetty, **calo(telepon="0812 3456 7890", nama="Saparudin"))])
    run(office, [report(2, T0 + dt.timedelta(days=1), **jetty, **calo(telepon="0812 3456 7890", nama="Saparudin"))])
    run(office, [report(3, T0 + dt.timedelta(days=2), **jetty)])
    return office


def deliveries(engine):
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(warn_deliveries).order_by(warn_deliveries.c.id)).mappings()]


def test_signed_delivery_with_retries_and_log(signal):
    engine, _ = signal
    rx = Receiver(fail_first=2)
    try:
        hook = webhook.Webhook(rx.url, SECRET, backoff=0.05)
        out = webhook.deliver_pending(engine, hook)
    finally:
        rx.close()
    assert out == {"sent": 2, "failed": 0}               # same_identifier and same_place
    assert len(rx.got) == 4                              # 2 refused + 2 delivered
    for body, sig in rx.got:
        assert webhook.verify(SECRET, body, sig)
        assert not webhook.verify(b"another-secret-000000", body, sig)
        assert not webhook.verify(SECRET, body.replace(b"same", b"sama"), sig)
    last = json.loads(rx.got[-1][0])
    assert last["notice"] == "A signal is a lead, never an accusation."
    assert {json.loads(b)["reports"] for b, _ in rx.got} == {2, 3}
    text = b" ".join(b for b, _ in rx.got)
    assert b"0812" not in text and b"81234567890" not in text and b"saparudin" not in text.lower()
    log = deliveries(engine)
    assert [(d["attempt"], d["status"], d["ok"]) for d in log] == [(1, 503, False), (2, 503, False), (3, 200, True),
                                                                   (1, 200, True)]
    with engine.connect() as conn:
        assert all(d for (d,) in conn.execute(select(warn_signals.c.delivered)))
    rx2 = Receiver()
    try:
        assert webhook.deliver_pending(engine, webhook.Webhook(rx2.url, SECRET)) == {"sent": 0, "failed": 0}
        assert rx2.got == []                              # nothing is sent twice
    finally:
        rx2.close()


def test_dead_receiver_keeps_the_signal_queued(signal):
    engine, _ = signal
    rx = Receiver()
    url = rx.url
    rx.close()                                            # nobody listens on that port any more
    out = webhook.deliver_pending(engine, webhook.Webhook(url, SECRET, retries=2, backoff=0.01))
    assert out == {"sent": 0, "failed": 2}
    assert all(not d["ok"] and d["error"] for d in deliveries(engine))
    with engine.connect() as conn:
        assert not any(d for (d,) in conn.execute(select(warn_signals.c.delivered)))


def test_always_failing_receiver_is_retried_then_logged(signal):
    engine, _ = signal
    rx = Receiver(fail_first=100)
    try:
        out = webhook.deliver_pending(engine, webhook.Webhook(rx.url, SECRET, retries=2, backoff=0.01), limit=1)
    finally:
        rx.close()
    assert out == {"sent": 0, "failed": 1}
    assert [(d["attempt"], d["status"]) for d in deliveries(engine)] == [(1, 503), (2, 503), (3, 503)]


@pytest.mark.parametrize("url,secret", [("ftp://x", SECRET), ("http://x", b"short")])
def test_bad_settings_are_refused(url, secret):
    from core.errors import BadRequest
    with pytest.raises(BadRequest):
        webhook.Webhook(url, secret)


def test_cli_delivers_and_refuses_a_missing_secret(signal, tmp_path, monkeypatch, capsys):
    from office import cli
    rx = Receiver()
    try:
        monkeypatch.delenv("JAGA_WEBHOOK_SECRET", raising=False)
        assert cli.main(["office-admin", "--data", str(tmp_path), "deliver-webhooks", "--url", rx.url]) == 1
        assert "secret must be at least 16 bytes" in capsys.readouterr().err
        monkeypatch.setenv("JAGA_WEBHOOK_SECRET", SECRET.decode())
        assert cli.main(["office-admin", "--data", str(tmp_path), "deliver-webhooks", "--url", rx.url, "--json"]) == 0
        assert json.loads(capsys.readouterr().out) == {"sent": 2, "failed": 0}
    finally:
        rx.close()
    assert all(webhook.verify(SECRET, b, s) for b, s in rx.got) and len(rx.got) == 2
