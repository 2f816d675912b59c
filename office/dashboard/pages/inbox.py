"""The report list, the overview (charts + map) and exports: all driven by the same filters."""
from __future__ import annotations

from urllib.parse import urlencode

import forms
from fastapi.responses import Response

from sqlalchemy import select

from core import localtime
from core.errors import BadRequest
from office import conversation
from office.schema import envelopes

from .. import admin, audit, basemap, charts, emergency, export_columns, exports, indexer, mapview, queries, urgency
from ..i18n import CATEGORY_PMI, TRIAGE, URGENCY, VERDICT, label, t
from ..web import (BASE, PAGE_SIZE, ZONE, Ctx, _form_choices, category_label, page, render,
                   route_label)


def _filter_options(ctx: Ctx) -> dict:
    allowed = queries.visible_village_ids(ctx.conn, ctx.staff)
    villages = [v for v in admin.village_list(ctx.conn) if allowed is None or v["id"] in allowed]
    cats = dict(_form_choices("laporan_kecurigaan", "kategori", ctx.lang))
    cats[CATEGORY_PMI] = t("pmi", ctx.lang)
    return {"villages": villages, "forms": [(f.id, f.title(ctx.lang)) for f in forms.list_forms()],
            "categories": cats, "urgencies": {k: label(URGENCY, k, ctx.lang) for k in URGENCY},
            "triages": {k: label(TRIAGE, k, ctx.lang) for k in TRIAGE},
            "verdicts": {k: label(VERDICT, k, ctx.lang) for k in VERDICT}}


def _parse(ctx: Ctx) -> tuple[queries.Filters | None, str | None]:
    try:
        return queries.parse_filters(ctx.params), None
    except queries.FilterError as e:
        return None, f"{t('bad_filter', ctx.lang)} — {e}"


@page("GET", "/", "staff")
def inbox(ctx: Ctx) -> Response:
    remaining = indexer.pending(ctx.conn)
    filters, error = _parse(ctx)
    by_urgency = ctx.params.get("sort") == "urgency"        # issue 15: urgency first
    if filters is None:
        rows, nxt = [], None
    elif by_urgency:
        rows, nxt = urgency.list_reports(ctx.conn, ctx.staff, filters, PAGE_SIZE, keys=ctx.keys,
                                         cursor=ctx.params.get("ucursor") or None)
    else:
        rows, nxt = queries.list_reports(ctx.conn, ctx.staff, filters, PAGE_SIZE, keys=ctx.keys)
    qs = urlencode(filters.query_items() + ([("sort", "urgency")] if by_urgency else [])) if filters else ""
    paged = bool(filters and (filters.cursor or ctx.params.get("ucursor")))
    if filters is not None:
        ctx.audit("view_list", detail={"filters": audit.filters_detail(ctx.keys, filters), "rows": len(rows),
                                       "page": "next" if paged else "first"})
    replied = conversation.awaiting_office(ctx.conn, [r["envelope_id"] for r in rows])
    said = emergency.sentences(ctx.conn, ctx.keys, [r["envelope_id"] for r in rows if r.get("urgency") == "darurat"])
    ids = [r["envelope_id"] for r in rows]
    secret = set(ctx.conn.execute(select(envelopes.c.id).where(envelopes.c.id.in_(ids),
                                                                envelopes.c.rahasia.is_(True))).scalars()) if ids else set()
    return render(ctx, "inbox.html", status=400 if error else 200, rows=rows, error=error, replied=replied,
                  said=said, secret=secret,
                  p=ctx.params, qs=qs, remaining=remaining, forms_title=dict(_filter_options(ctx)["forms"]),
                  next_url=f"{BASE}/?{qs}&{'ucursor' if by_urgency else 'cursor'}={nxt}" if nxt else None,
                  first_url=f"{BASE}/?{qs}" if paged else None,
                  **_filter_options(ctx))


@page("GET", "/overview", "staff")
def overview(ctx: Ctx) -> Response:
    filters, error = _parse(ctx)
    if filters is None:
        return render(ctx, "overview.html", status=400, error=error, charts={}, map_svg="", p=ctx.params,
                      **_filter_options(ctx))
    lang = ctx.lang
    names = {v["id"]: v["name"] for v in admin.village_list(ctx.conn)}
    c = queries.charts(ctx.conn, ctx.staff, filters, ("week", "village_id", "category", "route"), keys=ctx.keys)
    weeks = list(reversed(c["week"][:12]))

    def bars(key: str, items: list[tuple[str, int]]) -> str:
        return charts.bars(items, t(key, lang), empty=t("chart_empty", lang))
    charts_svg = {
        "by_week": bars("by_week", weeks),
        "by_village": bars("by_village", [(names.get(k, str(k)), n) for k, n in c["village_id"]]),
        "by_category": bars("by_category", [(category_label(k, lang), n) for k, n in c["category"]]),
        "by_route": bars("by_route", [(route_label(k, lang), n) for k, n in c["route"] if k]),
    }
    try:
        box = mapview.parse_box(ctx.params["bbox"]) if ctx.params.get("bbox") else None
    except BadRequest as e:       # a hand-edited zoom link: say so, as for a bad filter (never a 5xx)
        return render(ctx, "overview.html", status=400, error=f"{t('bad_filter', ctx.lang)} — {e.message}",
                      charts={}, map_svg="", p=ctx.params, **_filter_options(ctx))
    pts = queries.points(ctx.conn, ctx.staff, filters, keys=ctx.keys)
    opts = _filter_options(ctx)
    ctx.audit("view_overview", detail={"filters": audit.filters_detail(ctx.keys, filters), "points": len(pts)})
    tiles = basemap.tile_url(ctx.request.url.hostname)     # None on the dashboard's own host name
    at = lambda b: map_url(filters, b)
    the_map = mapview.render(pts, t("map", lang), lang, link=lambda p: f"{BASE}/reports/{p['envelope_id']}",
                             label=lambda p: point_label(p, lang), tile_url=tiles, box=box, zoom_link=at,
                             home=[v["kode_wilayah"] for v in opts["villages"] if v.get("kode_wilayah")])
    return render(ctx, "overview.html", error=None, charts=charts_svg, map_svg=the_map.svg,
                  clusters=the_map.clusters, map_legend=mapview.legend(lang), n_points=len(pts),
                  zoomed=box is not None, n_shown=the_map.shown, zoom=zoom_links(the_map, box, at),
                  map_box=mapview.format_box(box) if box else None,
                  tiles_refused=tiles is None and basemap.tile_url() is not None,
                  point_label=lambda p: point_label(p, lang),
                  p=ctx.params, **opts)


def map_url(filters: queries.Filters, box: mapview.Box | None) -> str:
    """The overview with these filters, its map on `box` (None: the whole area); the fragment
    brings the reloaded page back down to the map."""
    items = filters.query_items() + ([("bbox", mapview.format_box(box))] if box else [])
    return f"{BASE}/overview" + (f"?{urlencode(items)}" if items else "") + "#map-h"


def zoom_links(the_map: mapview.MapResult, box: mapview.Box | None,
               at) -> dict[str, str | None]:
    """The map's zoom controls: in (half the span), out (double; the whole area once that is
    as wide as it) and the whole area. None = the control does not apply here."""
    closer = mapview.zoom(the_map.bounds, 1 / mapview.ZOOM_STEP)
    wider = mapview.zoom(the_map.bounds, mapview.ZOOM_STEP) if box else None
    home = the_map.home
    if wider and (wider[2] - wider[0] >= home[2] - home[0] or wider[3] - wider[1] >= home[3] - home[1]):
        wider = None                              # as wide as the unzoomed map: go back to it
    return {"in": at(closer) if closer else None,
            "out": (at(wider) if wider else at(None)) if box else None,
            "all": at(None) if box else None}


def point_label(p: dict, lang: str) -> str:
    """How a report is named on the map and in its cluster list: category, local time, short id."""
    what = category_label(p.get("category"), lang) if p.get("category") else "—"
    when = localtime.format(p["received_at"], ZONE, lang, short=True) if p.get("received_at") else ""
    return " · ".join(x for x in (what, when, p["envelope_id"][:8]) if x)


@page("GET", "/export", "staff")
def export(ctx: Ctx) -> Response:
    fmt = ctx.params.get("format", "csv")
    if fmt not in exports.FORMATS:
        raise queries.FilterError(f"format: one of {', '.join(exports.FORMATS)}")
    group = ctx.params.get("group") or None
    if group is not None and (fmt != "csv" or group not in export_columns.repeat_groups((f.id for f in forms.list_forms()))):
        raise queries.FilterError("group: a repeat group (terlibat), with format=csv only")
    filters = queries.parse_filters(ctx.params)
    data = exports.rows(ctx.conn, ctx.keys, ctx.staff, filters)
    ctx.audit("export", target=fmt, detail={"filters": audit.filters_detail(ctx.keys, filters), "rows": len(data),
                                            **({"group": group} if group else {})})
    writer, media = exports.FORMATS[fmt]
    body = writer(data, ctx.lang, group) if group else writer(data, ctx.lang)
    name = f"jaga-desa-{group}" if group else "jaga-desa-laporan"
    return Response(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{name}.{fmt}"'})
