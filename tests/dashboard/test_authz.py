"""The authorization matrix, generated from the app's route table: every route under
/dashboard and /api/v1/partner × (anonymous, intel of the report's region, intel of another
region, admin). A new route without an access level fails here before anyone forgets it."""
from __future__ import annotations

import pytest
import requests
from fastapi.routing import APIRoute

from office.app import create_app
from office.dashboard import access_table

PREFIXES = ("/dashboard", "/api/v1/partner")
ROLES = ("anonymous", "intel_sgu", "intel_kh", "admin")      # reports below are in Sanggau


def _flatten(routes):
    """(path, methods, kind) for every route, including those of included routers (FastAPI
    >= 0.16x keeps them behind an _IncludedRouter with effective_route_contexts())."""
    for r in routes:
        if hasattr(r, "effective_route_contexts"):
            for c in r.effective_route_contexts():
                yield c.path, set(c.methods or ()), "route"
        elif isinstance(r, APIRoute) or hasattr(r, "methods"):
            yield r.path, set(r.methods or ()), "route"
        else:
            yield getattr(r, "path", ""), set(), "mount"


@pytest.fixture(scope="module")
def routes(tmp_path_factory):
    app = create_app(tmp_path_factory.mktemp("routes"), passphrase="route-table")
    out = []
    for path, methods, kind in _flatten(app.routes):
        if not path.startswith(PREFIXES):
            continue
        assert kind == "route", f"{path}: a mount would escape the access table"
        out += [(m, path) for m in sorted(methods - {"HEAD", "OPTIONS"})]
    app.state.office.engine.dispose()
    # logout last: it ends the session the other requests use
    return sorted(out, key=lambda mp: mp[1].endswith("/logout"))


def test_every_dashboard_route_has_an_access_level(routes):
    table = access_table()
    missing = [mp for mp in routes if mp not in table]
    assert not missing, f"routes without an access level: {missing}"
    assert set(table) == set(routes), "access table lists routes the app does not serve"
    assert len(routes) >= 20


def _fill(path: str, dash) -> str:
    return (path.replace("{report_id}", dash.reports["urgent"]).replace("{att_id}", dash.att_id)
            .replace("{device_id}", "00000000-0000-0000-0000-000000000000").replace("{staff_id}", "999999"))


def expected(access: str, role: str, path: str) -> str:
    if access == "public":
        return "allow"
    if role == "anonymous":
        return "login"
    if access == "admin" and role != "admin":
        return "deny"
    if "{report_id}" in path and role == "intel_kh":
        return "deny"
    return "allow"


def test_authorization_matrix(dash, routes):
    table = access_table()
    sessions = {"anonymous": requests.Session()}
    for role in ROLES[1:]:
        sessions[role] = dash.login(role)
    failures = []
    for role in ROLES:
        s = sessions[role]
        for method, path in routes:
            if method == "POST" and path == "/dashboard/login":
                continue              # public, and has its own CSRF/lockout tests
            url = dash.url + _fill(path, dash)
            data = {"csrf": getattr(s, "csrf", "")} if method == "POST" else None
            r = s.request(method, url, data=data, allow_redirects=False, timeout=30)
            want = expected(table[(method, path)], role, path)
            to_login = r.status_code in (303, 307) and "/dashboard/login?next=" in r.headers.get("location", "")
            got = ("login" if to_login or r.status_code == 401 else
                   "deny" if r.status_code == 403 else "error" if r.status_code >= 500 else "allow")
            if got != want:
                failures.append(f"{role:10} {method} {path}: want {want}, got {r.status_code}")
    assert not failures, "\n".join(failures)
    with dash.db() as db:
        denied = db.execute("SELECT username, target FROM dash_audit WHERE action='forbidden'").fetchall()
    assert ("intel_kh", dash.reports["urgent"]) in denied
    assert any(u == "intel_sgu" and t.startswith("/dashboard/admin") for u, t in denied)


def test_region_denial_is_a_403_page_and_intel_without_region_sees_nothing(dash):
    r = dash.login("intel_kh").get(f"{dash.url}/dashboard/reports/{dash.reports['urgent']}")
    assert r.status_code == 403 and "tidak berhak" in r.text
    none = dash.login("intel_none")
    assert none.get(f"{dash.url}/dashboard/reports/{dash.reports['urgent']}").status_code == 403
    assert none.get(f"{dash.url}/api/v1/partner/reports").json()["items"] == []
