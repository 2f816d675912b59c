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
    row = re.search(rf"<tr><td[^>]*><code>phone:{key[:12]}</code>.*?</tr>", html, re.S).group(0)
    assert "nomor telepon" in row and "ETK · Kabupaten Sanggau, NNK · Kabupaten Nunukan" in row   # labels
    assert pseudonym(a) in row and pseudonym(b) in row and "61.03.09" in row and "65.03.01" in row
    boat = links.link_key(LEVEL_KEY, "boat", "harapan baru")
    assert f"boat:{boat[:12]}" in html and "nama kapal" in html
    assert "WITA" in html and 'for="days"' in html                    # local time with zone; labelled control
    with create_engine(chain.region.url("region")).connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM public.share_reports")).scalar()
    weekly = re.search(r'<section aria-labelledby="h-weekly">.*?</section>', html, re.S).group(0)
    counts = [int(n) for n in re.findall(r'<td class="n"[^>]*>(\d+)</td>', weekly)]
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
    row = re.search(r"<tr><td[^>]*>[^<]*</td><td[^>]*>NNK · Kabupaten Nunukan</td><td[^>]*>65\.03\.95</td>.*?</tr>",
                    section, re.S).group(0)
    assert '<td class="spike" data-label="Laporan">6</td>' in row and '<td data-label="Rata-rata dasar">1.0</td>' in row
    assert "5.0 (&gt; 3.0)" in row
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
    last = re.search(r"<tr><td[^>]*>([^<]*)</td><td[^>]*>NNK[^<]*</td><td[^>]*>65\.03\.84</td>.*?</tr>", section, re.S)
    this = re.search(r"<tr><td[^>]*>([^<]*)</td><td[^>]*>NNK[^<]*</td><td[^>]*>65\.03\.85</td>.*?</tr>", section, re.S)
    assert last.group(1) == week_ago(1) and this.group(1) == week_ago(0)
    assert '<td class="spike" data-label="Laporan">6</td>' in last.group(0) and this.start() < last.start()
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


def test_forms_categories_and_offices_have_labels_in_both_languages(chain, page):
    wait_for(lambda: chain.region_rows("office_code = 'ETK' AND form_id = 'laporan_kecurigaan'"), "ETK reports")
    s, resp = login(page.url, ANALYST, PASSWORD)
    cat = re.search(r'<section aria-labelledby="h-cat">.*?</section>', resp.text, re.S).group(0)
    assert "Laporan Kecurigaan (TPPO/TPPM)" in cat and "Ajakan kerja mencurigakan" in cat
    assert "NNK · Kabupaten Nunukan" in cat and "ETK · Kabupaten Sanggau" in cat
    assert ">laporan_kecurigaan<" not in cat and ">rekrutmen<" not in cat          # no raw codes
    en = re.search(r'<section aria-labelledby="h-cat">.*?</section>', s.get(page.url + "/?lang=en", timeout=10).text,
                   re.S).group(0)
    assert "Suspicion report (trafficking / smuggling)" in en and "Suspicious recruitment" in en


def _subscription(chain, sql: str) -> None:
    with create_engine(chain.region.url("region"), isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(sql))


def test_each_offices_freshness_is_shown_and_a_stopped_office_is_called_out(chain, page):
    s, resp = login(page.url, ANALYST, PASSWORD)
    fresh = re.search(r'<table id="freshness">.*?</table>', resp.text, re.S).group(0)
    assert fresh.count('<span class="ok">berjalan</span>') == 2 and 'id="stale"' not in resp.text
    assert re.search(r"NNK · Kabupaten Nunukan</td>.*?WITA</time> \(\d+ menit lalu\)", fresh, re.S)
    _subscription(chain, "ALTER SUBSCRIPTION jaga_region_nnk DISABLE")      # NNK's stream stops
    try:
        html = s.get(page.url + "/", timeout=10).text
        row = re.search(r"<tr><td[^>]*>NNK · Kabupaten Nunukan</td>.*?</tr>", html, re.S).group(0)
        assert "BERHENTI" in row
        alert = re.search(r'<p class="alert" role="alert" id="stale">(.*?)</p>', html, re.S).group(1)
        assert alert.startswith("Angka NNK · Kabupaten Nunukan mungkin tertinggal") and "ETK" not in alert
        assert "STOPPED" in s.get(page.url + "/?lang=en", timeout=10).text
    finally:
        _subscription(chain, "ALTER SUBSCRIPTION jaga_region_nnk ENABLE")
    wait_for(lambda: 'id="stale"' not in s.get(page.url + "/", timeout=10).text, "NNK running again on the page")


def test_signals_are_ranked_widest_first_and_paged(chain, page):
    """Many cross-office keys (link rows written at each office, as its indexing does): the
    one named in most reports comes first, 20 to a page, and the pages reach all of them."""
    import uuid
    nnk, etk = chain.offices["NNK"], chain.offices["ETK"]
    keys = [uuid.uuid4().hex * 2 for _ in range(25)]
    wide = keys[-1]                                     # in four NNK reports and two ETK reports
    def plant(site, code: str, n_reports: int) -> int:
        for _ in range(n_reports):
            site.add_report()
        rows = site.sql(f"SELECT id, envelope_id, week FROM kanim_{code}.share_reports WHERE NOT rahasia "
                        f"ORDER BY received_date DESC, id LIMIT :n", n=n_reports).all()
        for i, r in enumerate(rows):
            for k in (keys if i == 0 else [wide]):
                site.sql(f"INSERT INTO kanim_{code}.share_links (office_code, id, envelope_id, kind, key, rahasia, "
                         f"week) VALUES (:c, :i, :e, 'phone', :k, false, :w)", c=code.upper(), i=r.id,
                         e=r.envelope_id, k=k, w=r.week)
        return len(keys) + len(rows) - 1
    planted = plant(nnk, "nnk", 4) + plant(etk, "etk", 2)
    try:
        wait_for(lambda: len(chain.region_rows(f"key IN ({', '.join(repr(k) for k in keys)})", table="share_links"))
                 == planted, "the planted links at the region")
        s, resp = login(page.url, ANALYST, PASSWORD)
        first = re.search(r'<table id="signals">.*?</table>', resp.text, re.S).group(0)
        refs = re.findall(r"<code>([a-z]+:[0-9a-f]{12})</code>", first)
        assert len(refs) == 20 and refs[0] == f"phone:{wide[:12]}"               # widest first
        total = int(re.search(r"Menampilkan 1–20 dari (\d+)", resp.text).group(1))
        assert total >= 25 and 'rel="next"' in resp.text
        seen = set(refs)
        for n in range(2, -(-total // 20) + 1):
            more = s.get(f"{page.url}/?halaman={n}", timeout=10).text
            seen |= set(re.findall(r"<code>([a-z]+:[0-9a-f]{12})</code>",
                                   re.search(r'<table id="signals">.*?</table>', more, re.S).group(0)))
        assert {f"phone:{k[:12]}" for k in keys} <= seen and len(seen) == total
        assert "halaman=1" not in resp.text and s.get(f"{page.url}/?halaman=x", timeout=10).status_code == 200
    finally:
        for site, code in ((nnk, "nnk"), (etk, "etk")):
            site.sql(f"DELETE FROM kanim_{code}.share_links WHERE key = ANY(:k)", k=keys)
    wait_for(lambda: not chain.region_rows(f"key = '{wide}'", table="share_links"), "the planted links gone")


def test_the_weekly_counts_download_as_csv_with_labels(chain, page):
    assert requests.get(page.url + "/ekspor.csv", timeout=10).status_code == 401      # not without a login
    s, _ = login(page.url, ANALYST, PASSWORD)
    resp = s.get(page.url + "/ekspor.csv", timeout=10)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
    assert "attachment" in resp.headers["content-disposition"]
    import csv
    import io
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert rows[0] == ["Minggu ISO", "Kantor", "Kode kecamatan", "Kecamatan", "Jenis", "Kategori", "Laporan"]
    with create_engine(chain.region.url("region")).connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM public.share_reports")).scalar()
    assert sum(int(r[6]) for r in rows[1:]) == total
    assert any(r[1] == "NNK · Kabupaten Nunukan" and r[4] == "Laporan Kecurigaan (TPPO/TPPM)" for r in rows[1:])
    en = list(csv.reader(io.StringIO(s.get(page.url + "/ekspor.csv?lang=en", timeout=10).content.decode("utf-8-sig"))))
    assert en[0][0] == "ISO week" and any("Suspicion report" in r[4] for r in en[1:])


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
        for cell in (tab.locator("#freshness td.n").first, tab.locator("#spikes td.spike").first):
            box = cell.bounding_box()                                       # the counts are on screen
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= w
        tab.screenshot(path=str(art / f"rollup-dashboard-{w}.png"), full_page=True)
        ctx.close()
