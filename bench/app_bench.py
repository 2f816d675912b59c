"""Field app: page load to a usable lock screen in headless Chromium (Debian's chromium).

    python bench/app_bench.py [--loads 5]

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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--loads", type=int, default=5)
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
    ])


if __name__ == "__main__":
    main()
