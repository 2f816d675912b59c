"""Steps the offline-app browser tests share (test_offline_app.py, test_offline_phone.py): the
real office at /app/ over HTTPS, the first run and enrollment, the shortest report, the lock
screen, and what the office stored."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from jaga_desa.testing.tls import TlsOffice, make_cert

from tests.e2e.helpers import (ARTIFACTS, PIN, button, enable_semantics, fill, first_user, frames, no_crash, option, reach,
                               shows, tap, until, wait_text)

ADD_INVOLVED = "Tambah data: Orang atau kendaraan yang terlibat (calo / tekong / sponsor)"
WHAT = "Apa yang Anda lihat atau dengar? (wajib)"
DRAFT_TEXT = "Calo menawarkan kerja ke Malaysia tanpa paspor"
FIRST_LOAD_S = 180          # Pyodide + CanvasKit from the office, on a loaded 2-core machine
OFFLINE_LOAD_S = 90


def snap(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"offline-{name}.png"))
    no_crash(page)


def scroll_to(page, locator) -> None:
    """Swipe until the node is on the screen (Flutter scrolls its canvas, not the DOM)."""
    reach(locator)
    page.mouse.move(200, 430)
    for _ in range(30):
        box = locator.bounding_box()
        if box and 60 <= box["y"] and box["y"] + box["height"] <= 860:
            return
        page.mouse.wheel(0, 300)
        frames(page, 3)
    raise AssertionError("could not scroll the node onto the screen")


def load(page, url: str, timeout: float) -> None:
    page.goto(url)
    enable_semantics(page, timeout)


def file_short_report(page, what: str) -> None:
    """The shortest suspicion report (test_journey's), from the home screen to the outbox."""
    tap(button(page, "Laporan kecurigaan", exact=True))
    tap(option(page, "Dokumen palsu (KTP, paspor, surat)"))
    fill(page, WHAT, what)
    finish_report(page)


def finish_report(page) -> None:
    tap(button(page, "Lanjut"))
    tap(button(page, "Sekarang"))
    fill(page, "Di mana? (nama tempat, dusun, dermaga, jalan) (wajib)", "Warung")
    tap(button(page, "Lanjut"))
    tap(option(page, "Tidak tahu"))
    tap(button(page, "Lanjut"))
    button(page, ADD_INVOLVED).wait_for()
    tap(button(page, "Lanjut"))
    tap(option(page, "Biasa"))
    tap(option(page, "Tidak", exact=True))
    tap(button(page, "Lanjut"))
    tap(button(page, "Segel & kirim"))
    wait_text(page, "Laporan disegel dan masuk kotak keluar", timeout=30000)


def unlock(page) -> None:
    button(page, "Masuk").wait_for(timeout=OFFLINE_LOAD_S * 1000)
    fill(page, "PIN", PIN)
    tap(button(page, "Masuk"))
    button(page, "Laporan kecurigaan", exact=True).wait_for(timeout=30000)


def stored_envelopes(office) -> set[str]:
    engine = sa.create_engine(f"sqlite:///{office.data_dir / 'office.db'}")
    try:
        with engine.connect() as c:
            return {r[0] for r in c.execute(sa.text("SELECT id FROM envelopes"))}
    finally:
        engine.dispose()


def office_serving_app(folder: Path, build: Path) -> tuple[TlsOffice, Path, dict]:
    """A real office over HTTPS serving the build at /app/, a village, and Siti's one-time
    enrollment code: (office, its certificate, the code)."""
    cert, key, _ = make_cert(folder / "tls", "office")
    office = TlsOffice(folder / "office", cert, key, extra_args=["--app-dir", str(build)]).start()
    office.admin(["add-village", "--name", "Entikong"])
    code = office.admin_json(["enroll-code", "--village", "Entikong", "--role", "volunteer", "--name", "Siti",
                              "--office-url", office.url, "--tls-cert", str(cert)])
    return office, cert, code


def enroll(page, url: str, code: dict) -> None:
    """First run at the office: open /app/, create Siti, enroll with a real one-time code."""
    load(page, url, FIRST_LOAD_S)
    first_user(page, "Siti", timeout=FIRST_LOAD_S)
    fill(page, "Isi kode QR (jagadesa://...)", code["enroll"])
    until(page, lambda: shows(page, code["code"]), "the QR text parsed into the fields")
    tap(button(page, "Daftarkan"))
    wait_text(page, "Terdaftar: Siti", timeout=60000)
