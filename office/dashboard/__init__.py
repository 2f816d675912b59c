"""The intel staff dashboard, served by the office process under /dashboard/.

    mount(app)   include the pages and the partner API in the office FastAPI app

    web        the page framework: page(), Ctx, render, ACCESS table of every page's access level
    pages/     the HTML pages (thin), one module per area
    api        /api/v1/partner JSON (staff API token or session), ACCESS too
    queries    filters, region scoping, keyset list query (list_reports), counts
    indexer    opens new envelopes once -> dash_reports projection + hashed search terms
    reports    detail, photos, triage, feedback
    exports    CSV / XLSX / GeoJSON;  charts: inline SVG bars and point map
    auth       sessions, lockout, CSRF, API tokens;  audit: append-only log
    admin      villages, enrollment codes (QR), devices, staff
    schema     dash_* tables (migration 0002_dashboard);  derived: keys from the office key
"""
from __future__ import annotations

from fastapi import FastAPI

from . import schema  # noqa: F401  (registers the dash_* tables on the office metadata)


def mount(app: FastAPI) -> None:
    from . import api, pages, web  # noqa: F401  (pages registers itself on web.router)
    app.include_router(web.router)
    app.include_router(api.router)


def access_table() -> dict[tuple[str, str], str]:
    """(method, path) -> public | staff | admin, for every dashboard and partner route."""
    from . import api, pages, web  # noqa: F401
    return {**web.ACCESS, **api.ACCESS}
