"""Every UI string of the field app, in Bahasa Indonesia (default) and English.

Form labels, hints and validation messages come from the `forms` package; this table
holds only the app's own words. `t(key, lang, **kw)` fills `{placeholders}`.
A missing key is a bug, not a fallback to English: tests/e2e compares both languages.
"""
from __future__ import annotations

LANGS = ("id", "en")
DEFAULT = "id"
LANG_NAMES = {"id": "Bahasa Indonesia", "en": "English"}

S: dict[str, tuple[str, str]] = {
    # (id, en)
    "app_name": ("Jaga Desa", "Jaga Desa"),
    "tagline": ("Laporan aman untuk desa binaan Imigrasi",
                "Safe reporting for immigration partner villages"),
    # first run
    "choose_lang": ("Pilih bahasa", "Choose language"),
    "continue": ("Lanjut", "Continue"),
    "back": ("Kembali", "Back"),
    "cancel": ("Batal", "Cancel"),
    "close": ("Tutup", "Close"),
    "save": ("Simpan", "Save"),
    "first_user": ("Buat pengguna pertama", "Create the first user"),
    "first_user_hint": ("Nama ini hanya untuk memilih pengguna di ponsel ini, dan terlihat oleh siapa pun yang "
                        "memegangnya: pakai nama panggilan yang biasa saja. PIN melindungi laporan Anda: "
                        "tanpa PIN tidak ada yang bisa membacanya.",
                        "This name is only for picking the user on this phone, and anyone holding it sees it: "
                        "use an ordinary nickname. The PIN protects your reports: nobody can read them without it."),
    "name": ("Nama pengguna", "User name"),
    "role": ("Peran", "Role"),
    "role_volunteer": ("Relawan desa", "Village volunteer"),
    "role_head": ("Kepala desa", "Village head"),
    "pin": ("PIN", "PIN"),
    "pin_new": ("PIN baru (4-12 angka)", "New PIN (4-12 digits)"),
    "pin_repeat": ("Ulangi PIN", "Repeat the PIN"),
    "pin_mismatch": ("PIN tidak sama", "The PINs do not match"),
    "pin_format": ("PIN harus 4 sampai 12 angka", "The PIN must be 4 to 12 digits"),
    "name_needed": ("Isi nama (1-40 huruf)", "Enter a name (1-40 characters)"),
    "name_taken": ("Nama ini sudah dipakai di ponsel ini", "This name is already used on this phone"),
    "create_user": ("Buat pengguna", "Create user"),
    "add_user": ("Tambah pengguna", "Add user"),
    # enrollment
    "enroll_title": ("Daftarkan ke kantor Imigrasi", "Enroll with the immigration office"),
    "enroll_hint": ("Minta kode pendaftaran ke petugas Imigrasi. Tempel isi kode QR, atau isi alamat kantor "
                    "dan kode.",
                    "Ask the immigration officer for an enrollment code. Paste the QR code content, or enter "
                    "the office address and the code."),
    "qr_content": ("Isi kode QR (jagadesa://...)", "QR code content (jagadesa://...)"),
    "office_url": ("Alamat kantor", "Office address"),
    "enroll_code": ("Kode pendaftaran", "Enrollment code"),
    "enroll_do": ("Daftarkan", "Enroll"),
    "enroll_later": ("Nanti saja", "Later"),
    "enroll_ok": ("Terdaftar: {name}, {village}", "Enrolled: {name}, {village}"),
    "enroll_missing": ("Isi alamat kantor dan kode", "Enter the office address and the code"),
    "enroll_bad_qr": ("Isi kode QR tidak dikenali", "The QR content is not recognised"),
    "enroll_failed": ("Pendaftaran gagal: {why}", "Enrollment failed: {why}"),
    "office_fingerprint": ("Sidik jari kantor (tercetak di samping kode)",
                           "Office fingerprint (printed beside the code)"),
    "enroll_ok_fp": ("Terdaftar: {name}, {village}. Sidik jari kantor {fp} — cocokkan dengan petugas.",
                     "Enrolled: {name}, {village}. Office fingerprint {fp} — compare it with the officer."),
    "trust_tampered": ("Peringatan: data kantor di ponsel ini diubah orang lain sejak terakhir dibuka. "
                       "Sudah dipulihkan dari data tersegel Anda; laporan Anda tetap hanya bisa dibaca "
                       "kantor tempat Anda terdaftar.",
                       "Warning: the office data on this phone was changed by someone since it was last "
                       "opened. It was restored from your locked data; your reports can still be read "
                       "only by the office you enrolled with."),
    "heads_expired": ("Daftar kepala desa sudah kedaluwarsa: laporan baru hanya dikirim ke kantor sampai "
                      "ponsel ini sinkron lagi.",
                      "The village-head list has expired: new reports go to the office only until this "
                      "phone syncs again."),
    "not_enrolled": ("Ponsel ini belum terdaftar ke kantor Imigrasi. Laporan tersimpan sebagai draf sampai "
                     "terdaftar.",
                     "This phone is not enrolled with the immigration office yet. Reports stay drafts "
                     "until it is."),
    "enrolled_as": ("Terdaftar: {village}", "Enrolled: {village}"),
    # lock
    "lock_title": ("Pilih pengguna", "Choose user"),
    "unlock": ("Masuk", "Unlock"),
    "pin_wrong": ("PIN salah. Sisa {n} kali percobaan.", "Wrong PIN. {n} tries left."),
    "locked_out": ("Terlalu banyak PIN salah. Data pengguna ini sudah dikunci permanen dan tidak bisa "
                   "dibuka lagi.",
                   "Too many wrong PINs. This user's data is locked for good and can no longer be "
                   "opened."),
    "user_locked": ("{name} (terkunci)", "{name} (locked)"),
    "locked_why": ("{name} terkunci di ponsel ini karena terlalu banyak PIN salah. Ini bukan pencabutan "
                   "oleh kantor: data pengguna ini tidak bisa dibuka lagi; minta kode pendaftaran baru "
                   "dari petugas.",
                   "{name} is locked on this phone after too many wrong PINs. The office did not revoke "
                   "it: this user's data can no longer be opened; ask the officer for a new "
                   "enrollment code."),
    "revoked_person": ("Akun Anda dicabut oleh kantor pada {when}. Laporan baru tidak akan diterima "
                       "dan balasan tidak dikirim lagi ke akun ini. Hubungi petugas Imigrasi kalau ini keliru.",
                       "Your account was revoked by the office on {when}. New reports will not be accepted "
                       "and no replies are sent to this account any more. Contact the immigration officer "
                       "if this is a mistake."),
    "revoked_person_undated": ("Akun Anda dicabut oleh kantor. Laporan baru tidak akan diterima. Hubungi "
                               "petugas Imigrasi kalau ini keliru.",
                               "Your account was revoked by the office. New reports will not be accepted. "
                               "Contact the immigration officer if this is a mistake."),
    "revoked_device": ("Ponsel ini dicabut oleh kantor (diketahui saat sinkron {when}). Ponsel ini tidak bisa "
                       "lagi mengirim laporan atau menerima balasan. Hubungi petugas Imigrasi.",
                       "This phone was revoked by the office (learned at the sync of {when}). It can no "
                       "longer send reports or receive replies. Contact the immigration officer."),
    # the home screen of a revoked person or phone (fieldapp/ui/revoked.py)
    "rv_title_person": ("Akun Anda dicabut", "Your account was revoked"),
    "rv_title_device": ("Ponsel ini dicabut", "This phone was revoked"),
    "rv_who_person": ("Kantor Imigrasi mencabut akun Anda pada {when}.",
                      "The immigration office revoked your account on {when}."),
    "rv_who_person_undated": ("Kantor Imigrasi mencabut akun Anda.", "The immigration office revoked your account."),
    "rv_who_device": ("Kantor Imigrasi mencabut ponsel ini (diketahui saat sinkron {when}).",
                      "The immigration office revoked this phone (learned at the sync of {when})."),
    "rv_who_device_undated": ("Kantor Imigrasi mencabut ponsel ini.", "The immigration office revoked this phone."),
    "rv_no_reports": ("Laporan baru (juga Darurat) tidak bisa dibuat lagi: kantor tidak akan menerimanya.",
                      "New reports (Emergency too) can no longer be made: the office would not accept them."),
    "rv_reports_title": ("Laporan Anda", "Your reports"),
    "rv_outbox_person": ("{n} laporan yang masih menunggu di kotak keluar akan ditolak kantor pada sinkron "
                         "berikutnya dan ditandai \u201cDitolak\u201d; laporan itu tidak dikirim ulang.",
                         "{n} report(s) still waiting in the outbox will be refused by the office at the next "
                         "sync and marked \u201cRefused\u201d; they are not sent again."),
    "rv_outbox_device": ("{n} laporan yang masih menunggu tidak akan sampai: kantor menolak setiap sinkron dari "
                         "ponsel ini. Laporan itu tetap tersegel (terenkripsi) di ponsel.",
                         "{n} report(s) still waiting will not arrive: the office refuses every sync from this "
                         "phone. They stay locked (encrypted) on the phone."),
    "rv_outbox_none": ("Tidak ada laporan yang masih menunggu dikirim.", "No report is waiting to be sent."),
    "rv_drafts": ("{n} draf tetap terenkripsi di ponsel ini dan tidak bisa dikirim lagi; Anda boleh menghapusnya.",
                  "{n} draft(s) stay encrypted on this phone and can no longer be sent; you may delete them."),
    "rv_sent": ("Laporan yang sudah diterima tetap ada di kantor. Daftarnya di bawah masih bisa dibaca; "
                "balasan baru dari kantor tidak akan datang lagi.",
                "Reports already received stay with the office. Their list below can still be read; no new "
                "replies from the office will come."),
    "rv_todo_title": ("Apa yang harus dilakukan", "What to do"),
    "rv_todo": ("Jika ini keliru, hubungi kantor Imigrasi (petugas yang mendaftarkan Anda). Anda tetap bisa "
                "membaca daftar laporan di bawah, mengunci, serta mengganti bahasa atau menghapus data di "
                "Pengaturan.",
                "If this is a mistake, contact the immigration office (the officer who enrolled you). You can "
                "still read the list of reports below, lock, and switch language or wipe the data in Settings."),
    "rv_emergency": ("Keadaan darurat? Telepon 110 (Polisi) atau 112 (Panggilan Darurat).",
                     "An emergency? Call 110 (Police) or 112 (Emergency line)."),
    "rv_draft_row": ("{form} · {day} — tidak bisa dikirim", "{form} · {day} — cannot be sent"),
    "rv_form_refused": ("Akun atau ponsel ini dicabut oleh kantor: laporan tidak bisa dibuat atau dikirim lagi.",
                        "This account or phone was revoked by the office: reports can no longer be made or sent."),
    "rv_no_reply": ("Akun atau ponsel ini dicabut oleh kantor: balasan tidak bisa dikirim lagi.",
                    "This account or phone was revoked by the office: replies can no longer be sent."),
    "rv_no_verdict": ("Akun atau ponsel ini dicabut oleh kantor: penilaian tidak bisa dikirim lagi.",
                      "This account or phone was revoked by the office: verdicts can no longer be sent."),
    "pin_empty": ("Masukkan PIN dulu (tidak dihitung sebagai percobaan).",
                  "Enter the PIN first (this is not counted as a try)."),
    "pin_last_try": ("PIN salah. Tinggal 1 kali percobaan: jika PIN berikutnya salah, data pengguna ini "
                     "di ponsel ini tidak bisa dibuka lagi (laporan yang sudah tersegel tetap dikirim).",
                     "Wrong PIN. 1 try left: if the next PIN is wrong, this user's data on this phone "
                     "can no longer be opened (reports already sealed are still sent)."),
    "pin_wait": ("Terlalu banyak PIN salah. Tunggu {s} detik sebelum mencoba lagi (sisa {n} kali).",
                 "Too many wrong PINs. Wait {s} seconds before trying again ({n} tries left)."),
    "secret_missing": ("Kode rahasia ponsel ini tidak ada (data disalin dari ponsel lain, atau penyimpanan "
                       "kode rahasia direset). Data ini tidak bisa dibuka di sini.",
                       "This phone's secret key is missing (data copied from another phone, or the key "
                       "store was reset). This data cannot be opened here."),
    "use_passphrase": ("Pakai frasa sandi (boleh huruf)", "Use a passphrase (letters allowed)"),
    "passphrase_hint": ("Frasa sandi 8-64 karakter lebih kuat dari PIN; dianjurkan untuk kepala desa.",
                        "A passphrase of 8-64 characters is stronger than a PIN; advised for village heads."),
    "passphrase": ("Frasa sandi", "Passphrase"),
    "passphrase_new": ("Frasa sandi baru (8-64 karakter)", "New passphrase (8-64 characters)"),
    "passphrase_repeat": ("Ulangi frasa sandi", "Repeat the passphrase"),
    "passphrase_format": ("Harus 8-64 karakter, tanpa spasi di ujung", "Must be 8-64 characters, no space at the ends"),
    "secret_store_title": ("Perlindungan jika folder data disalin", "If the data folder is copied"),
    "lock_now": ("Kunci", "Lock"),
    "auto_locked": ("Terkunci otomatis. Draf sudah tersimpan.", "Locked automatically. Drafts are saved."),
    # home
    "hello": ("Halo, {name}", "Hello, {name}"),
    "btn_suspicion": ("Laporan kecurigaan", "Suspicion report"),
    "btn_departure": ("Keberangkatan PMI", "Migrant worker departure"),
    "btn_urgent": ("Darurat", "Emergency"),
    "urgent_hint": ("Ada orang dalam bahaya sekarang", "Someone is in danger now"),
    # emergency
    "emg_title": ("Darurat", "Emergency"),
    "emg_call": ("Nyawa terancam? Telepon dulu: 110 (Polisi) atau 112 (Panggilan Darurat). Laporan ini "
                 "untuk petugas Imigrasi, bukan pengganti telepon darurat.",
                 "A life at risk? Call first: 110 (Police) or 112 (Emergency line). This report goes to "
                 "the immigration officers; it does not replace an emergency call."),
    "emg_call_110": ("Telepon 110", "Call 110"),
    "emg_call_112": ("Telepon 112", "Call 112"),
    "emg_what": ("Apa yang sedang terjadi?", "What is happening?"),
    "emg_what_hint": ("Singkat saja. Yang lain boleh menyusul.", "Keep it short. The rest can follow later."),
    "emg_send": ("Kirim sekarang", "Send now"),
    "emg_who": ("Hanya petugas Imigrasi yang bisa membaca laporan darurat (rahasia).",
                "Only the immigration officers can read an emergency report (confidential)."),
    "emg_loc_wait": ("Mencari lokasi untuk dilampirkan…", "Finding the location to attach…"),
    "emg_loc_got": ("Lokasi dilampirkan (±{acc} m)", "Location attached (±{acc} m)"),
    "emg_loc_none": ("Lokasi tidak dilampirkan (izin lokasi tidak ada atau tidak ada sinyal GPS)",
                     "No location attached (no location permission or no GPS fix)"),
    "emg_empty": ("Tulis apa yang terjadi (paling sedikit 3 huruf)", "Say what is happening (at least 3 characters)"),
    "emg_sent": ("Laporan darurat disegel dan dikirim begitu ada sinyal. Tetap jaga keselamatan Anda.",
                 "The emergency report is sealed and goes out as soon as there is signal. Stay safe."),
    "emg_more": ("Tambah rincian (tidak wajib)", "Add details (optional)"),
    "emg_saved_draft": ("Belum terdaftar ke kantor: laporan disimpan sebagai draf. Telepon 110 / 112.",
                        "Not enrolled with the office: the report is kept as a draft. Call 110 / 112."),
    "to_home_plain": ("Ke beranda", "Go home"),
    "timezone": ("Zona waktu", "Time zone"),
    "tz_auto": ("Otomatis dari ponsel ({zone})", "Automatic from the phone ({zone})"),
    "tz_WIB": ("WIB (Waktu Indonesia Barat, UTC+7)", "WIB (Western Indonesia, UTC+7)"),
    "tz_WITA": ("WITA (Waktu Indonesia Tengah, UTC+8)", "WITA (Central Indonesia, UTC+8)"),
    "tz_WIT": ("WIT (Waktu Indonesia Timur, UTC+9)", "WIT (Eastern Indonesia, UTC+9)"),
    "reply_forwarded": ("Diteruskan ke instansi lain", "Forwarded to another agency"),
    "reply_needs_info": ("Perlu info tambahan dari Anda", "More information needed from you"),
    "reply_closed": ("Ditutup oleh kantor", "Closed by the office"),
    "reply_add_info": ("Kirim info tambahan", "Send more information"),
    "drafts": ("Draf", "Drafts"),
    "no_drafts": ("Tidak ada draf", "No drafts"),
    "outbox": ("Kotak keluar", "Outbox"),
    "no_outbox": ("Belum ada laporan terkirim", "No reports sent yet"),
    "open_draft": ("Lanjutkan {form}, {day}", "Continue {form}, {day}"),
    "delete_draft": ("Hapus draf", "Delete draft"),
    "delete_draft_q": ("Hapus draf ini? Isinya tidak bisa dikembalikan.",
                       "Delete this draft? Its content cannot be recovered."),
    "delete": ("Hapus", "Delete"),
    "state_draft": ("Draf", "Draft"),
    "state_waiting": ("Menunggu sinyal", "Waiting for signal"),
    "state_sent": ("Terkirim", "Sent"),
    "state_received": ("Diterima kantor", "Received by the office"),
    "state_returned": ("Diterima kantor · ada balasan", "Received by the office · with a reply"),
    "state_why": ("Belum terkirim: {why}", "Not sent yet: {why}"),
    "state_refused": ("Ditolak kantor — tidak akan dikirim ulang", "Refused by the office — will not be sent again"),
    "state_refused_why": ("Alasan: {why}. Hubungi petugas Imigrasi bila perlu.",
                          "Reason: {why}. Contact the immigration office if needed."),
    "settings": ("Pengaturan", "Settings"),
    "reviews": ("Laporan untuk ditinjau", "Reports to review"),
    "no_reviews": ("Tidak ada laporan untuk ditinjau", "No reports to review"),
    "feedback": ("Umpan balik dari kantor", "Feedback from the office"),
    "new_feedback": ("Ada {n} umpan balik baru dari kantor", "{n} new feedback from the office"),
    "feedback_read": ("Tandai sudah dibaca", "Mark as read"),
    "office_alert": ("Peringatan dari Imigrasi: {message}", "Warning from Immigration: {message}"),
    "alert_read": ("Tandai peringatan sudah dibaca", "Mark the warning as read"),
    # sync
    "sync_now": ("Sinkron sekarang", "Sync now"),
    "sync_never": ("Belum pernah sinkron", "Never synced"),
    "sync_last": ("Terakhir sinkron: {when}", "Last sync: {when}"),
    "sync_running": ("Sedang sinkron… {stage} {done}/{total}", "Syncing… {stage} {done}/{total}"),
    "sync_done": ("Sinkron selesai", "Sync finished"),
    "sync_failed": ("Sinkron gagal: {why}. Laporan tetap di kotak keluar.",
                    "Sync failed: {why}. Reports stay in the outbox."),
    "sync_off": ("Sinkron otomatis mati", "Automatic sync is off"),
    "sync_unavailable": ("Modul sinkron belum tersedia", "The sync module is not available yet"),
    "sync_not_enrolled": ("Belum terdaftar: tidak bisa sinkron", "Not enrolled: cannot sync"),
    "sync_pending": ("{n} laporan menunggu dikirim", "{n} report(s) waiting to be sent"),
    # form
    "step": ("Langkah {i} dari {n}", "Step {i} of {n}"),
    "next": ("Lanjut", "Next"),
    "prev": ("Sebelumnya", "Previous"),
    "finish_now": ("Periksa & kirim (sisanya tidak wajib)", "Review & send (the rest is optional)"),
    "to_home": ("Simpan & keluar", "Save & leave"),
    "saved_draft": ("Draf tersimpan", "Draft saved"),
    "fix_errors": ("Periksa isian yang ditandai merah", "Check the answers marked in red"),
    "required_mark": ("(wajib)", "(required)"),
    "entry_title": ("Data ke-{i}", "Entry {i}"),
    "add_entry": ("Tambah data: {what}", "Add an entry: {what}"),
    "remove_entry": ("Hapus data ke-{i}", "Remove entry {i}"),
    "pick_date": ("Pilih tanggal", "Pick a date"),
    "pick_time": ("Pilih jam", "Pick a time"),
    "now": ("Sekarang", "Now"),
    "today": ("Hari ini", "Today"),
    "date_format": ("Format: TTTT-BB-HH atau HH-BB-TTTT", "Format: YYYY-MM-DD or DD-MM-YYYY"),
    "clock_zone": ("jam {zone}", "{zone} time"),
    "datetime_format": ("Format: TTTT-BB-HH jj:mm atau HH-BB-TTTT jj:mm", "Format: YYYY-MM-DD hh:mm or DD-MM-YYYY hh:mm"),
    "gps_get": ("Ambil lokasi GPS", "Get GPS location"),
    "gps_wait": ("Mencari lokasi…", "Finding location…"),
    "gps_got": ("Lokasi: {lat}, {lon} (akurasi ±{acc} m)", "Location: {lat}, {lon} (accuracy ±{acc} m)"),
    "gps_manual": ("Lokasi: {lat}, {lon} (diisi manual)", "Location: {lat}, {lon} (entered by hand)"),
    "gps_failed": ("Lokasi tidak bisa diambil ({why}). Tidak apa-apa: nama tempat yang Anda tulis sudah cukup.",
                   "The location could not be taken ({why}). That is fine: the place name you wrote is enough."),
    "gps_clear": ("Hapus lokasi", "Clear location"),
    "gps_none": ("Belum ada lokasi", "No location yet"),
    "photo_add": ("Tambah foto", "Add photo"),
    "photo_uploading": ("Memproses foto… {pct}%", "Processing photo… {pct}%"),
    "photo_item": ("Foto {i}: {size}", "Photo {i}: {size}"),
    "photo_remove": ("Hapus foto {i}", "Remove photo {i}"),
    "photo_refused": ("Foto ditolak: {why}", "Photo refused: {why}"),
    "photo_shrunk": ("Foto dikecilkan dari {before} menjadi {after}; data lokasi di foto dihapus.",
                     "Photo shrunk from {before} to {after}; location data in the photo removed."),
    "photo_too_many": ("Paling banyak {n} foto", "At most {n} photos"),
    "photo_not_image": ("berkas ini bukan foto JPEG atau PNG yang bisa dibaca",
                        "this file is not a readable JPEG or PNG photo"),
    "photo_too_big": ("foto terlalu besar (batas {mb} MB)", "the photo is too large (limit {mb} MB)"),
    "voice_record": ("Rekam suara", "Record voice"),
    "voice_stop": ("Berhenti", "Stop"),
    "voice_play": ("Putar", "Play"),
    "voice_delete": ("Hapus rekaman", "Delete recording"),
    "voice_recording": ("Merekam… {t} dari {max}", "Recording… {t} of {max}"),
    "voice_processing": ("Memproses rekaman…", "Processing the recording…"),
    "voice_item": ("Rekaman suara: {t}, {size}", "Voice recording: {t}, {size}"),
    "voice_saved": ("Rekaman disimpan terkunci di ponsel; dikirim bersama laporan.",
                    "The recording is kept locked on the phone and sent with the report."),
    "voice_no_mic": ("Mikrofon tidak bisa dipakai. Izinkan mikrofon, atau ketik jawabannya.",
                     "The microphone cannot be used. Allow the microphone, or type the answer."),
    "voice_refused": ("Rekaman tidak bisa disimpan: {why}", "The recording could not be kept: {why}"),
    "review_title": ("Periksa sebelum mengirim", "Check before sending"),
    "rahasia_on": ("RAHASIA: hanya petugas Imigrasi yang bisa membaca laporan ini.",
                   "CONFIDENTIAL: only immigration officers can read this report."),
    "rahasia_off": ("Kepala desa dan petugas Imigrasi bisa membaca laporan ini.",
                    "The village head and immigration officers can read this report."),
    "urgent_flag": ("MENDESAK", "URGENT"),
    "seal": ("Segel & kirim", "Seal & send"),
    "edit": ("Ubah", "Edit"),
    "sealed_ok": ("Laporan disegel dan masuk kotak keluar. Terkirim saat ada sinyal.",
                  "Report sealed and in the outbox. It is sent when there is signal."),
    "seal_failed": ("Belum bisa dikirim: {why}", "Cannot be sent yet: {why}"),
    "choose_one": ("Pilih satu", "Choose one"),
    "choose_many": ("Boleh pilih lebih dari satu", "You may choose more than one"),
    # head review
    "review_open": ("Buka: {title}, {day}", "Open: {title}, {day}"),
    "review_verify": ("Benar (verifikasi)", "Correct (verify)"),
    "review_dispute": ("Tidak benar (bantah)", "Not correct (dispute)"),
    "review_more": ("Minta info tambahan", "Ask for more info"),
    "review_note": ("Catatan atau pertanyaan (bila minta info tambahan, dikirim apa adanya ke pelapor)",
                    "Note or question (when asking for more information, sent as written to the reporter)"),
    "review_sent": ("Tanggapan disimpan; terkirim saat sinkron berikutnya",
                    "Response saved; it leaves with the next sync"),
    "review_my_verdict": ("Keputusan Anda: {verdict}", "Your verdict: {verdict}"),
    "verdict_verified": ("Dibenarkan", "Verified"),
    "verdict_disputed": ("Dibantah", "Disputed"),
    "verdict_needs_more_info": ("Minta info tambahan", "Asked for more information"),
    "verdict_": ("—", "—"),
    "review_state_new": ("Baru", "New"),
    "review_state_read": ("Dibaca", "Read"),
    "review_state_answered": ("Sudah ditanggapi", "Answered"),
    "review_unreadable": ("Laporan tidak bisa dibuka", "The report cannot be opened"),
    # a sent report's conversation with the office
    "conv_title": ("Percakapan laporan", "Report conversation"),
    "conv_messages": ("Pesan tentang laporan ini", "Messages about this report"),
    "conv_open": ("Percakapan ({n} pesan)", "Conversation ({n} messages)"),
    "conv_office": ("Kantor Imigrasi", "Immigration office"),
    "conv_me": ("Anda", "You"),
    "conv_empty": ("Belum ada pesan tentang laporan ini.", "No messages about this report yet."),
    "conv_reply_label": ("Balasan Anda untuk kantor", "Your reply to the office"),
    "conv_reply_hint": ("Hanya kantor Imigrasi yang bisa membacanya", "Only the immigration office can read it"),
    "conv_reply_btn": ("Balas", "Reply"),
    "conv_reply_queued": ("Balasan disimpan terenkripsi dan dikirim saat sinkron.",
                          "Reply saved encrypted; it is sent with the next sync."),
    "conv_waiting": ("menunggu dikirim", "waiting to be sent"),
    "conv_sent": ("terkirim ke kantor", "sent to the office"),
    "conv_refused": ("ditolak kantor", "refused by the office"),
    "conv_cut": ("(hanya awal pesan yang disimpan di ponsel)", "(only the first words are kept on the phone)"),
    "conv_unreadable": ("(pesan tidak bisa dibuka)", "(the message cannot be opened)"),
    "conv_not_received": ("Balasan bisa dikirim setelah kantor menerima laporan ini.",
                          "You can reply once the office has received this report."),
    "summary_days": ("Simpan ringkasan laporan terkirim", "Keep summaries of sent reports"),
    "summary_days_hint": ("Ringkasan (jenis, tempat, kata pertama) dan balasan Anda dihapus dari ponsel setelah:",
                          "Summaries (category, place, first words) and your replies are deleted from the "
                          "phone after:"),
    "days_7": ("7 hari", "7 days"), "days_30": ("30 hari (disarankan)", "30 days (recommended)"),
    "days_90": ("90 hari", "90 days"), "days_forever": ("Simpan terus", "Keep them"),
    # settings
    "language": ("Bahasa", "Language"),
    "retention": ("Setelah diterima kantor", "After the office receives a report"),
    "retention_purge": ("Hapus isi laporan dari ponsel (disarankan)", "Delete its content from the phone (recommended)"),
    "retention_keep": ("Simpan salinan di ponsel", "Keep a copy on the phone"),
    "sync_auto": ("Sinkron otomatis saat ada sinyal", "Sync automatically when there is signal"),
    "wipe": ("Hapus cepat", "Quick wipe"),
    "wipe_hint": ("Menghapus semua pengguna, kode rahasia dan laporan di ponsel ini. Laporan yang belum terkirim "
                  "akan hilang.",
                  "Deletes every user, key and report on this phone. Reports not yet sent are lost."),
    "wipe_confirm": ("Ya, hapus semua", "Yes, delete everything"),
    "wipe_q": ("Hapus semua data di ponsel ini sekarang?", "Delete all data on this phone now?"),
    "wiped": ("Semua data sudah dihapus", "All data was deleted"),
    "about": ("Tentang", "About"),
    "about_text": ("Jaga Desa versi {v}. Laporan dienkripsi di ponsel dan hanya bisa dibaca penerimanya.",
                   "Jaga Desa version {v}. Reports are encrypted on the phone and only their recipients "
                   "can read them."),
    "device_id": ("ID perangkat: {id}", "Device id: {id}"),
    "error": ("Terjadi kesalahan: {why}", "Something went wrong: {why}"),
    "office_refused": ("kantor menolak ({code})", "the office refused it ({code})"),
    # ── issue 24: PIN recovery, a neutral lock screen ─────────────────────
    "forgot_pin": ("Lupa PIN?", "Forgot the PIN?"),
    "forgot_title": ("PIN tidak bisa dipulihkan", "A PIN cannot be recovered"),
    "forgot_why": ("PIN Anda tidak disimpan di mana pun — tidak di ponsel, tidak di kantor. Karena itu "
                   "tidak ada yang bisa membuka data Anda tanpa PIN, juga tidak orang yang memegang ponsel ini.",
                   "Your PIN is stored nowhere — not on the phone, not at the office. That is why nobody "
                   "can open your data without it, not even whoever holds this phone."),
    "forgot_safe_title": ("Yang tetap aman", "What is kept"),
    "forgot_safe": ("• Laporan yang sudah dikirim (tersegel) tetap sampai ke kantor, juga tanpa PIN.\n"
                    "• Laporan yang sudah diterima kantor tetap di kantor.\n"
                    "• Pengguna lain di ponsel ini tidak terpengaruh.",
                    "• Reports already sent (sealed) still reach the office, without the PIN too.\n"
                    "• Reports the office received stay at the office.\n"
                    "• Other users of this phone are not affected."),
    "forgot_lost_title": ("Yang tidak bisa dibuka lagi", "What can no longer be opened"),
    "forgot_lost": ("Draf yang belum dikirim, ringkasan laporan dan pesan kantor untuk Anda di ponsel ini.",
                    "Unsent drafts, report summaries and the office's messages to you on this phone."),
    "forgot_steps_title": ("Supaya bisa melapor lagi", "To report again"),
    "forgot_steps": ("1. Temui petugas yang mendaftarkan Anda dan minta kode pendaftaran baru.\n"
                     "2. Tambahkan diri Anda sebagai pengguna baru di ponsel ini, dengan PIN baru.\n"
                     "3. Daftarkan pengguna baru itu dengan kode tadi.",
                     "1. See the officer who enrolled you and ask for a new enrollment code.\n"
                     "2. Add yourself as a new user on this phone, with a new PIN.\n"
                     "3. Enroll that new user with the code."),
    "locked_still_sent": ("{n} laporan tersegel miliknya tetap dikirim ke kantor.",
                          "{n} sealed report(s) of theirs are still sent to the office."),
    "nobody_left_title": ("Tidak ada pengguna yang bisa dibuka", "No user can be unlocked"),
    "nobody_left": ("Tambahkan pengguna baru untuk memakai ponsel ini lagi. Laporan yang sudah tersegel "
                    "tetap dikirim.",
                    "Add a new user to use this phone again. Sealed reports are still sent."),
    "change_pin": ("Ganti PIN", "Change PIN"),
    "pin_current": ("PIN sekarang", "Current PIN"),
    "pin_changed": ("PIN sudah diganti.", "The PIN was changed."),
    "app_label": ("Nama aplikasi di layar kunci", "App name on the lock screen"),
    "app_label_hint": ("Nama yang dilihat siapa saja yang memegang ponsel. Nama netral tidak menunjukkan "
                       "gunanya.", "The name anyone holding the phone sees. A neutral one does not say "
                       "what it is for."),
    "app_label_neutral": ("Catatan", "Notes"),
    # ── issue 24: a full phone ───────────────────────────────────────────
    "full_title": ("Memori ponsel penuh", "The phone's storage is full"),
    "full_nothing_lost": ("Tidak ada yang hilang: laporan, draf dan kode rahasia Anda tetap tersimpan di ponsel ini.",
                          "Nothing is lost: your reports, drafts and keys are still stored on this phone."),
    "full_waiting": ("{n} laporan tersegel menunggu dikirim dan akan terkirim setelah ada ruang.",
                     "{n} sealed report(s) are waiting and will be sent once there is room."),
    "full_what_title": ("Yang perlu dilakukan", "What to do"),
    "full_what": ("Hapus foto atau video lama, unduhan, atau aplikasi yang tidak dipakai (perlu sekitar "
                  "{need}), lalu ketuk \"Coba lagi\".",
                  "Delete old photos or videos, downloads, or apps you do not use (about {need} is needed), "
                  "then tap \"Try again\"."),
    "full_dont": ("Jangan hapus aplikasi ini atau datanya, dan jangan pasang ulang: laporan yang belum "
                  "terkirim akan hilang.",
                  "Do not delete this app or its data, and do not reinstall it: reports not yet sent would "
                  "be lost."),
    "full_still": ("Masih penuh (sisa {free}). Hapus lebih banyak, lalu coba lagi.",
                   "Still full ({free} free). Delete more, then try again."),
    "full_tap": ("Perubahan terakhir belum tersimpan; yang sudah tersimpan tetap aman.",
                 "The last change was not saved; what was saved is safe."),
    "full_ok": ("Mengerti", "OK"),
    "full_delete": ("Hapus foto atau video lama, unduhan, atau aplikasi yang tidak dipakai (perlu sekitar "
                    "{need}), lalu ulangi.",
                    "Delete old photos or videos, downloads, or apps you do not use (about {need} is needed), "
                    "then do it again."),
    "space_low": ("Memori ponsel hampir penuh (sisa {free}). Hapus foto, video atau aplikasi yang tidak "
                  "dipakai supaya laporan tetap bisa disimpan.",
                  "The phone's storage is almost full ({free} free). Delete photos, videos or unused apps "
                  "so reports can still be saved."),
    "draft_saved": ("Draf tersimpan", "Draft saved"),
    "space_title": ("Ruang penyimpanan", "Storage space"),
    "space_free": ("Sisa ruang untuk laporan: {free}.", "Room left for reports: {free}."),
    "space_kept": ("Peramban berjanji menyimpan data aplikasi ini tetap, juga saat memori sempit.",
                   "The browser promised to keep this app's data, even when its storage runs low."),
    "space_not_kept": ("Peramban belum berjanji menyimpan data ini tetap: jika memori sempit, peramban bisa "
                       "menghapusnya. Kirim laporan sesering mungkin dan jangan hapus data situs.",
                       "The browser has not promised to keep this data: when storage runs low it may delete "
                       "it. Send reports as often as you can and do not clear site data."),
    "damaged_title": ("Data aplikasi tidak bisa dibuka", "The app's data cannot be opened"),
    "damaged_keep": ("Jangan hapus aplikasi ini atau datanya: mungkin masih ada laporan yang belum terkirim. "
                     "Bawa ponsel ini ke petugas yang mendaftarkan Anda.",
                     "Do not delete this app or its data: there may be reports not yet sent. Take this phone "
                     "to the officer who enrolled you."),
    "retry": ("Coba lagi", "Try again"),
    # ── issue 24: a refused emergency ─────────────────────────────────────
    "emg_refused": ("Laporan darurat Anda ({n}) DITOLAK kantor: jangan menunggu kantor. Jika masih ada "
                    "orang dalam bahaya, telepon 110 (Polisi) atau 112 (Panggilan Darurat) SEKARANG.",
                    "Your emergency report ({n}) was REFUSED by the office: do not wait for the office. If "
                    "someone is still in danger, call 110 (Police) or 112 (Emergency line) NOW."),
    # ── issue 24: defaults are not her answers ────────────────────────────
    "defaults_title": ("Diisi otomatis (belum Anda ubah)", "Filled in for you (not changed by you)"),
    "defaults_hint": ("Nilai awal dari aplikasi. Ketuk \u201cUbah\u201d bila tidak sesuai.",
                      "The app's starting values. Tap \u201cEdit\u201d if they are not right."),
    # ── issue 24: a failed sync is a warning, with the next try ───────────
    "sync_next_try": ("Dicoba lagi otomatis sekitar pukul {when}, atau segera setelah sinyal kembali.",
                      "Tried again automatically at about {when}, or as soon as the signal is back."),
    "sync_retry_auto": ("Dicoba lagi otomatis dalam beberapa menit, atau segera setelah sinyal kembali.",
                        "Tried again automatically within a few minutes, or as soon as the signal is back."),
    "emg_received": ("Laporan darurat sudah DITERIMA kantor ({when}). Petugas melihatnya di layar darurat.",
                     "The emergency report was RECEIVED by the office ({when}). Staff see it on their emergency banner."),
    # courier mode (fieldapp/ui/courier.py): no signal for days, the reports travel in a file
    "courier_title": ("Tidak ada sinyal? Kirim lewat kurir", "No signal? Send by courier"),
    "courier_hint": ("Laporan yang menunggu disimpan ke satu file tersegel. Berikan file itu kepada orang "
                     "yang pergi ke kota (kepala desa, perahu, hari pasar) untuk diserahkan ke kantor "
                     "Imigrasi. Tidak ada yang bisa membaca isinya. Laporan tetap di ponsel ini sampai "
                     "tanda terima dari kantor kembali.",
                     "Waiting reports are saved into one locked file. Give it to someone going to town "
                     "(the village head, a boat, market day) to hand in at the immigration office. Nobody "
                     "can read what is inside. The reports stay on this phone until the office's receipt "
                     "comes back."),
    "courier_send": ("Kirim lewat kurir", "Send by courier"),
    "courier_none": ("Tidak ada laporan yang menunggu dikirim.", "No report is waiting to be sent."),
    "courier_saved": ("{n} laporan disimpan ke file {name}. Berikan file ini kepada kurir.",
                      "{n} report(s) saved to the file {name}. Give this file to the courier."),
    "courier_receipts": ("Masukkan tanda terima dari kantor", "Read the office's receipts"),
    "courier_receipts_done": ("{n} laporan sudah diterima kantor.", "{n} report(s) received by the office."),
    "courier_receipts_none": ("Tanda terima ini tidak mengubah apa pun di ponsel ini.",
                              "These receipts change nothing on this phone."),
    "courier_carry": ("Bawa file kurir dari ponsel lain", "Carry a courier file from another phone"),
    "courier_carried": ("{n} laporan dari ponsel lain ikut dikirim saat ada sinyal.",
                        "{n} report(s) from another phone will be sent with yours when there is signal."),
    "courier_answered": ("Kantor sudah menjawab {n} laporan yang Anda bawa untuk ponsel lain.",
                         "The office answered {n} report(s) you carried for other phones."),
    "courier_give_back": ("Simpan tanda terima untuk dibawa kembali", "Save the receipts to take back"),
    "courier_given_back": ("{n} tanda terima disimpan ke file {name}. Berikan kepada pemilik laporan.",
                           "{n} receipt(s) saved to the file {name}. Give it to the reports' owners."),
    "courier_reading": ("Membaca file…", "Reading the file…"),
    "courier_waiting": ("{n} laporan dibawa kurir, menunggu tanda terima",
                        "{n} report(s) with the courier, waiting for the receipt"),
    "state_courier": ("Dibawa kurir, menunggu tanda terima", "With the courier, waiting for the receipt"),
    "state_courier_since": ("Lewat kurir sejak {day}", "Left by courier on {day}"),
}

# Engine / core messages that reach the UI in English: shown translated instead.
CODE_MESSAGES: dict[str, tuple[str, str]] = {
    "not_enrolled": S["not_enrolled"],
    "courier_invalid": ("ini bukan file kurir Jaga Desa", "this is not a Jaga Desa courier file"),
    "courier_wrong_office": ("file ini untuk kantor lain", "this file is for another office"),
    "courier_damaged": ("sebagian file rusak; yang utuh sudah dibaca", "part of the file is damaged; what was whole was read"),
    "sync_failed": ("tidak ada sambungan ke kantor", "no connection to the office"),
    "unauthorized": ("ponsel tidak dikenal kantor", "the office does not know this phone"),
    "revoked": ("pengguna atau ponsel dicabut oleh kantor", "user or phone revoked by the office"),
    "enroll_code_invalid": ("kode tidak dikenal", "unknown code"),
    "enroll_code_used": ("kode sudah dipakai", "the code was already used"),
    "enroll_code_expired": ("kode sudah kedaluwarsa; minta kode baru", "the code expired; ask for a new one"),
    "no_connection": ("tidak ada sambungan ke kantor", "no connection to the office"),
    "not_enrolled_short": ("ponsel belum terdaftar", "the phone is not enrolled"),
    "report_unreadable": ("catatan laporan ini diubah di HP; tidak bisa dibalas",
                          "this report's record was changed on the phone; it cannot be answered"),
    "note_too_long": ("catatan terlalu panjang (paling banyak 2000 huruf)", "the note is too long (2000 characters at most)"),
    "reply_empty": ("tulis balasan dulu", "write a reply first"),
    "reply_too_long": ("balasan terlalu panjang (paling banyak 2000 huruf)", "the reply is too long (2000 characters at most)"),
    "storage_full": ("memori ponsel penuh; tidak ada yang berubah", "the phone's storage is full; nothing changed"),
    "office_identity_mismatch": ("kode rahasia kantor tidak cocok dengan sidik jari pada kode: ditolak",
                                 "the office's keys do not match the fingerprint in the code: refused"),
    "office_untrusted": ("jawaban kantor tidak dapat diverifikasi: ditolak",
                         "the office's answer cannot be verified: refused"),
    "enroll_ticket_invalid": ("kode atau sidik jari kantor tidak lengkap/tidak terbaca",
                              "the code or the office fingerprint is missing or unreadable"),
    "insecure_transport": ("alamat kantor harus https://", "the office address must be https://"),
    "receipt_untrusted": ("server yang dihubungi bukan kantor yang disematkan; tidak ada yang dihapus — buka kunci "
                          "untuk memeriksa", "the server reached is not the pinned office; nothing was removed — "
                          "unlock to check"),
    "tls_pin_mismatch": ("sertifikat kantor tidak cocok: ditolak", "the office's certificate does not match: refused"),
    "refusal_untrusted": ("penolakan tanpa tanda tangan kantor: diabaikan, dikirim lagi nanti",
                          "a refusal the office did not sign: ignored, sent again later"),
    "quota_exceeded": ("kiriman ponsel ini untuk hari ini sudah penuh; sisanya dikirim besok, tidak ada yang hilang",
                       "this phone has sent all the office takes from one phone today; the rest goes tomorrow, "
                       "nothing is lost"),
    "rate_limited": ("ponsel ini mengirim terlalu cepat; dicoba lagi nanti", "this phone is sending too fast; "
                     "trying again later"),
}


def t(key: str, lang: str = DEFAULT, **kw: object) -> str:
    pair = S[key]
    text = pair[1] if lang == "en" else pair[0]
    return text.format(**kw) if kw else text


def error_text(exc: BaseException, lang: str) -> str:
    """A core error in the user's language when its code is known, else its own message."""
    from core.errors import ApiError, OfficeError, SyncError
    code = getattr(exc, "code", None)
    if code in CODE_MESSAGES or (code and isinstance(exc, (ApiError, OfficeError, SyncError))) \
            or type(exc).__name__ == "SyncStopped":
        return code_text(code, lang)
    return getattr(exc, "message", None) or str(exc) or type(exc).__name__


def code_text(code: str, lang: str) -> str:
    """A stable error code (core.errors, the office API, a sync round) in the user's language."""
    if code == "not_enrolled":
        code = "not_enrolled_short"
    if code in CODE_MESSAGES:
        return CODE_MESSAGES[code][1 if lang == "en" else 0]
    return t("office_refused", lang, code=code)


def size_text(n: int, lang: str = DEFAULT) -> str:
    """A size as a person reads it in her language: "10,0 GB" and "1.536,5 MB" in Indonesian
    (comma for decimals, dot for thousands), "10.0 GB" in English; never "10240.0 MB"."""
    if n < 1024 * 1024:
        return f"{max(1, round(n / 1024))} KB"
    value, unit = (n / 1024 ** 3, "GB") if n >= 1024 ** 3 else (n / 1024 ** 2, "MB")
    text = f"{value:,.1f}"
    if lang != "en":
        text = text.translate(str.maketrans({",": ".", ".": ","}))
    return f"{text} {unit}"
