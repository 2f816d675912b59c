"""Real Chromium (Debian's) through Playwright: login -> list -> detail -> triage, and a
screenshot of every dashboard page in artifacts/dashboard-*.png."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.dashboard.conftest import PASSWORD

ART = Path(__file__).resolve().parents[2] / "artifacts"
pytestmark = pytest.mark.e2e


def shot(page, name: str) -> None:
    ART.mkdir(exist_ok=True)
    page.screenshot(path=str(ART / f"dashboard-{name}.png"), full_page=True)


def loaded_width(img) -> int:
    """The image's natural width once it has loaded. A click's navigation returns before
    the page's images arrive, so reading naturalWidth straight away races the photo's own
    request; decode() waits for it and rejects if the image cannot load."""
    return img.evaluate("img => img.decode().then(() => img.naturalWidth)")


def login(page, url: str, username: str) -> None:
    page.goto(url + "/dashboard/")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(url + "/dashboard/")


def test_login_list_detail_triage_in_chromium(dash, browser):
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    page = ctx.new_page()
    page.goto(dash.url + "/dashboard/login")
    shot(page, "login")
    page.get_by_label("Nama pengguna").fill("intel_sgu")
    page.get_by_label("Kata sandi").fill("salah")
    page.get_by_role("button", name="Masuk").click()
    assert page.get_by_role("alert").inner_text().startswith("Nama pengguna atau kata sandi salah")
    shot(page, "login-error")
    login(page, dash.url, "intel_sgu")
    expect(page.get_by_role("heading", name="Kotak masuk laporan")).to_be_visible()
    shot(page, "inbox")
    page.get_by_label("Urgensi").select_option("mendesak")
    page.get_by_role("button", name="Terapkan").click()
    rows = page.locator("table.reports tbody tr")
    expect(rows).to_have_count(2)
    shot(page, "inbox-filtered")
    page.get_by_role("link", name=f"Buka {dash.reports['urgent'][:8]}").click()
    expect(page.get_by_role("heading", name="Jawaban")).to_be_visible()
    expect(page.get_by_text("Dibenarkan kepala desa").first).to_be_visible()
    assert loaded_width(page.locator("img.photo")) == 40   # decrypted photo loads
    shot(page, "detail")
    page.get_by_label("Status", exact=True).select_option("forwarded")
    page.get_by_label("Catatan").fill("Diteruskan ke BP3MI Kalbar")
    page.get_by_role("button", name="Simpan status").click()
    assert page.get_by_role("status").inner_text() == "Status disimpan"
    expect(page.get_by_text("Diteruskan ke BP3MI Kalbar")).to_be_visible()
    shot(page, "detail-triaged")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_text("What kind of case")).to_be_visible()
    shot(page, "detail-en")
    page.get_by_role("link", name="Bahasa Indonesia").click()
    page.goto(dash.url + "/dashboard/overview")
    shot(page, "overview")
    page.goto(dash.url + "/dashboard/?urgency=zzz")
    shot(page, "bad-filter")
    page.goto(dash.url + f"/dashboard/reports/{dash.reports['broken']}")
    expect(page.get_by_role("alert")).to_be_visible()
    shot(page, "undecryptable")
    ctx.close()


def test_admin_pages_in_chromium(dash, browser):
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    page = ctx.new_page()
    login(page, dash.url, "admin")
    page.goto(dash.url + "/dashboard/admin/enroll")
    page.get_by_label("Nama orang").fill("Relawan Layar")
    page.get_by_role("button", name="Buat kode").click()
    assert loaded_width(page.locator("img.qr")) > 100
    shot(page, "admin-enroll")
    for name in ("villages", "devices", "staff", "audit"):
        page.goto(dash.url + f"/dashboard/admin/{name}")
        shot(page, f"admin-{name}")
    other = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    login(other, dash.url, "intel_kh")
    other.goto(dash.url + f"/dashboard/reports/{dash.reports['urgent']}")
    assert other.get_by_role("alert").inner_text() == "Anda tidak berhak membuka halaman ini."
    shot(other, "forbidden")
    other.context.close()
    ctx.close()


@pytest.mark.parametrize("width,height", [(1440, 900), (360, 640)])
def test_a_search_on_the_overview_and_the_urgency_inbox_in_chromium(dash, browser, width, height):
    """Two words typed into the filters, as staff do: the overview counts and maps only the
    reports holding both (in the region's staff member's view), and the urgency-sorted inbox
    lists them most urgent first — through the report list's own search (queries.conditions).
    "dermaga desa" is in the urgent report and the calm one, not in the PMI report."""
    ctx = browser.new_context(viewport={"width": width, "height": height})
    page = ctx.new_page()
    login(page, dash.url, "intel_sgu")
    page.get_by_label("Cari kata dalam jawaban").fill("dermaga desa")
    page.get_by_label("Urutkan").select_option("urgency")
    page.get_by_role("button", name="Terapkan").click()
    rows = page.locator("table.reports tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).get_by_role("link", name=f"Buka {dash.reports['urgent'][:8]}")).to_be_visible()
    expect(rows.nth(1).get_by_role("link", name=f"Buka {dash.reports['calm'][:8]}")).to_be_visible()
    shot(page, f"inbox-search-urgency-{width}")
    page.goto(dash.url + "/dashboard/overview?q=dermaga+desa")
    village = page.get_by_role("table", name="Laporan per desa")
    expect(village.get_by_role("rowheader")).to_have_count(1)
    expect(village.get_by_role("rowheader")).to_contain_text("Entikong")
    expect(village.locator("td.num")).to_have_text(["2"])
    expect(page.get_by_role("heading", name="Peta titik laporan (1)")).to_be_visible()   # the calm one has no GPS
    shot(page, f"overview-search-{width}")
    ctx.close()
