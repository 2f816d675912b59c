"""Dashboard texts in Bahasa Indonesia (default) and English; enumerations with labels."""
from __future__ import annotations

LANGS = ("id", "en")

TRIAGE = {   # stored code -> (id, en); "new" is the ingest default in envelopes.triage
    "new": ("Baru", "New"),
    "reviewed": ("Ditinjau", "Reviewed"),
    "in_progress": ("Ditindaklanjuti", "Being acted on"),
    "forwarded": ("Diteruskan ke instansi lain", "Forwarded to another agency"),
    "closed": ("Ditutup", "Closed"),
}
URGENCY = {"biasa": ("Biasa", "Normal"), "mendesak": ("Mendesak", "Urgent"),
           "darurat": ("Darurat", "Emergency")}
VERDICT = {"verified": ("Dibenarkan kepala desa", "Verified by village head"),
           "disputed": ("Dibantah kepala desa", "Disputed by village head"),
           "needs_more_info": ("Perlu info tambahan", "Needs more information"),
           "none": ("Belum ditinjau kepala desa", "Not reviewed by head")}
from office.store.filter_row import CATEGORY_PMI  # noqa: E402,F401  (the push derives it)

_T = {
    "app": ("Jaga Desa — Dasbor Intelijen", "Jaga Desa — Intel dashboard"),
    "login": ("Masuk", "Sign in"), "logout": ("Keluar", "Sign out"),
    "username": ("Nama pengguna", "Username"), "password": ("Kata sandi", "Password"),
    "bad_login": ("Nama pengguna atau kata sandi salah.", "Wrong username or password."),
    "locked": ("Terlalu banyak percobaan gagal dari sini. Tunggu sebentar, lalu coba lagi (detik):",
               "Too many failed attempts from here. Wait a moment, then try again (seconds):"),
    "csrf": ("Formulir kedaluwarsa atau tidak sah. Muat ulang halaman lalu coba lagi.",
             "The form expired or is not valid. Reload the page and try again."),
    "inbox": ("Kotak masuk laporan", "Report inbox"), "overview": ("Ringkasan", "Overview"),
    "villages": ("Desa", "Villages"), "enroll": ("Kode pendaftaran", "Enrollment codes"),
    "handover": ("Serah terima data", "Data hand-over"),
    "courier": ("File kurir", "Courier files"),
    "devices": ("Perangkat", "Devices"), "staff": ("Staf", "Staff"), "audit": ("Log audit", "Audit log"),
    "filters": ("Saring laporan", "Filter reports"), "apply": ("Terapkan", "Apply"),
    "reset": ("Hapus saringan", "Clear filters"),
    "form": ("Formulir", "Form"), "village": ("Desa", "Village"), "category": ("Kategori", "Category"),
    "urgency": ("Urgensi", "Urgency"), "triage": ("Status tindak lanjut", "Triage state"),
    "date_from": ("Diterima sejak", "Received from"), "date_to": ("Diterima sampai", "Received until"),
    "has_photo": ("Ada foto", "Has photo"), "verdict": ("Tinjauan kepala desa", "Head verdict"),
    "search": ("Cari kata dalam jawaban", "Search words in answers"),
    "children": ("Melibatkan anak", "Children involved"), "route": ("Jalur", "Route"),
    "any": ("Semua", "Any"), "yes": ("Ya", "Yes"), "no": ("Tidak", "No"),
    "received": ("Diterima kantor", "Received at office"), "phone_time": ("Waktu di HP", "Phone time"),
    "open": ("Buka", "Open"), "next": ("Halaman berikut", "Next page"),
    "first": ("Halaman pertama", "First page"),
    "no_reports": ("Tidak ada laporan yang cocok.", "No matching reports."),
    "undecryptable": ("Laporan ini tidak dapat dibuka (dekripsi gagal). Data aslinya tetap tersimpan.",
                      "This report cannot be opened (decryption failed). The sealed original is kept."),
    "export": ("Unduh hasil saringan", "Download filtered set"),
    "export_terlibat": ("CSV pihak terlibat (per laporan)", "CSV of people/vehicles involved (by report)"),
    "answers": ("Jawaban", "Answers"), "timeline": ("Riwayat", "Timeline"),
    "photos": ("Foto", "Photos"), "location": ("Lokasi GPS", "GPS location"),
    "no_location": ("Tidak ada lokasi GPS.", "No GPS location."),
    "signature": ("Tanda tangan pelapor", "Reporter's signature"),
    "signature_ok": ("Sah (diperiksa ulang saat dibuka)", "Valid (re-checked when opened)"),
    "signature_unknown": ("Tidak dapat diperiksa", "Cannot be checked"),
    "receipt": ("Tanda terima", "Receipt"),
    "receipt_complete": ("Lengkap — semua lampiran diterima", "Complete — all attachments held"),
    "unreadable_badge": ("TIDAK TERBACA", "UNREADABLE"),
    "receipt_waiting": ("Menunggu lampiran", "Waiting for attachments"),
    "device": ("Perangkat", "Device"), "volunteer": ("Pelapor", "Reporter"),
    "form_version": ("Versi formulir", "Form version"),
    "clock_differs": ("Jam HP berbeda dari jam kantor", "Phone clock differs from office clock"),
    "state": ("Status", "State"), "note": ("Catatan", "Note"), "assignee": ("Petugas", "Assignee"),
    "nobody": ("(belum ada)", "(nobody)"), "save_triage": ("Simpan status", "Save state"),
    "feedback": ("Umpan balik ke desa", "Feedback to the village"),
    "feedback_msg": ("Pesan untuk pelapor", "Message for the reporter"),
    "send": ("Kirim", "Send"), "feedback_sent": ("Umpan balik dikirim", "Feedback sent"),
    "triage_saved": ("Status disimpan", "State saved"),
    "classification": ("Klasifikasi", "Classification"),
    "rahasia_now": ("Laporan ini RAHASIA: tidak ikut serah-terima biasa, API mitra tanpa izin rahasia, maupun "
                    "rekap Kanwil/Ditjen.", "This report is CONFIDENTIAL: it leaves out of ordinary hand-overs, "
                    "partner API tokens without the rahasia grant, and the Kanwil/Ditjen roll-up."),
    "rahasia_not": ("Laporan biasa. Menandainya rahasia menariknya dari serah-terima biasa, API mitra, dan rekap "
                    "Kanwil/Ditjen (juga salinan yang sudah terkirim).", "An ordinary report. Marking it "
                    "confidential takes it out of ordinary hand-overs, the partner API and the Kanwil/Ditjen "
                    "roll-up (copies already sent included)."),
    "mark_rahasia": ("Tandai rahasia", "Mark confidential"),
    "unmark_rahasia": ("Cabut tanda rahasia (admin)", "Remove the confidential mark (admin)"),
    "rahasia_reason": ("Alasan (opsional)", "Reason (optional)"),
    "rahasia_saved": ("Klasifikasi disimpan", "Classification saved"),
    "rahasia_change": ("Klasifikasi", "Classification"),
    "class_rahasia": ("Rahasia", "Confidential"), "class_biasa": ("Biasa", "Ordinary"),
    "forbidden": ("Anda tidak berhak membuka halaman ini.", "You may not open this page."),
    "not_found": ("Tidak ditemukan.", "Not found."),
    "bad_filter": ("Saringan tidak valid", "Invalid filter"),
    "by_week": ("Laporan per minggu", "Reports per week"),
    "by_village": ("Laporan per desa", "Reports per village"),
    "by_category": ("Laporan per kategori", "Reports per category"),
    "by_route": ("Laporan per jalur", "Reports per route"),
    "chart_empty": ("Belum ada laporan yang masuk hitungan ini.", "No report counts here yet."),
    "map": ("Peta titik laporan", "Map of report points"),
    "map_clusters": ("Laporan yang bertumpuk di peta", "Reports stacked on the map"),
    "map_cluster": ("Kelompok", "Group"), "map_reports": ("laporan", "reports"),
    "map_zoom": ("Perbesaran peta", "Map zoom"), "map_zoom_in": ("Perbesar", "Zoom in"),
    "map_zoom_out": ("Perkecil", "Zoom out"), "map_zoom_all": ("Seluruh wilayah", "Whole area"),
    "map_zoom_cluster": ("Perbesar ke kelompok ini", "Zoom to this group"),
    "map_in_view": ("laporan di bagian peta ini, dari", "reports in this part of the map, of"),
    "map_tiles_same_host": ("Server ubin peta tidak dipakai: namanya sama dengan alamat dasbor ini, jadi peramban "
                            "akan mengirim cookie sesi staf kepadanya. Pakai nama host lain untuk server ubin.",
                            "Map tile server not used: it has this dashboard's host name, so the browser would "
                            "send it the staff session cookie. Give the tile server another host name."),
    "name": ("Nama", "Name"), "region": ("Wilayah", "Region"), "add": ("Tambah", "Add"),
    "role": ("Peran", "Role"), "issue_code": ("Buat kode", "Issue code"),
    "office_fingerprint": ("Sidik jari kantor", "Office fingerprint"),
    "code_once": ("Kode ini hanya ditampilkan sekali.", "This code is shown only once."),
    "valid_until": ("Berlaku sampai", "Valid until"), "person": ("Nama orang", "Person's name"),
    "revoke": ("Cabut", "Revoke"), "revoked": ("Dicabut", "Revoked"), "active": ("Aktif", "Active"),
    "last_sync": ("Terakhir sinkron", "Last sync"), "persons": ("Pengguna", "People"),
    "created": ("Dibuat", "Created"), "action": ("Tindakan", "Action"), "when": ("Waktu", "When"),
    "who": ("Siapa", "Who"), "target": ("Sasaran", "Target"), "detail": ("Rincian", "Detail"),
    "api_token": ("Token API", "API token"), "issue_token": ("Buat token API", "Issue API token"),
    "token_once": ("Token ini hanya ditampilkan sekali.", "This token is shown only once."),
    "token_days": ("Berlaku (hari)", "Valid (days)"), "token_regions": ("Wilayah (koma)", "Regions (comma)"),
    "token_rahasia": ("Termasuk laporan rahasia", "Include rahasia reports"),
    "token_free_text": ("Termasuk teks bebas", "Include free text"),
    "token_expires": ("Kedaluwarsa", "Expires"), "token_last_used": ("Terakhir dipakai", "Last used"),
    "disable": ("Nonaktifkan", "Disable"), "disabled": ("Nonaktif", "Disabled"),
    "urgent_badge": ("MENDESAK", "URGENT"), "children_badge": ("ANAK", "CHILDREN"),
    "darurat_badge": ("DARURAT", "EMERGENCY"),
    "sort": ("Urutkan", "Sort"), "sort_newest": ("Terbaru dulu", "Newest first"),
    "sort_urgency": ("Paling mendesak dulu", "Most urgent first"),
    "feedback_kind": ("Arti balasan untuk pelapor", "What the reply means for the reporter"),
    "fb_info": ("Informasi / terima kasih", "Information / thanks"),
    "fb_forwarded": ("Diteruskan ke instansi lain", "Forwarded to another agency"),
    "fb_needs_info": ("Perlu info tambahan dari pelapor", "Needs more information from the reporter"),
    "fb_closed": ("Ditutup", "Closed"),
    "revoke_q": ("Cabut perangkat ini?", "Revoke this device?"),
    "revoke_person": ("Cabut orang ini", "Revoke this person"),
    "revoke_person_q": ("Cabut orang ini saja?", "Revoke only this person?"),
    "revoke_person_effect": ("Orang ini tidak bisa lagi mengirim laporan atau menerima balasan; ponselnya "
                             "memberi tahu dia pada sinkron berikutnya. Ponsel ini tetap aktif. Tidak bisa dibatalkan.",
                             "This person can no longer send reports or receive replies; their phone tells them at "
                             "its next sync. The phone itself stays active. This cannot be undone."),
    "revoke_person_others": ("Tetap aktif di ponsel yang sama:", "Still active on the same phone:"),
    "revoke_person_yes": ("Ya, cabut orang ini", "Yes, revoke this person"),
    "revoke_device_instead": ("Ponsel hilang atau disita? Cabut seluruh perangkat", "Phone lost or seized? Revoke the whole device"),
    "revoke_who": ("Semua orang yang terdaftar di perangkat ini ikut dicabut:",
                   "Everyone enrolled on this device is revoked with it:"),
    "revoke_effect": ("Perangkat ini tidak bisa lagi mengirim laporan atau menerima balasan. Tidak bisa dibatalkan.",
                      "This device can no longer send reports or receive replies. This cannot be undone."),
    "revoke_yes": ("Ya, cabut perangkat ini", "Yes, revoke this device"),
    "cancel": ("Batal", "Cancel"),
    "alert_title": ("DARURAT — ada orang dalam bahaya sekarang. Belum ada yang menangani:",
                    "EMERGENCY — someone is in danger now. Nobody has taken it on yet:"),
    "alert_open": ("Buka laporan", "Open report"),
    "alert_ack": ("Saya tangani", "I am on it"),
    "ack_done": ("Tercatat: Anda menangani laporan darurat ini.", "Recorded: you are handling this emergency."),
    "acked_by": ("Ditangani oleh", "Taken on by"),
    "rahasia_badge": ("RAHASIA", "CONFIDENTIAL"),
    "lang_switch": ("English", "Bahasa Indonesia"), "back": ("Kembali", "Back"),
    "report": ("Laporan", "Report"), "count": ("Jumlah", "Count"),
    "feedback_history": ("Umpan balik terkirim", "Feedback sent"),
    "replied_badge": ("BALASAN PELAPOR", "REPORTER REPLIED"),
    "conversation": ("Percakapan dengan pelapor", "Conversation with the reporter"),
    "conv_empty": ("Belum ada pesan.", "No messages yet."),
    "conv_office": ("Kantor Imigrasi", "Immigration office"),
    "conv_author": ("Pelapor", "Reporter"),
    "conv_head": ("Kepala desa", "Village head"),
    "conv_unreadable": ("(pesan tidak dapat dibuka)", "(message cannot be opened)"),
    "conv_phone_time": ("ditulis di HP", "written on the phone"),
    "head_review": ("Tinjauan kepala desa", "Village head review"),
    "triage_change": ("Perubahan status", "State change"),
    "indexing": ("Sedang mengindeks laporan baru", "Indexing new reports"),
    "photo_missing": ("Foto belum diterima lengkap", "Photo not fully received yet"),
    "voice_notes": ("Rekaman suara", "Voice notes"), "voice_note": ("Rekaman", "Recording"),
    "voice_missing": ("Rekaman belum diterima lengkap", "Recording not fully received yet"),
    "none": ("Tidak ada", "None"), "results": ("hasil di halaman ini", "results on this page"),
    "pmi": ("Keberangkatan PMI non-prosedural", "Non-procedural PMI departure"),
    "confirm_revoke": ("Cabut perangkat ini? Semua pengguna di dalamnya ikut dicabut.",
                       "Revoke this device? Every person on it is revoked too."),
    # issue 24: refused emergencies kept for admins
    "quarantine": ("Darurat yang ditolak", "Refused emergencies"),
    "quarantine_intro": ("Laporan darurat yang harus ditolak (misalnya akun pelapor sudah dicabut) tetap "
                         "disimpan di sini, tersegel, dengan alasannya. Ponsel pelapor sudah diminta "
                         "menelepon 110 / 112. Periksa apakah seseorang dalam bahaya.",
                         "Emergency reports the office had to refuse (the reporter's account was revoked, "
                         "say) are kept here, sealed, with the reason. The reporter's phone told them to "
                         "call 110 / 112. Check whether someone is in danger."),
    "quarantine_what": ("Yang terjadi", "What is happening"),
    "quarantine_why": ("Alasan ditolak", "Why refused"),
    "quarantine_empty": ("Tidak ada laporan darurat yang ditolak.", "No emergency report was refused."),
    # issue 24: Darurat at 360 px and in its own words
    "alert_more": ("Semua darurat yang belum ditangani", "Every emergency nobody has taken on"),
    "verdict_rahasia": ("Rahasia: tidak untuk kepala desa", "Confidential: not for the village head"),
}


def t(key: str, lang: str) -> str:
    pair = _T.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "en" else pair[0]


def label(table: dict, code: str | None, lang: str) -> str:
    pair = table.get(code or "")
    if pair is None:
        return code or "—"
    return pair[1] if lang == "en" else pair[0]


def norm_lang(value: str | None) -> str:
    return value if value in LANGS else "id"
