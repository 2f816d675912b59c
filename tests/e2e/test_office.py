"""Journeys through the real office (tests/conftest.py `office_server`): a shared phone
with a village head and a volunteer enrolls from QR content, the volunteer's report
syncs and the office holds it, the head reviews it and the office sees the verdict.
Then the office goes away: a new report stays in the outbox and the state says why."""
from __future__ import annotations

import sqlite3

import pytest

from sync import identity
from tests.e2e.helpers import (option, BIG_PHONE, PIN, button, fill, no_crash, open_app, shows, snap, tap, textbox, until,
                               wait_text)

pytestmark = pytest.mark.e2e


def office_rows(office, sql):
    with sqlite3.connect(office.data_dir / "office.db") as conn:
        return conn.execute(sql).fetchall()


def _enroll_here(page, office, code):
    textbox(page, "Kode pendaftaran").wait_for()
    fill(page, "Isi kode QR (jagadesa://...)", code)      # the ticket: code + office + fingerprint
    bare = identity.parse(code).code
    until(page, lambda: shows(page, bare), "the QR text parsed into the code field")
    tap(button(page, "Daftarkan", exact=True))
    wait_text(page, "Terdaftar:", timeout=20000)


def _sync(page):
    tap(button(page, "Sinkron sekarang"))
    page.get_by_text("Sinkron selesai").or_(page.get_by_text("Sinkron gagal")).first.wait_for(timeout=30000)


def _unlock(page, who):
    tap(page.get_by_role("radio", name=who))
    fill(page, "PIN", PIN)
    tap(button(page, "Masuk"))


def test_enroll_sync_review_round_trip(browser, start_app, office_server, tmp_path):
    village = office_server.admin_json(["add-village", "--name", "Sebatik"])
    vid = str(village.get("id") or village.get("village_id"))
    head_code = office_server.admin_json(["enroll-code", "--village", vid, "--role", "head", "--name",
                                          "Pak Budi", "--office-url", office_server.url])["enroll"]
    vol_code = office_server.admin_json(["enroll-code", "--village", vid, "--role", "volunteer", "--name",
                                         "Siti", "--office-url", office_server.url])["enroll"]
    data = tmp_path / "phone"
    srv = start_app(data)
    ctx, page, _ = open_app(browser, srv.url, BIG_PHONE)
    try:
        # first run on a shared phone: the head sets it up and enrolls
        tap(button(page, "Bahasa Indonesia"))
        fill(page, "Nama pengguna", "Pak Budi")
        tap(page.get_by_role("radio", name="Kepala desa"))
        fill(page, "PIN baru (4-12 angka)", PIN)
        fill(page, "Ulangi PIN", PIN)
        tap(button(page, "Buat pengguna"))
        _enroll_here(page, office_server, head_code)
        snap(page, "60-head-enrolled")

        # ...then adds the volunteer, who enrolls with her own code
        tap(button(page, "Pengaturan"))
        tap(button(page, "Tambah pengguna"))
        fill(page, "Nama pengguna", "Siti")
        fill(page, "PIN baru (4-12 angka)", PIN)
        fill(page, "Ulangi PIN", PIN)
        tap(button(page, "Buat pengguna"))
        _enroll_here(page, office_server, vol_code)

        # the volunteer files the shortest suspicion report and syncs
        tap(button(page, "Laporan kecurigaan", exact=True))
        tap(option(page, "Dokumen palsu (KTP, paspor, surat)"))
        fill(page, "Apa yang Anda lihat atau dengar? (wajib)", "Calo membuat KTP palsu untuk calon PMI")
        tap(button(page, "Lanjut"))
        tap(button(page, "Sekarang"))
        fill(page, "Di mana? (nama tempat, dusun, dermaga, jalan) (wajib)", "Rumah calo di dusun 2")
        tap(button(page, "Lanjut"))
        tap(option(page, "Tidak tahu"))
        tap(button(page, "Lanjut"))
        wait_text(page, "Langkah 4 dari 5")  # v2: the optional "who was involved" step
        tap(button(page, "Lanjut"))
        wait_text(page, "Langkah 5 dari 5")
        tap(option(page, "Biasa"))
        tap(option(page, "Tidak", exact=True))
        tap(button(page, "Lanjut"))
        tap(button(page, "Segel & kirim"))
        wait_text(page, "Menunggu sinyal")
        _sync(page)
        wait_text(page, "Diterima kantor")
        snap(page, "61-volunteer-received")
        assert office_rows(office_server, "SELECT COUNT(*) FROM envelopes")[0][0] == 1

        # the head pulls the report, reads it, verifies it with a note
        tap(button(page, "Kunci"))
        _unlock(page, "Pak Budi")
        _sync(page)
        review = page.get_by_role("button", name="Laporan Kecurigaan (TPPO/TPPM)")
        review.first.wait_for(timeout=15000)
        snap(page, "62-head-home-review")
        tap(review.first)
        wait_text(page, "Calo membuat KTP palsu untuk calon PMI")
        fill(page, "Catatan atau pertanyaan (bila minta info tambahan, dikirim apa adanya ke pelapor)", "Benar, saya kenal calonya")
        # the note stops at the office's limit and says how much is left (a visible counter,
        # which a screen reader reads as the characters left)
        until(page, lambda: shows(page, "Sisa 1.975 karakter"), "the note's length counter")
        snap(page, "63-head-review")
        tap(button(page, "Benar (verifikasi)"))
        wait_text(page, "Tanggapan disimpan")
        wait_text(page, "Keputusan Anda: Dibenarkan")          # his verdict, on the list itself
        snap(page, "64-head-after-review")
        tap(review.first)                                       # ...and no verdict buttons again
        wait_text(page, "Benar, saya kenal calonya")
        assert button(page, "Benar (verifikasi)").count() == 0
        snap(page, "64b-head-answered-review")
        tap(button(page, "Kembali"))
        _sync(page)
        # the office acknowledged the verdict: the head's copy of the report is purged
        until(page, lambda: not shows(page, "Keputusan Anda"), "the answered review purged")
        assert office_rows(office_server, "SELECT verdict FROM reviews") == [("verified",)]

        # the office answers the volunteer: a notice, and the feedback on the report itself
        from office import db, feedback, keys
        eid = office_rows(office_server, "SELECT id FROM envelopes")[0][0]
        with db.make_engine(db.sqlite_url(office_server.data_dir)).begin() as conn:
            feedback.send_feedback(conn, eid, "Terima kasih, tim kami ke lokasi besok",
                                   keys=keys.load_or_create(office_server.data_dir))
        tap(button(page, "Kunci"))
        _unlock(page, "Siti")
        _sync(page)
        wait_text(page, "Ada 1 umpan balik baru dari kantor")
        wait_text(page, "Diterima kantor · ada balasan")
        wait_text(page, "Terima kasih, tim kami ke lokasi besok")
        snap(page, "66-volunteer-feedback")
        tap(button(page, "Tandai sudah dibaca"))
        page.get_by_text("Ada 1 umpan balik baru").wait_for(state="detached")

        # the office goes away: a new report stays in the outbox, and says why
        office_server.stop()
        tap(button(page, "Laporan kecurigaan", exact=True))
        tap(option(page, "Lainnya"))
        fill(page, "Sebutkan jenis kejadiannya (wajib)", "Perahu penuh orang")
        fill(page, "Apa yang Anda lihat atau dengar? (wajib)", "Perahu penuh orang berangkat malam ini")
        tap(button(page, "Lanjut"))
        tap(button(page, "Sekarang"))
        fill(page, "Di mana? (nama tempat, dusun, dermaga, jalan) (wajib)", "Pantai utara")
        tap(button(page, "Lanjut"))
        wait_text(page, "Langkah 3 dari 5")
        tap(option(page, "Ya", exact=True))
        tap(button(page, "Lanjut"))
        wait_text(page, "Langkah 4 dari 5")      # v2: who was involved (optional)
        tap(button(page, "Lanjut"))
        wait_text(page, "Langkah 5 dari 5")
        tap(option(page, "Darurat (ada orang dalam bahaya sekarang)"))
        tap(option(page, "Ya", exact=True))                     # rahasia
        tap(button(page, "Lanjut"))
        wait_text(page, "RAHASIA: hanya petugas Imigrasi")
        tap(button(page, "Segel & kirim"))
        wait_text(page, "Menunggu sinyal")
        _sync(page)
        wait_text(page, "Sinkron gagal: tidak ada sambungan ke kantor")
        wait_text(page, "Belum terkirim: tidak ada sambungan ke kantor")   # on the report itself
        snap(page, "65-sync-failed-offline")
        no_crash(page)
    finally:
        ctx.close()
