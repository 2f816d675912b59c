"""The signals page with 1,000 signals in real Chromium at 1440 and 360 px (screenshots in
artifacts/signals-*.png, looked at): ranked, paged, nothing wider than the screen, the menu's
count readable, the page's own controls labelled."""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from jaga_desa.testing import signals as seeded
from jaga_desa.testing.dashboard import sign_in
from jaga_desa.testing.servers import OfficeServer
from office import keys as office_keys

ART = Path(__file__).resolve().parents[2] / "artifacts"
PASSWORD = "kata-sandi-uji-1"


@pytest.fixture(scope="module")
def busy_office(tmp_path_factory):
    folder = tmp_path_factory.mktemp("signals") / "office"
    seeded.seed(folder, os.environ.setdefault(office_keys.ENV, "kunci-kantor-uji"), 5000, 1000)
    os.environ["JAGA_PASSWORD"] = PASSWORD
    server = OfficeServer(folder).start()
    try:
        server.admin(["add-staff", "--username", "admin", "--role", "admin"])
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("width", [1440, 360])
def test_signals_page_with_1000_signals(busy_office, browser, width):
    session = sign_in(busy_office.url, "admin", PASSWORD)
    ctx = browser.new_context(viewport={"width": width, "height": 900})
    host = urlparse(busy_office.url).hostname
    ctx.add_cookies([{"name": c.name, "value": c.value, "domain": host, "path": "/"} for c in session.cookies])
    page = ctx.new_page()
    page.goto(busy_office.url + "/dashboard/signals")
    expect(page.get_by_text("1000 sinyal, yang terkuat dan terbaru di atas.")).to_be_visible()
    assert page.locator("section.signal").count() == 20
    expect(page.get_by_text("Halaman 1 / 50")).to_be_visible()
    scores = page.locator("section.signal h2").all_inner_texts()
    assert scores and len(scores) == 20
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1      # nothing off-screen
    badge = page.locator("header.top nav .badge").first
    colours = badge.evaluate("b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]")
    assert colours == ["rgb(11, 42, 74)", "rgb(255, 255, 255)"]                      # dark on white in the dark menu
    ART.mkdir(exist_ok=True)
    page.screenshot(path=str(ART / f"signals-{width}.png"), full_page=False)
    page.get_by_role("link", name="Berikutnya").click()
    expect(page.get_by_text("Halaman 2 / 50")).to_be_visible()
    ctx.close()
