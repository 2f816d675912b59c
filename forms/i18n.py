"""Languages, translated texts and the engine's own messages (Bahasa Indonesia + English)."""
from __future__ import annotations

import datetime as _dt

LANGS = ("id", "en")
DEFAULT_LANG = "id"


def norm_lang(lang: str | None) -> str:
    """'en', 'EN', 'en-US', 'en_GB' -> 'en'; anything unsupported -> 'id' (the default)."""
    if not lang:
        return DEFAULT_LANG
    base = str(lang).replace("_", "-").split("-")[0].lower()
    return base if base in LANGS else DEFAULT_LANG


# Engine messages. Placeholders are filled with str.format.
MESSAGES: dict[str, dict[str, str]] = {
    "required": {"id": "Wajib diisi", "en": "Required"},
    "unknown_field": {"id": "Bukan pertanyaan di formulir ini", "en": "Not a question on this form"},
    "not_object": {"id": "Jawaban harus berupa objek JSON", "en": "Answers must be a JSON object"},
    "note_answer": {"id": "Bagian ini tidak perlu diisi", "en": "This item takes no answer"},
    "type_text": {"id": "Harus berupa teks", "en": "Must be text"},
    "type_integer": {"id": "Harus bilangan bulat", "en": "Must be a whole number"},
    "type_decimal": {"id": "Harus berupa angka", "en": "Must be a number"},
    "type_date": {"id": "Tanggal tidak valid (TTTT-BB-HH)", "en": "Invalid date (YYYY-MM-DD)"},
    "type_datetime": {"id": "Waktu tidak valid (TTTT-BB-HHTjj:mm)",
                      "en": "Invalid date and time (YYYY-MM-DDTHH:MM)"},
    "type_choice": {"id": "Pilihan tidak valid", "en": "Invalid choice"},
    "type_choices": {"id": "Harus berupa daftar pilihan", "en": "Must be a list of choices"},
    "duplicate_choice": {"id": "Pilihan tidak boleh dobel", "en": "A choice is listed twice"},
    "type_geopoint": {"id": "Lokasi tidak valid", "en": "Invalid location"},
    "lat_range": {"id": "Lintang harus antara -90 dan 90", "en": "Latitude must be between -90 and 90"},
    "lon_range": {"id": "Bujur harus antara -180 dan 180", "en": "Longitude must be between -180 and 180"},
    "accuracy": {"id": "Akurasi lokasi tidak valid", "en": "Invalid location accuracy"},
    "type_photo": {"id": "Foto tidak valid", "en": "Invalid photo"},
    "duplicate_photo": {"id": "Foto yang sama dilampirkan dua kali", "en": "The same photo is attached twice"},
    "type_audio": {"id": "Rekaman suara tidak valid", "en": "Invalid voice recording"},
    "duplicate_audio": {"id": "Rekaman yang sama dilampirkan dua kali", "en": "The same recording is attached twice"},
    "between": {"id": "Harus antara {min} dan {max}", "en": "Must be between {min} and {max}"},
    "min": {"id": "Paling sedikit {min}", "en": "Must be at least {min}"},
    "max": {"id": "Paling banyak {max}", "en": "Must be at most {max}"},
    "date_between": {"id": "Harus antara {min} dan {max}", "en": "Must be between {min} and {max}"},
    "date_min": {"id": "Tidak boleh sebelum {min}", "en": "Must not be before {min}"},
    "date_max": {"id": "Tidak boleh sesudah {max}", "en": "Must not be after {max}"},
    "future": {"id": "Tidak boleh di masa depan (sekarang {now})", "en": "Cannot be in the future (now {now})"},
    "min_length": {"id": "Terlalu pendek (paling sedikit {n} huruf)", "en": "Too short (at least {n} characters)"},
    "max_length": {"id": "Terlalu panjang (paling banyak {n} huruf)", "en": "Too long (at most {n} characters)"},
    "regex": {"id": "Format tidak sesuai", "en": "Invalid format"},
    "min_choices": {"id": "Pilih paling sedikit {n}", "en": "Choose at least {n}"},
    "max_choices": {"id": "Pilih paling banyak {n}", "en": "Choose at most {n}"},
    "min_photos": {"id": "Lampirkan paling sedikit {n} foto", "en": "Attach at least {n} photo(s)"},
    "max_photos": {"id": "Paling banyak {n} foto", "en": "At most {n} photos"},
    "min_recordings": {"id": "Lampirkan paling sedikit {n} rekaman suara", "en": "Attach at least {n} recording(s)"},
    "max_recordings": {"id": "Paling banyak {n} rekaman suara", "en": "At most {n} recording(s)"},
    "max_field": {"id": "Tidak boleh lebih dari \u201c{label}\u201d ({max})",
                  "en": "Cannot be more than \u201c{label}\u201d ({max})"},
    "type_repeat": {"id": "Harus berupa daftar isian", "en": "Must be a list of entries"},
    "min_count": {"id": "Isi paling sedikit {n} data", "en": "Add at least {n} entries"},
    "max_count": {"id": "Paling banyak {n} data", "en": "At most {n} entries"},
    # summary / show
    "photos": {"id": "{n} foto", "en": "{n} photo(s)"},
    "recordings": {"id": "{n} rekaman suara", "en": "{n} voice recording(s)"},
    "yes": {"id": "ya", "en": "yes"},
    "no": {"id": "tidak", "en": "no"},
    "shown_when": {"id": "tampil jika", "en": "shown when"},
    "required_mark": {"id": "wajib", "en": "required"},
}


def msg(key: str, lang: str, **kw: object) -> str:
    text = MESSAGES[key][norm_lang(lang)]
    return text.format(**{k: fmt_value(v, lang) for k, v in kw.items()})


def fmt_value(v: object, lang: str) -> str:
    """Numbers as people write them: Indonesian uses a decimal comma."""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        s = f"{v:g}" if abs(v) < 1e15 else repr(v)
        return s.replace(".", ",") if norm_lang(lang) == "id" else s
    if isinstance(v, int) and v.bit_length() > 14_000:     # str() refuses ints over 4300 digits
        return f"{'-' if v < 0 else ''}10^{int(v.bit_length() * 0.30103)}"
    return str(v)


MONTHS = {
    "id": ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
           "September", "Oktober", "November", "Desember"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
}


def fmt_date(d: _dt.date, lang: str) -> str:
    return f"{d.day} {MONTHS[norm_lang(lang)][d.month - 1]} {d.year}"


def fmt_datetime(d: _dt.datetime, lang: str) -> str:
    hm = f"{d.hour:02d}:{d.minute:02d}" + (f":{d.second:02d}" if d.second else "")
    return f"{fmt_date(d.date(), lang)} {hm}"
