"""Field app: page load to a usable lock screen in headless Chromium (Debian's chromium).

    python bench/app_bench.py [--loads 5] [--weight]

"Usable" = the lock screen's PIN field is in the accessibility tree, i.e. a person (or a
screen reader) can type the PIN. Baseline in the same run: a one-field Flet app served the
same way (web mode, no_cdn) — the floor the framework itself sets.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import median, report  # noqa: E402
from bench.harness import server  # noqa: E402
from core.net import free_port  # noqa: E402
from jaga_desa.testing.servers import JAGA  # noqa: E402

BASELINE_APP = '''
import sys, flet as ft
def main(page: ft.Page):
    page.add(ft.TextField(label="PIN", password=True))
ft.run(main, view=ft.AppView.WEB_BROWSER, host="127.0.0.1", port=int(sys.argv[1]), no_cdn=True)
'''


def load_time(browser, url: str) -> float:
    ctx = browser.new_context(viewport={"width": 360, "height": 640})
    page = ctx.new_page()
    t = time.perf_counter()
    page.goto(url)
    page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=60000)
    page.evaluate("document.querySelector('flt-semantics-placeholder').click()")
    page.get_by_role("textbox", name="PIN").wait_for(timeout=60000)
    elapsed = time.perf_counter() - t
    ctx.close()
    return elapsed


# Chrome DevTools' "Regular 3G" profile (the figure the issue measured 75 s on).
THREE_G = {"offline": False, "latency": 300, "downloadThroughput": 750 * 1024 / 8,
           "uploadThroughput": 250 * 1024 / 8}


def transfer(browser, url: str, throttle: dict | None = None) -> dict:
    """Bytes over the wire (after compression) and requests for a first visit and for a
    reload in the same browser profile, plus seconds to a usable lock screen on the first
    visit (under `throttle` when given). Counted from the DevTools protocol's
    Network.loadingFinished.encodedDataLength, i.e. what actually crossed the network."""
    ctx = browser.new_context(viewport={"width": 360, "height": 640})
    page = ctx.new_page()
    cdp = ctx.new_cdp_session(page)
    cdp.send("Network.enable")
    if throttle:
        cdp.send("Network.emulateNetworkConditions", throttle)
    seen = {"bytes": 0, "requests": 0}
    cdp.on("Network.loadingFinished", lambda e: seen.update(bytes=seen["bytes"] + int(e.get("encodedDataLength", 0))))
    cdp.on("Network.requestWillBeSent", lambda e: seen.update(requests=seen["requests"] + 1))

    def usable() -> float:
        t = time.perf_counter()
        page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=300000)
        page.evaluate("document.querySelector('flt-semantics-placeholder').click()")
        page.get_by_role("textbox", name="PIN").wait_for(timeout=300000)
        return time.perf_counter() - t

    t0 = time.perf_counter()
    page.goto(url, timeout=300000)
    usable()
    first_s = time.perf_counter() - t0              # navigation start → PIN field usable
    first = dict(seen)
    seen.update(bytes=0, requests=0)
    page.reload(timeout=300000)
    usable()
    again = dict(seen)
    ctx.close()
    return {"first_bytes": first["bytes"], "first_requests": first["requests"],
            "reload_bytes": again["bytes"], "reload_requests": again["requests"], "first_s": first_s}


def weight_rows(browser, app_url: str, base_url: str) -> list[dict]:
    """First-load and reload bytes of the field app against the one-field Flet app served by
    Flet's own server (uncompressed, no cache headers), and time to usable on 3G for both."""
    ours, floor = transfer(browser, app_url), transfer(browser, base_url)
    ours3g, floor3g = transfer(browser, app_url, THREE_G), transfer(browser, base_url, THREE_G)
    mb = lambda n: round(n / 1e6, 2)  # noqa: E731
    return [
        {"metric": "first load over the wire (MB)", "value": mb(ours["first_bytes"])},
        {"metric": "first load requests", "value": ours["first_requests"]},
        {"metric": "reload over the wire (MB)", "value": mb(ours["reload_bytes"])},
        {"metric": "baseline (Flet's server) first load (MB)", "value": mb(floor["first_bytes"])},
        {"metric": "baseline reload (MB)", "value": mb(floor["reload_bytes"])},
        {"metric": "ratio first load ours / baseline", "value": round(ours["first_bytes"] / floor["first_bytes"], 2)},
        {"metric": "3G: first visit → usable lock screen (s)", "value": round(ours3g["first_s"], 1)},
        {"metric": "3G baseline: one-field app on Flet's server (s)", "value": round(floor3g["first_s"], 1)},
    ]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--loads", type=int, default=5)
    ap.add_argument("--weight", action="store_true", help="also bytes on first load / reload and 3G time")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    from fieldapp.device import Device
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["JAGA_KDF_SECONDS"] = "0.05"
        dev = Device.init(Path(tmp) / "dev")
        dev.add_user("Siti", "volunteer", "123456")
        dev.close()
        port = free_port()
        app = server([*JAGA, "app", "--data", str(Path(tmp) / "dev"), "--port", str(port)], "/", port)
        script = Path(tmp) / "baseline_app.py"
        script.write_text(BASELINE_APP)
        bport = free_port()
        base = server([sys.executable, str(script), str(bport)], "/", bport)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=[
                    "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
                load_time(browser, app.url)            # warm the server's file cache once
                ours = [load_time(browser, app.url) for _ in range(args.loads)]
                load_time(browser, base.url)
                floor = [load_time(browser, base.url) for _ in range(args.loads)]
                weight = weight_rows(browser, app.url, base.url) if args.weight else []
                browser.close()
        finally:
            app.stop()
            base.stop()
    m, b = median(ours), median(floor)
    report("app", [
        {"metric": f"page load → usable lock screen, median of {args.loads} (s)", "value": round(m, 2),
         "target": "<= 3", "met": m <= 3},
        {"metric": "baseline: one-field Flet app (s)", "value": round(b, 2)},
        {"metric": "ratio ours / baseline", "value": round(m / b, 2)},
    ] + weight)


if __name__ == "__main__":
    main()
