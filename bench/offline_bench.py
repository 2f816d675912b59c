"""The installable offline app, measured against web mode in the same run.

    python bench/offline_bench.py [--seals 20] [--launches 3] [--skip-browser]

Browser part (real Chromium, real office over HTTPS with a self-signed certificate
Chromium trusts by its key, the bytes counted by the loopback proxy in front of it):
- bytes of the first install (open /app/, create the user, until the service worker holds
  the whole build) and of a reload and of a browser restart online (goal: 0 — everything
  from the service worker's cache), with the HTTP requests Chromium sent the office then
  (from its net log: a TLS handshake Chromium opens on speculation carries no request — it
  is the browser's "Preload pages" setting, not the app), and the navigation requests it
  began past the service worker, sent or not (ServiceWorkerAutoPreload, which sw.js opts
  out of: whether such a request reaches the office is a race with the worker's start);
- launch to a usable lock screen (median of --launches): the offline app from a cold
  browser start with the network off, against web mode (`jaga-desa app`, the Python on a
  local server) from a cold browser start — the baseline, in the same run; and where the
  offline launch goes, from the worker's "jaga-boot" marks (jaga_desa/offline/worker.js);
- unlock: tap "Masuk" to the home screen, in the offline app;
- in that browser, offline: sealing a report in the app's Pyodide (seal per report against
  CPython's, the ratio), and each primitive of the seal through the app's noble bundle
  against WebCrypto (bench/offline_crypto.js) — the reason the seam stays on noble.

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

from bench.common import median, report  # noqa: E402

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
out = {'backend': crypto.BACKEND, 'seal_ms': statistics.median(seal) * 1000}
if WITH_KDF:
    params = keys.calibrate()
    pepper = os.urandom(32)
    wrapped = keys.wrap_key(os.urandom(32), '246810', params, pepper)
    guess = []
    for i in range(3):
        t = time.perf_counter()
        keys.unwrap_key(wrapped, f'{i:06d}', params, pepper)
        guess.append(time.perf_counter() - t)
    out.update(log2_n=params.log2_n, guess_s=statistics.median(guess))
print('RESULT', json.dumps(out))
"""


def _crypto_code(seals: int, *, kdf: bool) -> str:
    return CRYPTO.replace("SEALS", str(seals)).replace("WITH_KDF", str(kdf))


def _result(stdout: str) -> dict:
    return json.loads(stdout.split("RESULT ", 1)[1].splitlines()[0])


def crypto_figures(seals: int) -> tuple[dict, dict]:
    """(CPython+pyca, Pyodide+noble)."""
    from jaga_desa.offline.build import noble_bundle, pyodide_dir
    code = _crypto_code(seals, kdf=True)
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
            results.append(_result(done.stdout))
    return results[0], results[1]


PHASES = (("flutter", "Flutter loaded (page)"), ("worker", "Python worker started"), ("pyodide", "Pyodide booted"),
          ("unpacked", "app archive unpacked"), ("imported", "lock-screen modules imported"),
          ("connected", "Flet session up"), ("storage", "IndexedDB loaded"), ("device", "device store opened"),
          ("screen", "lock screen built (Python)"))


def _lock_screen(page, url: str, timeout: float = 240) -> tuple[float, dict]:
    """Seconds from navigation to a usable lock screen, and when each boot phase ended."""
    from tests.e2e.helpers import button, enable_semantics
    marks: dict[str, float] = {}

    def on_console(msg) -> None:
        parts = msg.text.split()
        if len(parts) == 3 and parts[0] == "jaga-boot":
            marks[parts[1]] = int(parts[2]) / 1000
        elif msg.text == "Flutter app loaded":      # flet-web's page says so
            marks["flutter"] = time.time()
    page.on("console", on_console)
    t0, wall = time.monotonic(), time.time()
    page.goto(url)
    enable_semantics(page, timeout)
    button(page, "Masuk").wait_for(timeout=timeout * 1000)
    page.remove_listener("console", on_console)
    return time.monotonic() - t0, {k: v - wall for k, v in marks.items()}


def _in_browser_crypto(page, base: str, seals: int) -> tuple[dict, dict]:
    """(seal in the app's Pyodide, noble vs WebCrypto per primitive), on an app page."""
    vector = (ROOT / "tests/sync/vectors/envelope_v1.json").read_text()
    code = _crypto_code(seals, kdf=False).replace("ROOT + ", "'/bench' + ")
    out = page.evaluate((ROOT / "bench/offline_pyodide.js").read_text(), {"base": base, "vector": vector, "code": code})
    size = len(json.dumps(json.loads(vector)["valid"][0]["payload"]).encode())
    prims = page.evaluate((ROOT / "bench/offline_crypto.js").read_text(), {"base": base, "size": size, "runs": 50})
    return _result(out), prims


def browser_figures(work: Path, launches: int, seals: int) -> list[dict]:
    from playwright.sync_api import sync_playwright

    from core.net import free_port
    from jaga_desa.offline.build import build_app
    from jaga_desa.testing.browser import PhoneBrowser, http_requests, started_requests
    from jaga_desa.testing.proxy import FaultProxy
    from jaga_desa.testing.servers import JAGA, ServerProcess
    from jaga_desa.testing.tls import TlsOffice, make_cert
    from jaga_desa.testing.waits import wait_until
    from tests.e2e.helpers import button, enable_semantics, fill, first_user, tap

    built = build_app(work / "app")
    cert, key, _ = make_cert(work / "tls", "office")
    office = TlsOffice(work / "office", cert, key, extra_args=["--app-dir", str(built.out)]).start()
    proxy = FaultProxy(office.port)
    host = f"127.0.0.1:{proxy.port}"
    url = f"https://{host}/app/"
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
            phone.close()
            # installed; the browser restarted online, then the page reloaded: Chromium's net log
            # says which HTTP requests reached the office (bytes alone count TLS handshakes too)
            page = phone.launch(netlog=work / "online.netlog.json")
            proxy.reset()
            _lock_screen(page, url)
            restart_bytes = proxy.down
            proxy.reset()
            _lock_screen(page, url)
            reload_bytes = proxy.down
            phone.close()
            online_requests = http_requests(work / "online.netlog.json", host)
            navigations = [u for kind, u in started_requests(work / "online.netlog.json", host) if kind == "main frame"]

            offline, phases = [], []
            for _ in range(launches):
                page = phone.launch(offline=True)
                took, marks = _lock_screen(page, url)
                offline.append(took)
                phases.append(marks)
                phone.close()
            page = phone.launch(offline=True)
            _lock_screen(page, url)
            fill(page, "PIN", PIN)
            t0 = time.monotonic()
            tap(button(page, "Masuk"))
            button(page, "Laporan kecurigaan", exact=True).wait_for(timeout=120000)
            unlock_s = time.monotonic() - t0
            bench_page = phone.ctx.new_page()          # same browser, still offline
            bench_page.goto(url + "manifest.json")
            seal, prims = _in_browser_crypto(bench_page, url, seals)
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
            web_runs = []
            try:
                for i in range(launches):
                    cold = PhoneBrowser(pw, work / f"web-profile-{i}", cert)
                    page = cold.launch()
                    web_runs.append(_lock_screen(page, f"http://127.0.0.1:{port}/")[0])
                    cold.close()
            finally:
                web.stop()
    finally:
        proxy.close()
        office.stop()
    offline_s, web_s = median(offline), median(web_runs)
    spread = lambda xs: f"{min(xs):.1f}–{max(xs):.1f}"  # noqa: E731
    rows = [
        {"metric": "first install, bytes from the office (MB)", "value": round(first / 1e6, 1), "target": "≤ 25",
         "met": first <= 25e6},
        {"metric": "restart + reload online, HTTP requests to the office", "value": len(online_requests),
         "target": "0", "met": not online_requests, "spread": "; ".join(online_requests)},
        {"metric": "  navigation requests begun past the service worker (sent or not)", "value": len(navigations),
         "target": "0", "met": not navigations},
        {"metric": "  restart online, bytes (KB; TLS handshake, no request)", "value": round(restart_bytes / 1e3, 1)},
        {"metric": "  reload online, bytes (KB; TLS handshake, no request)", "value": round(reload_bytes / 1e3, 1)},
        {"metric": "build on disk (MB, files)", "value": f"{built.bytes / 1e6:.1f}, {built.files}"},
        {"metric": "cold launch → lock screen, web mode (s) [baseline]", "value": round(web_s, 1),
         "spread": spread(web_runs)},
        {"metric": "cold launch → lock screen, offline app, offline (s)", "value": round(offline_s, 1),
         "target": "≤ 10", "met": offline_s <= 10, "spread": spread(offline)},
        {"metric": "ratio offline app / web mode", "value": f"{offline_s / web_s:.2f}×"},
    ]
    for key_, label in PHASES:
        at = [m[key_] for m in phases if key_ in m]
        if at:
            rows.append({"metric": f"  offline launch: {label} at (s)", "value": round(median(at), 2)})
    rows += [
        {"metric": "unlock, tap → home (s), offline app", "value": round(unlock_s, 2)},
        {"metric": "seal one report in Chromium, app's Pyodide + noble (ms)", "value": round(seal["seal_ms"], 2),
         "target": "≤ 500", "met": seal["seal_ms"] <= 500},
        {"metric": "Ed25519 signature: noble = WebCrypto, byte for byte", "value": str(prims["same"])},
    ]
    for name, (nob, wc) in prims["rows"].items():
        rows.append({"metric": f"  {name}: noble / WebCrypto in Chromium (ms)", "value": f"{nob:.3f} / {wc:.3f}"})
    return rows, seal


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seals", type=int, default=20)
    p.add_argument("--launches", type=int, default=3, help="cold launches timed per mode (median)")
    p.add_argument("--skip-browser", action="store_true", help="only the crypto figures (no Chromium)")
    args = p.parse_args(argv)
    os.environ.setdefault("JAGA_OFFICE_KEY", "offline-bench-passphrase")
    cpy, web = crypto_figures(args.seals)
    rows = [
        {"metric": "seal one report, CPython + pyca (ms) [baseline]", "value": round(cpy["seal_ms"], 2)},
        {"metric": "seal one report, Pyodide (Node) + noble (ms)", "value": round(web["seal_ms"], 2),
         "target": "≤ 500 (a tap on Kirim feels immediate)", "met": web["seal_ms"] <= 500},
        {"metric": "ratio Pyodide (Node) / CPython", "value": f"{web['seal_ms'] / cpy['seal_ms']:.1f}×"},
        {"metric": "PIN KDF calibrated, CPython: Scrypt log2 N", "value": cpy["log2_n"]},
        {"metric": "PIN KDF calibrated, Pyodide: Scrypt log2 N", "value": web["log2_n"]},
        {"metric": "one PIN guess at the browser's N, in Pyodide (s)", "value": round(web["guess_s"], 2)},
        {"metric": "one PIN guess at the browser's N, CPython (s)",
         "value": round(_guess_at(web["log2_n"]), 2)},
    ]
    if not args.skip_browser:
        with tempfile.TemporaryDirectory(prefix="offline-bench-") as tmp:
            more, seal = browser_figures(Path(tmp), args.launches, args.seals)
        rows += more
        rows.append({"metric": "ratio Chromium (Pyodide) / CPython, seal", "value": f"{seal['seal_ms'] / cpy['seal_ms']:.1f}×"})
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
