"""The installable offline app, measured against web mode in the same run.

    python bench/offline_bench.py [--seals 20] [--skip-browser]

Browser part (real Chromium, real office over HTTPS with a self-signed certificate
Chromium trusts by its key, the bytes counted by the loopback proxy in front of it):
- bytes of the first install (open /app/, create the user, until the service worker holds
  the whole build) and of a reload (goal: 0 — everything from the service worker's cache);
- launch to a usable lock screen: the offline app from a cold browser start with the
  network off, against web mode (`jaga-desa app`, the Python on a local server) from a cold
  browser start — the baseline, in the same run;
- unlock: tap "Masuk" to the home screen, in the offline app.

Crypto part (Pyodide under Node with the app's noble bundle — the same Pyodide and the same
wasm/JS engine family as the browser, without the page around it — against CPython with
pyca in this process): seal time per report (sync.envelope.seal of a typical report to the
office and one head), and the PIN KDF the browser calibrates (keys.calibrate, as at
`device init`) with its cost per guess, which THREAT_MODEL.md quotes.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import report  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PIN = "246810"

# Runs in both Pythons; prints one JSON line. Seals the envelope vector's payload as a report.
CRYPTO = r"""
import json, os, statistics, time
from core import crypto
from fieldapp import keys
from sync import envelope as env
v = json.load(open(ROOT + '/tests/sync/vectors/envelope_v1.json'))['valid'][0]
author = crypto.Ed25519PrivateKey.generate()
rcpts = [crypto.X25519PrivateKey.generate().public_key() for _ in range(2)]
seal = []
for _ in range(SEALS):
    t = time.perf_counter()
    env.seal(v['payload'], form_id=v['form_id'], form_version=v['form_version'], author_id=v['author_id'],
             device_id=v['device_id'], signing_key=author, recipients=rcpts, attachments={})
    seal.append(time.perf_counter() - t)
params = keys.calibrate()
pepper = os.urandom(32)
wrapped = keys.wrap_key(os.urandom(32), '246810', params, pepper)
guess = []
for i in range(3):
    t = time.perf_counter()
    keys.unwrap_key(wrapped, f'{i:06d}', params, pepper)
    guess.append(time.perf_counter() - t)
print('RESULT', json.dumps({'backend': crypto.BACKEND, 'seal_ms': statistics.median(seal) * 1000,
                            'log2_n': params.log2_n, 'guess_s': statistics.median(guess)}))
"""


def crypto_figures(seals: int) -> tuple[dict, dict]:
    """(CPython+pyca, Pyodide+noble)."""
    from jaga_desa.offline.build import noble_bundle, pyodide_dir
    code = CRYPTO.replace("SEALS", str(seals))
    with tempfile.TemporaryDirectory() as tmp:
        noble = Path(tmp) / "noble.js"
        noble.write_bytes(noble_bundle())
        runs = [[sys.executable, "-c", code.replace("ROOT + ", repr(str(ROOT)) + " + ")],
                [shutil.which("node") or "node", str(ROOT / "jaga_desa/offline/pyodide_run.mjs"),
                 str(pyodide_dir()), str(noble), str(ROOT), code.replace("ROOT + ", "'/src' + ")]]
        results = []
        for argv in runs:
            done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=900)
            if done.returncode != 0:
                raise SystemExit(done.stderr[-3000:])
            results.append(json.loads(done.stdout.split("RESULT ", 1)[1]))
    return results[0], results[1]


def _lock_screen(page, url: str, timeout: float = 240) -> float:
    from tests.e2e.helpers import button, enable_semantics
    t0 = time.monotonic()
    page.goto(url)
    enable_semantics(page, timeout)
    button(page, "Masuk").wait_for(timeout=timeout * 1000)
    return time.monotonic() - t0


def browser_figures(work: Path) -> list[dict]:
    from playwright.sync_api import sync_playwright

    from core.net import free_port
    from jaga_desa.offline.build import build_app
    from jaga_desa.testing.browser import PhoneBrowser
    from jaga_desa.testing.proxy import FaultProxy
    from jaga_desa.testing.servers import JAGA, ServerProcess
    from jaga_desa.testing.tls import TlsOffice, make_cert
    from jaga_desa.testing.waits import wait_until
    from tests.e2e.helpers import button, enable_semantics, fill, first_user, tap

    built = build_app(work / "app")
    cert, key, _ = make_cert(work / "tls", "office")
    office = TlsOffice(work / "office", cert, key, extra_args=["--app-dir", str(built.out)]).start()
    proxy = FaultProxy(office.port)
    url = f"https://127.0.0.1:{proxy.port}/app/"
    rows: list[dict] = []
    try:
        with sync_playwright() as pw:
            phone = PhoneBrowser(pw, work / "profile", cert)
            page = phone.launch()
            page.goto(url)
            enable_semantics(page, 300)
            first_user(page, timeout=300)
            wait_until(lambda: phone.precached(page, built.out), 240, "the precache",
                       pause=lambda s: page.wait_for_timeout(s * 1000))
            first = proxy.down
            proxy.reset()
            _lock_screen(page, url)
            reload_bytes = proxy.down
            phone.close()
            page = phone.launch(offline=True)
            offline_s = _lock_screen(page, url)
            fill(page, "PIN", PIN)
            t0 = time.monotonic()
            tap(button(page, "Masuk"))
            button(page, "Laporan kecurigaan", exact=True).wait_for(timeout=120000)
            unlock_s = time.monotonic() - t0
            phone.close()

            # web mode, same machine, same run: the Python on a local server
            data = work / "web-device"
            env = {**os.environ, "JAGA_SYNC_SECONDS": "0", "JAGA_SECRET_DIR": str(work / "web-secrets")}
            subprocess.run([*JAGA, "device", "--data", str(data), "init"], env=env, check=True, capture_output=True)
            subprocess.run([*JAGA, "device", "--data", str(data), "add-user", "--name", "Siti", "--role",
                            "volunteer"], env={**env, "JAGA_PIN": PIN}, check=True, capture_output=True)
            port = free_port()
            web = ServerProcess([*JAGA, "app", "--data", str(data), "--port", str(port)], port=port, env=env,
                                cwd=ROOT, log=work / "web-app.log").start(timeout=60)
            try:
                cold = PhoneBrowser(pw, work / "web-profile", cert)
                page = cold.launch()
                web_s = _lock_screen(page, f"http://127.0.0.1:{port}/")
                cold.close()
            finally:
                web.stop()
    finally:
        proxy.close()
        office.stop()
    rows += [
        {"metric": "first install, bytes from the office (MB)", "value": round(first / 1e6, 1), "target": "≤ 25",
         "met": first <= 25e6},
        {"metric": "reload, bytes from the office (KB)", "value": round(reload_bytes / 1e3, 1), "target": "0",
         "met": reload_bytes == 0},
        {"metric": "build on disk (MB, files)", "value": f"{built.bytes / 1e6:.1f}, {built.files}"},
        {"metric": "cold launch → lock screen, offline app, offline (s)", "value": round(offline_s, 1),
         "target": "≤ 10", "met": offline_s <= 10},
        {"metric": "cold launch → lock screen, web mode (s) [baseline]", "value": round(web_s, 1)},
        {"metric": "ratio offline app / web mode", "value": f"{offline_s / web_s:.1f}×"},
        {"metric": "unlock, tap → home (s), offline app", "value": round(unlock_s, 2)},
    ]
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seals", type=int, default=20)
    p.add_argument("--skip-browser", action="store_true", help="only the crypto figures (no Chromium)")
    args = p.parse_args(argv)
    os.environ.setdefault("JAGA_OFFICE_KEY", "offline-bench-passphrase")
    cpy, web = crypto_figures(args.seals)
    rows = [
        {"metric": "seal one report, CPython + pyca (ms) [baseline]", "value": round(cpy["seal_ms"], 2)},
        {"metric": "seal one report, Pyodide + noble (ms)", "value": round(web["seal_ms"], 2),
         "target": "≤ 500 (a tap on Kirim feels immediate)", "met": web["seal_ms"] <= 500},
        {"metric": "ratio Pyodide / CPython", "value": f"{web['seal_ms'] / cpy['seal_ms']:.1f}×"},
        {"metric": "PIN KDF calibrated, CPython: Scrypt log2 N", "value": cpy["log2_n"]},
        {"metric": "PIN KDF calibrated, Pyodide: Scrypt log2 N", "value": web["log2_n"]},
        {"metric": "one PIN guess at the browser's N, in Pyodide (s)", "value": round(web["guess_s"], 2)},
        {"metric": "one PIN guess at the browser's N, CPython (s)",
         "value": round(_guess_at(web["log2_n"]), 2)},
    ]
    if not args.skip_browser:
        with tempfile.TemporaryDirectory(prefix="offline-bench-") as tmp:
            rows += browser_figures(Path(tmp))
    report("offline app (Pyodide + service worker) vs web mode", rows)
    return 0


def _guess_at(log2_n: int) -> float:
    """What the same guess costs an attacker's CPython (pyca/OpenSSL) at the browser's N."""
    from fieldapp import keys
    params, pepper = keys.KdfParams(log2_n, peppered=True), os.urandom(32)
    wrapped = keys.wrap_key(os.urandom(32), PIN, params, pepper)
    times = []
    for i in range(3):
        t = time.perf_counter()
        keys.unwrap_key(wrapped, f"{i:06d}", params, pepper)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


if __name__ == "__main__":
    sys.exit(main())
