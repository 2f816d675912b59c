"""`jaga-desa rollup dashboard` over real uvicorn on the real region (and national) cluster:
login is a PostgreSQL login in jaga_viewer; the page shows counts and cross-office signals."""
from __future__ import annotations

import re

import psycopg
import pytest
import requests
from sqlalchemy import create_engine, text

from core.net import free_port
from jaga_desa.testing.servers import JAGA, ServerProcess
from office.rollup import links
from office.rollup.volunteer import report_naming

from .conftest import wait_for
from .test_links import LEVEL_KEY, pseudonym, signal_for
from .test_spikes import SPIKE, arrived, file_weeks, spike_weeks_ago, week_ago

ANALYST, PASSWORD = "analis_kaltara", "sandi-analis-uji-7"


@pytest.fixture(scope="module")
def page(chain, tmp_path_factory):
    with psycopg.connect(host="127.0.0.1", port=chain.region.port, dbname="region", user="jaga",
                         autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {ANALYST} LOGIN PASSWORD '{PASSWORD}' IN ROLE jaga_viewer")
        conn.execute("CREATE ROLE bukan_pembaca LOGIN PASSWORD 'sandi-lain-uji'")
    port = free_port()
    server = ServerProcess([*JAGA, "rollup", "dashboard", "--db", f"postgresql+psycopg://127.0.0.1:{chain.region.port}/region",
                            "--port", str(port), "--zone", "WITA"], port=port, health="/healthz",
                           log=tmp_path_factory.mktemp("dash") / "dashboard.log").start()
    try:
        yield server
    finally:
        server.stop()


def login(url: str, user: str, password: str, lang: str = "id") -> tuple[requests.Session, requests.Response]:
    s = requests.Session()
    form = s.get(f"{url}/?lang={lang}", timeout=10)
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    return s, s.post(f"{url}/masuk?lang={lang}", data={"user": user, "password": password, "csrf": csrf}, timeout=10)


def test_the_page_shows_counts_and_the_cross_office_signal(chain, page):
    nnk, etk = chain.offices["NNK"], chain.offices["ETK"]
    a = nnk.file(report_naming("0852 4711 0001", boat="SB Harapan Baru"))
    b = etk.file(report_naming("0852-4711-0001", boat="speedboat harapan baru"))
    wait_for(lambda: signal_for(chain, "+6285247110001"), "the signal at the region")
    anon = requests.get(page.url + "/", timeout=10)
    assert 'for="user"' in anon.text and 'for="password"' in anon.text
    assert "Sinyal lintas kantor" not in anon.text                    # nothing before login
    s, resp = login(page.url, ANALYST, PASSWORD)
    assert resp.status_code == 200 and "Sinyal lintas kantor" in resp.text
    html = resp.text
    key = links.link_key(LEVEL_KEY, "phone", "+6285247110001")
    row = re.search(rf"<tr><td><code>phone:{key[:12]}</code>.*?</tr>", html, re.S).group(0)
    assert "nomor telepon" in row and "ETK, NNK" in row
    assert pseudonym(a) in row and pseudonym(b) in row and "61.03.09" in row and "65.03.01" in row
    boat = links.link_key(LEVEL_KEY, "boat", "harapan baru")
    assert f"boat:{boat[:12]}" in html and "nama kapal" in html
    assert "WITA" in html and 'for="days"' in html                    # local time with zone; labelled control
    with create_engine(chain.region.url("region")).connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM public.share_reports")).scalar()
    counts = [int(n) for n in re.findall(r'<td class="n">(\d+)</td>', html)]
    assert counts and sum(counts) <= total and max(counts) >= 2       # weekly cells, aggregate first
    for secret in ("+6285247110001", "0852-4711", "0852 4711", "harapan", "Harapan", a, b):
        assert secret not in html                                       # never a value, never an envelope id
    en = s.get(page.url + "/?lang=en", timeout=10).text
    assert "Cross-office signals" in en and "phone number" in en and 'lang="en"' in en


def test_the_page_shows_the_weekly_spike_in_its_own_section(chain, page):
    file_weeks(chain.offices["NNK"], "Lonjak Halaman", "65.03.95", SPIKE)
    arrived(chain, "NNK", "65.03.95", SPIKE)
    s, resp = login(page.url, ANALYST, PASSWORD)
    html = resp.text
    section = re.search(r'<section aria-labelledby="h-spike">.*?</section>', html, re.S).group(0)
    assert "Lonjakan laporan mingguan (EARS C2)" in section and "Rata-rata dasar" in section
    row = re.search(r"<tr><td>[^<]*</td><td>NNK</td><td>65\.03\.95</td>.*?</tr>", section, re.S).group(0)
    assert '<td class="spike">6</td>' in row and "<td>1.0</td>" in row and "5.0 (&gt; 3.0)" in row
    assert html.index("h-sig") < html.index("h-spike")              # after the cross-office table
    en = s.get(page.url + "/?lang=en", timeout=10).text
    assert "Weekly rise in reports (EARS C2)" in en and "Baseline mean" in en


def test_last_weeks_spike_is_on_the_page_with_its_week_after_this_weeks(chain, page):
    """The Monday-morning analyst: last week's spike is listed, naming its week, below this week's."""
    nnk = chain.offices["NNK"]
    file_weeks(nnk, "Lonjak Minggu Lalu", "65.03.84", spike_weeks_ago(1))
    file_weeks(nnk, "Lonjak Minggu Ini", "65.03.85", SPIKE)
    arrived(chain, "NNK", "65.03.84", spike_weeks_ago(1))
    arrived(chain, "NNK", "65.03.85", SPIKE)
    s, resp = login(page.url, ANALYST, PASSWORD)
    section = re.search(r'<section aria-labelledby="h-spike">.*?</section>', resp.text, re.S).group(0)
    last = re.search(r"<tr><td>([^<]*)</td><td>NNK</td><td>65\.03\.84</td>.*?</tr>", section, re.S)
    this = re.search(r"<tr><td>([^<]*)</td><td>NNK</td><td>65\.03\.85</td>.*?</tr>", section, re.S)
    assert last.group(1) == week_ago(1) and this.group(1) == week_ago(0)
    assert '<td class="spike">6</td>' in last.group(0) and this.start() < last.start()     # newest first
    assert "4 minggu penuh sebelumnya" in section
    en = s.get(page.url + "/?lang=en", timeout=10).text
    assert "the 4 complete weeks before it, newest first" in en and week_ago(1) in en


def test_only_viewer_logins_get_in_and_they_read_only_the_views(chain, page):
    s, resp = login(page.url, ANALYST, "salah")
    assert resp.status_code == 403 and "Login ditolak" in resp.text
    s, resp = login(page.url, "bukan_pembaca", "sandi-lain-uji")     # a real login, not in jaga_viewer
    assert resp.status_code == 403 and "Sinyal lintas kantor" not in resp.text
    with psycopg.connect(host="127.0.0.1", port=chain.region.port, dbname="region", user=ANALYST,
                         password=PASSWORD) as conn:
        assert conn.execute("SELECT count(*) FROM public.share_weekly").fetchone()[0] >= 1
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM kanim_nnk.share_links")
    with psycopg.connect(host="127.0.0.1", port=chain.region.port, dbname="region", user=ANALYST,
                         password=PASSWORD) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE public.catatan (a int)")
    s, resp = login(page.url, ANALYST, PASSWORD)
    csrf = re.search(r'name="csrf" value="([^"]+)"', resp.text).group(1)
    out = s.post(page.url + "/keluar", data={"csrf": csrf}, timeout=10)
    assert out.status_code == 200 and 'for="password"' in out.text          # back at the login form
    assert "Sinyal lintas kantor" not in s.get(page.url + "/", timeout=10).text


def test_the_page_without_a_login_form_token_is_refused(page):
    resp = requests.post(page.url + "/masuk", data={"user": ANALYST, "password": PASSWORD, "csrf": "x"}, timeout=10)
    assert resp.status_code == 403 and "Sinyal lintas kantor" not in resp.text


@pytest.mark.e2e
def test_the_regional_page_in_chromium_at_1440_and_360(chain, page, browser):
    """What an analyst at the Kanwil sees: log in by the labelled fields, the signal table
    and the weekly counts fit the screen (no sideways scroll); screenshots for a person to look at."""
    from pathlib import Path
    art = Path(__file__).resolve().parents[2] / "artifacts"
    art.mkdir(exist_ok=True)
    nnk, etk = chain.offices["NNK"], chain.offices["ETK"]
    nnk.file(report_naming("0813 5500 7788"))
    etk.file(report_naming("+62 813-5500-7788"))
    wait_for(lambda: signal_for(chain, "+6281355007788"), "the signal at the region")
    file_weeks(nnk, "Lonjak Layar", "65.03.96", SPIKE)
    arrived(chain, "NNK", "65.03.96", SPIKE)
    for w, h in ((1440, 900), (360, 640)):
        ctx = browser.new_context(viewport={"width": w, "height": h})
        tab = ctx.new_page()
        tab.goto(page.url + "/")
        tab.get_by_label(re.compile("Nama pengguna|Login|Pengguna", re.I)).fill(ANALYST)
        tab.get_by_label(re.compile("Kata sandi|Sandi", re.I)).fill(PASSWORD)
        tab.get_by_role("button", name=re.compile("Masuk")).click()
        tab.get_by_role("heading", name=re.compile("Sinyal lintas kantor")).wait_for()
        tab.get_by_role("heading", name=re.compile("Lonjakan laporan mingguan")).wait_for()
        assert tab.locator("#spikes td", has_text="65.03.96").count() == 1
        assert tab.evaluate("document.documentElement.scrollWidth") <= w      # nothing off to the side
        tab.screenshot(path=str(art / f"rollup-dashboard-{w}.png"), full_page=True)
        ctx.close()
