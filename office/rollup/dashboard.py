"""`jaga-desa rollup dashboard`: the regional / national picture, read-only, aggregate first.

A small web page on the region's (or the national) database: weekly counts per office x
kecamatan x ISO week, counts per form and category, then the cross-office signals
(signals.cross_office) — kinds, offices, kecamatan, weeks and report pseudonyms, never a
value — and the EARS C2 rises per office x kecamatan of this week and the recent complete
weeks, each naming its week, newest first (signals.weekly_spikes). It is not the office dashboard: the region database holds no staff table, no
reports and no keys, so there is nothing here to triage and nothing to open.

Login = a PostgreSQL login of the region's cluster that is a member of `jaga_viewer`
(`CREATE ROLE analis_kaltara LOGIN PASSWORD '…' IN ROLE jaga_viewer`): PostgreSQL checks
the password (SCRAM), and what the page can read is what that role was granted — SELECT
on the three views, nothing else. The page keeps the login's connection pool for the
session (in memory, never on disk). Sessions: random token in an HttpOnly, SameSite=Strict
cookie, 8 h absolute / 1 h idle; the login form carries a double-submit CSRF token;
failed logins are throttled per source address.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from core import localtime
from office.dashboard.auth import same
from office.dashboard.web import SECURITY_HEADERS
from office.warning.config import WarningConfig

from . import freshness, labels, signals
from .setup import VIEWER

COOKIE, PRE_CSRF = "jr_session", "jr_login_csrf"
ABSOLUTE, IDLE = 8 * 3600, 3600
FREE_FAILURES, FAIL_WINDOW = 5, 900          # failed logins per source before it must wait

T = {
    "id": {
           "fresh": "Kesegaran data per kantor", "status": "Status", "last_heard": "Terakhir terhubung",
           "newest": "Perubahan terbaru", "running": "berjalan", "stopped": "BERHENTI", "late": "TERTINGGAL",
           "never": "belum pernah", "ago": "{n} menit lalu",
           "stale_alert": "Angka {offices} mungkin tertinggal: data terakhir diterima {when}. Hubungi teknisi kantor itu.",
           "generated": "Halaman dibuat", "csv": "Unduh CSV (jumlah per minggu)",
           "showing": "Menampilkan {a}–{b} dari {n}, yang paling luas (kantor terbanyak, laporan terbanyak) di atas.",
           "prev": "« Sebelumnya", "next": "Berikutnya »", "pages": "Halaman sinyal",
           "title": "Gambaran wilayah (roll-up)", "login": "Masuk", "user": "Nama pengguna (login basis data wilayah)",
           "password": "Kata sandi", "logout": "Keluar", "updated": "Diperbarui", "weekly": "Jumlah laporan per minggu",
           "office": "Kantor", "kecamatan": "Kecamatan", "week": "Minggu ISO (UTC)", "reports": "Laporan",
           "bycat": "Per jenis dan kategori", "form": "Jenis", "category": "Kategori",
           "signals": "Sinyal lintas kantor", "window": "Jangka waktu (hari)", "show": "Tampilkan",
           "kind": "Jenis pengenal", "offices": "Kantor", "weeks": "Minggu", "pseudonyms": "ID pseudonim laporan",
           "first_last": "Pertama – terakhir (UTC)", "none": "Tidak ada sinyal lintas kantor dalam jangka ini.",
           "nodata": "Belum ada laporan.", "bad_login": "Login ditolak: nama pengguna atau kata sandi salah, "
           "atau login ini bukan anggota peran pembaca.", "slow": "Terlalu banyak percobaan gagal. Coba lagi nanti.",
           "db_down": "Basis data wilayah tidak dapat dihubungi sekarang.", "ref": "Rujukan",
           "note": "Hanya agregat dan kunci pseudonim: tidak ada nama, nomor, teks, atau lokasi tepat. "
                   "Kantor pengirim dapat menemukan laporannya dari ID pseudonim.",
           "spikes": "Lonjakan laporan mingguan (EARS C2)", "mean": "Rata-rata dasar",
           "c2": "C2 (ambang)", "no_spikes": "Tidak ada lonjakan minggu ini maupun {recent} minggu sebelumnya.",
           "spike_note": "Minggu ini dan {recent} minggu penuh sebelumnya, terbaru di atas: jumlah setiap minggu "
                         "per kantor dan kecamatan dibandingkan dengan {base} minggu sebelum minggu itu (tanpa "
                         "{guard} minggu tepat sebelumnya); sinyal bila C2 di atas ambang dan minimal {min} "
                         "laporan. Petunjuk, bukan tuduhan.",
           "lang": "English", "lang_label": "Bahasa / Language", "level": "Tingkat",
           "kinds": {"phone": "nomor telepon", "handle": "akun media sosial", "plate": "nomor polisi",
                     "boat": "nama kapal", "name": "nama orang", "place": "tempat berangkat"}},
    "en": {
           "fresh": "How fresh each office's data is", "status": "Status", "last_heard": "Last heard from",
           "newest": "Newest change", "running": "running", "stopped": "STOPPED", "late": "BEHIND",
           "never": "never", "ago": "{n} min ago",
           "stale_alert": "{offices} figures may be behind: data last received {when}. Call that office's engineer.",
           "generated": "Page made", "csv": "Download CSV (counts per week)",
           "showing": "Showing {a}–{b} of {n}, the widest (most offices, most reports) first.",
           "prev": "« Previous", "next": "Next »", "pages": "Signal pages",
           "title": "Regional picture (roll-up)", "login": "Log in", "user": "User name (regional database login)",
           "password": "Password", "logout": "Log out", "updated": "Updated", "weekly": "Reports per week",
           "office": "Office", "kecamatan": "Sub-district", "week": "ISO week (UTC)", "reports": "Reports",
           "bycat": "By form and category", "form": "Form", "category": "Category",
           "signals": "Cross-office signals", "window": "Window (days)", "show": "Show",
           "kind": "Identifier kind", "offices": "Offices", "weeks": "Weeks", "pseudonyms": "Report pseudonyms",
           "first_last": "First – last (UTC)", "none": "No cross-office signal in this window.",
           "nodata": "No reports yet.", "bad_login": "Login refused: wrong user name or password, "
           "or this login is not a member of the reader role.", "slow": "Too many failed attempts. Try again later.",
           "db_down": "The regional database cannot be reached right now.", "ref": "Reference",
           "note": "Aggregates and pseudonymous keys only: no names, numbers, text or exact places. "
                   "The filing office can find its report from the pseudonym.",
           "spikes": "Weekly rise in reports (EARS C2)", "mean": "Baseline mean",
           "c2": "C2 (threshold)", "no_spikes": "No rise in reports this week or the {recent} weeks before.",
           "spike_note": "This week and the {recent} complete weeks before it, newest first: each week's count "
                         "per office and sub-district against the {base} weeks before that week (leaving out "
                         "the {guard} just before it); a signal when C2 is above the threshold and there are "
                         "at least {min} reports. A lead, never an accusation.",
           "lang": "Bahasa Indonesia", "lang_label": "Bahasa / Language", "level": "Level",
           "kinds": {"phone": "phone number", "handle": "social-media account", "plate": "vehicle plate",
                     "boat": "boat name", "name": "person's name", "place": "departure point"}},
}

PAGE = Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")), autoescape=True)\
    .get_template("region.html")
PAGE_SIZE = 20               # signals per page, widest first


@dataclass
class Session:
    user: str
    engine: Engine
    csrf: str
    started: float = field(default_factory=time.monotonic)
    seen: float = field(default_factory=time.monotonic)


def make_app(db_url: str, *, zone: str | None = None, days: int = signals.DEFAULT_DAYS,
             warning: WarningConfig | None = None) -> FastAPI:
    """`db_url`: the region (or national) database, without credentials (the login gives them).
    `warning`: the early-warning settings for the weekly-spike rule (the office defaults)."""
    warning = warning or WarningConfig()
    base = make_url(db_url).set(username=None, password=None)
    zone_name = localtime.zone(zone)
    sessions: dict[str, Session] = {}
    failures: dict[str, list[float]] = {}
    lock = threading.Lock()
    app = FastAPI(title="Jaga Desa roll-up", docs_url=None, redoc_url=None, openapi_url=None)

    def lang_of(request: Request) -> str:
        return "en" if request.query_params.get("lang") == "en" else "id"

    def session_of(request: Request) -> Session | None:
        token = request.cookies.get(COOKIE, "")
        now = time.monotonic()
        with lock:
            s = sessions.get(token)
            if s is None:
                return None
            if now - s.started > ABSOLUTE or now - s.seen > IDLE:
                sessions.pop(token, None)
                s.engine.dispose()
                return None
            s.seen = now
            return s

    def page(request: Request, status: int = 200, **ctx) -> HTMLResponse:
        lang = lang_of(request)
        names = ctx.pop("names", {})
        body = PAGE.render(lang=lang, t=T[lang], database=base.database, kec=labels.kecamatan, cfg=warning,
                           date=lambda d: localtime.date_text(d, lang), office=lambda c: names.get(c, c),
                           form=lambda f: labels.form(f, lang), category=lambda c: labels.category(c, lang), **ctx)
        resp = HTMLResponse(body, status_code=status)
        resp.headers.update(SECURITY_HEADERS)     # the office dashboard's, but for the inline style sheet
        resp.headers["Content-Security-Policy"] = SECURITY_HEADERS["Content-Security-Policy"].replace(
            "style-src 'self'", "style-src 'unsafe-inline'")
        return resp

    def login_page(request: Request, error: str | None = None, status: int = 200) -> HTMLResponse:
        token = request.cookies.get(PRE_CSRF) or secrets.token_urlsafe(32)
        resp = page(request, status, user=None, csrf=token, error=error, days=None)
        resp.set_cookie(PRE_CSRF, token, httponly=True, samesite="strict")
        return resp

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request) -> Response:
        s = session_of(request)
        if s is None:
            return login_page(request)
        lang = lang_of(request)
        try:
            window = max(1, min(366, int(request.query_params.get("days", days))))
        except ValueError:
            window = days
        try:
            page_no = max(1, min(10_000, int(request.query_params.get("halaman", 1))))
        except ValueError:
            page_no = 1
        now = dt.datetime.now(dt.timezone.utc)
        ctx = dict(user=s.user, csrf=s.csrf, days=window, now_utc=now.isoformat(timespec="seconds"),
                   now_local=localtime.format(now, zone_name, lang), error=None, weekly=[], bycat=[], cross=[],
                   spikes=[], fresh=[], stale=[], pages=1, page_no=1, total=0)
        try:
            with s.engine.connect() as conn:
                cross = signals.ranked(signals.cross_office(conn, days=window, today=now.date()))
                ctx.update(weekly=signals.weekly(conn), bycat=signals.by_category(conn),
                           spikes=signals.weekly_spikes(conn, config=warning, today=now.date()),
                           fresh=[_fresh_row(f, now, zone_name, lang) for f in freshness.read(conn)],
                           names=labels.offices(conn.execute(text(
                               "SELECT office_code, kode_kecamatan FROM public.share_weekly")).all()))
        except SQLAlchemyError:
            ctx["error"] = T[lang]["db_down"]
        else:
            pages = max(1, -(-len(cross) // PAGE_SIZE))
            page_no = min(page_no, pages)
            shown = cross[(page_no - 1) * PAGE_SIZE:page_no * PAGE_SIZE]
            late = [f for f in ctx["fresh"] if f["stale"]]
            ctx.update(cross=shown, pages=pages, page_no=page_no, total=len(cross),
                       first_shown=(page_no - 1) * PAGE_SIZE + 1, last_shown=(page_no - 1) * PAGE_SIZE + len(shown),
                       stale=[ctx["names"].get(f["office"], f["office"]) for f in late],
                       stale_when=", ".join(f["last_heard_local"] or T[lang]["never"] for f in late))
        return page(request, **ctx)

    @app.get("/ekspor.csv")
    def export(request: Request) -> Response:
        """The weekly counts with labels (and codes), for a spreadsheet; formula-like cells neutralised."""
        s = session_of(request)
        if s is None:
            return login_page(request, status=401)
        lang = lang_of(request)
        try:
            with s.engine.connect() as conn:
                rows = conn.execute(text("SELECT week, office_code, kode_kecamatan, form_id, category, reports "
                                         "FROM public.share_weekly ORDER BY week DESC, office_code, kode_kecamatan, "
                                         "form_id, category")).all()
        except SQLAlchemyError:
            return page(request, 503, user=s.user, csrf=s.csrf, error=T[lang]["db_down"], days=None)
        return Response(weekly_csv(rows, lang), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="rollup-{base.database}-mingguan.csv"',
            "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})

    @app.post("/masuk")
    def login(request: Request, user: str = Form(...), password: str = Form(...), csrf: str = Form("")) -> Response:
        t = T[lang_of(request)]
        source = request.client.host if request.client else "?"
        now = time.monotonic()
        with lock:
            recent = [f for f in failures.get(source, []) if now - f < FAIL_WINDOW]
            failures[source] = recent
        if len(recent) >= FREE_FAILURES:
            return login_page(request, t["slow"], 429)
        if not csrf or not same(csrf, request.cookies.get(PRE_CSRF)):
            return login_page(request, t["bad_login"], 403)
        eng = create_engine(base.set(username=user[:63], password=password), pool_size=2, max_overflow=0,
                            pool_pre_ping=True)
        try:
            with eng.connect() as conn:
                member = conn.execute(text("SELECT pg_has_role(current_user, :r, 'USAGE')"), {"r": VIEWER}).scalar()
        except (OperationalError, SQLAlchemyError, ValueError, UnicodeError):   # bad login, odd bytes
            member = False
        if not member:
            eng.dispose()
            with lock:
                failures.setdefault(source, []).append(now)
            return login_page(request, t["bad_login"], 403)
        token = secrets.token_urlsafe(32)
        with lock:
            sessions[token] = Session(user[:63], eng, secrets.token_urlsafe(32))
        resp = RedirectResponse(f"/?lang={lang_of(request)}", status_code=303)
        resp.set_cookie(COOKIE, token, httponly=True, samesite="strict")
        resp.delete_cookie(PRE_CSRF)
        return resp

    @app.post("/keluar")
    def logout(request: Request, csrf: str = Form("")) -> Response:
        s = session_of(request)
        if s is not None and same(csrf, s.csrf):
            with lock:
                sessions.pop(request.cookies.get(COOKIE, ""), None)
            s.engine.dispose()
        resp = RedirectResponse(f"/?lang={lang_of(request)}", status_code=303)
        resp.delete_cookie(COOKIE)
        return resp

    @app.get("/healthz")
    def healthz() -> dict:
        return {"ok": True}

    return app


def _fresh_row(f: freshness.Freshness, now: dt.datetime, zone, lang: str) -> dict:
    show = lambda v: localtime.format(v, zone, lang) if v else None    # noqa: E731
    gap = f.behind(now)
    return {"office": f.office, "running": f.running, "stale": f.stale(now), "reports": f.reports,
            "last_heard": f.last_heard, "last_heard_local": show(f.last_heard),
            "last_heard_utc": f.last_heard.isoformat(timespec="seconds") if f.last_heard else None,
            "minutes": int(gap.total_seconds() // 60) if gap is not None else None,
            "newest": f.newest, "newest_local": show(f.newest),
            "newest_utc": f.newest.isoformat(timespec="seconds") if f.newest else None}


CSV_HEAD = {"id": ("Minggu ISO", "Kantor", "Kode kecamatan", "Kecamatan", "Jenis", "Kategori", "Laporan"),
            "en": ("ISO week", "Office", "Sub-district code", "Sub-district", "Form", "Category", "Reports")}


def weekly_csv(rows, lang: str) -> bytes:
    from office.dashboard.exports import neutral
    names = labels.offices((r.office_code, r.kode_kecamatan) for r in rows)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_HEAD[lang])
    for r in rows:
        w.writerow([neutral(v) for v in (r.week, names.get(r.office_code, r.office_code), r.kode_kecamatan or "",
                                         labels.kecamatan(r.kode_kecamatan), labels.form(r.form_id, lang),
                                         labels.category(r.category, lang), r.reports)])
    return buf.getvalue().encode("utf-8-sig")      # BOM: Excel opens Indonesian text correctly


def serve(db: str, *, host: str = "127.0.0.1", port: int = 8780, zone: str | None = None,
          days: int = signals.DEFAULT_DAYS, warning: WarningConfig | None = None) -> int:
    import uvicorn
    print(f"roll-up dashboard on http://{host}:{port}/ (database {make_url(db).database})", flush=True)
    uvicorn.run(make_app(db, zone=zone, days=days, warning=warning), host=host, port=port, log_level="warning")
    return 0
