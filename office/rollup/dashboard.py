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

import datetime as dt
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from core import localtime
from office import regions
from office.warning.config import WarningConfig

from . import signals
from .setup import VIEWER

COOKIE, PRE_CSRF = "jr_session", "jr_login_csrf"
ABSOLUTE, IDLE = 8 * 3600, 3600
FREE_FAILURES, FAIL_WINDOW = 5, 900          # failed logins per source before it must wait

T = {
    "id": {"title": "Gambaran wilayah (roll-up)", "login": "Masuk", "user": "Nama pengguna (login basis data wilayah)",
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
    "en": {"title": "Regional picture (roll-up)", "login": "Log in", "user": "User name (regional database login)",
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

PAGE = Environment(autoescape=True).from_string("""<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ t.title }} – {{ database }}</title>
<style>body{font-family:system-ui,sans-serif;margin:1rem 2rem;max-width:70rem}table{border-collapse:collapse;margin:.5rem 0 1.5rem}
td,th{border:1px solid #999;padding:.25rem .5rem;text-align:left;vertical-align:top}th{background:#eee}
.alert{background:#fde2e2;border:1px solid #b00;padding:.5rem}.note{color:#333}code{font-size:.9em}
label{display:block;margin:.5rem 0 .2rem}nav{display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
.wide{overflow-x:auto;max-width:100%}td code{word-break:break-all}h1{overflow-wrap:anywhere}
@media (max-width:600px){body{margin:.5rem}td,th{padding:.2rem .3rem;font-size:.9rem}}</style></head><body>
<header><nav aria-label="{{ t.lang_label }}">
<h1>{{ t.title }} <small>({{ t.level }}: <code>{{ database }}</code>)</small></h1>
<a href="?lang={{ 'en' if lang == 'id' else 'id' }}{% if days %}&amp;days={{ days }}{% endif %}" hreflang="{{ 'en' if lang == 'id' else 'id' }}">{{ t.lang }}</a>
{% if user %}<form method="post" action="/keluar?lang={{ lang }}"><input type="hidden" name="csrf" value="{{ csrf }}">
<button type="submit">{{ t.logout }} ({{ user }})</button></form>{% endif %}
</nav></header><main>
{% if error %}<p class="alert" role="alert">{{ error }}</p>{% endif %}
{% if not user %}
<form method="post" action="/masuk?lang={{ lang }}">
<input type="hidden" name="csrf" value="{{ csrf }}">
<label for="user">{{ t.user }}</label><input id="user" name="user" autocomplete="username" required>
<label for="password">{{ t.password }}</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<p><button type="submit">{{ t.login }}</button></p></form>
{% else %}
<p>{{ t.updated }}: <time datetime="{{ now_utc }}">{{ now_local }}</time></p>
<p class="note">{{ t.note }}</p>
<section aria-labelledby="h-weekly"><h2 id="h-weekly">{{ t.weekly }}</h2>
{% if weekly %}<div class="wide"><table><thead><tr><th scope="col">{{ t.week }}</th><th scope="col">{{ t.office }}</th><th scope="col">{{ t.kecamatan }}</th><th scope="col">{{ t.reports }}</th></tr></thead><tbody>
{% for r in weekly %}<tr><td>{{ r.week }}</td><td>{{ r.office_code }}</td><td>{{ kec(r.kode_kecamatan) }}</td><td class="n">{{ r.reports }}</td></tr>{% endfor %}
</tbody></table></div>{% else %}<p>{{ t.nodata }}</p>{% endif %}</section>
<section aria-labelledby="h-cat"><h2 id="h-cat">{{ t.bycat }}</h2>
{% if bycat %}<div class="wide"><table><thead><tr><th scope="col">{{ t.office }}</th><th scope="col">{{ t.form }}</th><th scope="col">{{ t.category }}</th><th scope="col">{{ t.reports }}</th></tr></thead><tbody>
{% for r in bycat %}<tr><td>{{ r.office_code }}</td><td>{{ r.form_id }}</td><td>{{ r.category or '–' }}</td><td>{{ r.reports }}</td></tr>{% endfor %}
</tbody></table></div>{% else %}<p>{{ t.nodata }}</p>{% endif %}</section>
<section aria-labelledby="h-sig"><h2 id="h-sig">{{ t.signals }}</h2>
<form method="get" action="/"><input type="hidden" name="lang" value="{{ lang }}">
<label for="days">{{ t.window }}</label><input id="days" name="days" type="number" min="1" max="366" value="{{ days }}">
<button type="submit">{{ t.show }}</button></form>
{% if cross %}<div class="wide"><table id="signals"><thead><tr><th scope="col">{{ t.ref }}</th><th scope="col">{{ t.kind }}</th><th scope="col">{{ t.offices }}</th><th scope="col">{{ t.kecamatan }}</th>
<th scope="col">{{ t.weeks }}</th><th scope="col">{{ t.first_last }}</th><th scope="col">{{ t.pseudonyms }}</th></tr></thead><tbody>
{% for s in cross %}<tr><td><code>{{ s.ref }}</code></td><td>{{ t.kinds.get(s.kind, s.kind) }}</td><td>{{ s.offices|join(', ') }}</td>
<td>{% for k in s.kecamatan %}{{ kec(k) }}{% if not loop.last %}<br>{% endif %}{% endfor %}</td><td>{{ s.weeks|join(', ') }}</td>
<td>{{ date(s.first) }} – {{ date(s.last) }}</td><td>{% for p in s.reports %}<code>{{ p }}</code>{% if not loop.last %}<br>{% endif %}{% endfor %}</td></tr>{% endfor %}
</tbody></table></div>{% else %}<p>{{ t.none }}</p>{% endif %}</section>
<section aria-labelledby="h-spike"><h2 id="h-spike">{{ t.spikes }}</h2>
<p class="note">{{ t.spike_note.format(base=cfg.spike_baseline_weeks, guard=cfg.spike_guard_weeks, min=cfg.spike_min_count, recent=cfg.spike_recent_weeks) }}</p>
{% if spikes %}<div class="wide"><table id="spikes"><thead><tr><th scope="col">{{ t.week }}</th><th scope="col">{{ t.office }}</th><th scope="col">{{ t.kecamatan }}</th>
<th scope="col">{{ t.reports }}</th><th scope="col">{{ t.mean }}</th><th scope="col">{{ t.c2 }}</th></tr></thead><tbody>
{% for s in spikes %}<tr><td>{{ s.week }}</td><td>{{ s.office }}</td><td>{{ kec(s.kecamatan) }}</td><td class="spike">{{ s.reports }}</td>
<td>{{ s.mean }}</td><td>{{ s.c2 }} (&gt; {{ s.threshold }})</td></tr>{% endfor %}
</tbody></table></div>{% else %}<p>{{ t.no_spikes.format(recent=cfg.spike_recent_weeks) }}</p>{% endif %}</section>
{% endif %}
</main></body></html>""")


@dataclass
class Session:
    user: str
    engine: Engine
    csrf: str
    started: float = field(default_factory=time.monotonic)
    seen: float = field(default_factory=time.monotonic)


def kecamatan_label(code: str | None) -> str:
    if not code:
        return "–"
    try:
        return f"{regions.get(code).name} ({code})"
    except Exception:   # noqa: BLE001 - a code outside the shipped (partial) list shows as the code
        return code


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
        body = PAGE.render(lang=lang, t=T[lang], database=base.database, kec=kecamatan_label, cfg=warning,
                           date=lambda d: localtime.date_text(d, lang), **ctx)
        resp = HTMLResponse(body, status_code=status)
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"
        resp.headers["X-Frame-Options"] = "DENY"
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
        now = dt.datetime.now(dt.timezone.utc)
        ctx = dict(user=s.user, csrf=s.csrf, days=window, now_utc=now.isoformat(timespec="seconds"),
                   now_local=localtime.format(now, zone_name, lang), error=None, weekly=[], bycat=[], cross=[],
                   spikes=[])
        try:
            with s.engine.connect() as conn:
                ctx.update(weekly=signals.weekly(conn), bycat=signals.by_category(conn),
                           cross=signals.cross_office(conn, days=window, today=now.date()),
                           spikes=signals.weekly_spikes(conn, config=warning, today=now.date()))
        except SQLAlchemyError:
            ctx["error"] = T[lang]["db_down"]
        return page(request, **ctx)

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
        if not hmac.compare_digest(csrf, request.cookies.get(PRE_CSRF, "")) or not csrf:
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
        if s is not None and hmac.compare_digest(csrf, s.csrf):
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


def serve(db: str, *, host: str = "127.0.0.1", port: int = 8780, zone: str | None = None,
          days: int = signals.DEFAULT_DAYS, warning: WarningConfig | None = None) -> int:
    import uvicorn
    print(f"roll-up dashboard on http://{host}:{port}/ (database {make_url(db).database})", flush=True)
    uvicorn.run(make_app(db, zone=zone, days=days, warning=warning), host=host, port=port, log_level="warning")
    return 0
