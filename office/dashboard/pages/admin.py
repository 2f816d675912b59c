"""Admin pages: villages, enrollment codes, devices, staff and API tokens, the audit log."""
from __future__ import annotations

from urllib.parse import urlencode

from fastapi.responses import RedirectResponse, Response

from core.errors import BadRequest, Conflict, JagaError, NotFound
from office.staff import ROLES as STAFF_ROLES, create_staff

from .. import admin, audit, auth, queries
from ..web import BASE, Ctx, page, render


@page("GET", "/admin/villages", "admin")
def villages_page(ctx: Ctx, notice: str | None = None, status: int = 200) -> Response:
    from office import regions
    q = ctx.params.get("q", "").strip()[:100]
    found = [(r, regions.label(r.code)) for r in regions.villages(query=q, limit=50)] if q else []
    ctx.audit("view_villages")
    return render(ctx, "villages.html", status=status, villages=admin.village_list(ctx.conn), notice=notice,
                  q=q, found=found, code_version=regions.VERSION)


@page("POST", "/admin/villages", "admin")
def villages_add(ctx: Ctx) -> Response:
    from office import enrollment, village_codes
    if ctx.form.get("code"):          # picked from the Kemendagri list: name and code come together
        out = village_codes.add(ctx.conn, ctx.form["code"][:13])
        ctx.audit("add_village", target=str(out["id"]), detail={"name": out["name"], "code": out["kode_wilayah"]})
        return RedirectResponse(f"{BASE}/admin/villages", status_code=303)
    vid = enrollment.add_village(ctx.conn, ctx.form.get("name", "")[:200], ctx.form.get("region", "").strip()[:200] or None)
    ctx.audit("add_village", target=str(vid), detail={"name": ctx.form.get("name", "")[:200]})
    return RedirectResponse(f"{BASE}/admin/villages", status_code=303)


_CODE_REFUSED = {
    BadRequest: ("bukan kode desa/kelurahan (format 2-2-2-4, mis. 65.03.01.2001)",
                 "not a desa/kelurahan code (format 2-2-2-4, e.g. 65.03.01.2001)"),
    NotFound: ("tidak ada di daftar kode Kemendagri", "not in the Kemendagri code list"),
    Conflict: ("kode atau nama resminya sudah dipakai desa lain", "its code or official name belongs to another village"),
}


@page("POST", "/admin/villages/code", "admin")
def villages_set_code(ctx: Ctx) -> Response:
    """Give an existing village its Kemendagri code (issue 24.7): what tier A/B hand-overs
    need, on the web as well as `office-admin set-village-code`. Audited; the village takes
    its official name."""
    from office import village_codes
    code = ctx.form.get("code", "").strip()[:13]
    try:
        out = village_codes.assign(ctx.conn, int(ctx.form.get("village", "0") or 0), code)
    except (BadRequest, NotFound, Conflict, ValueError) as e:
        why = _CODE_REFUSED.get(type(e), _CODE_REFUSED[BadRequest])[0 if ctx.lang == "id" else 1]
        lead = "Kode" if ctx.lang == "id" else "Code"
        return villages_page(ctx, notice=f"{lead} {code!r}: {why}", status=422)
    ctx.audit("set_village_code", target=str(out["id"]),
              detail={"old_name": out["old_name"][:200], "name": out["name"], "code": out["kode_wilayah"]})
    return RedirectResponse(f"{BASE}/admin/villages", status_code=303)


@page("GET", "/admin/enroll", "admin")
def enroll_page(ctx: Ctx) -> Response:
    return render(ctx, "enroll.html", villages=admin.village_list(ctx.conn), issued=None)


@page("POST", "/admin/enroll", "admin")
def enroll_issue(ctx: Ctx) -> Response:
    office_url = str(ctx.request.base_url).rstrip("/")
    out = admin.issue_code(ctx.conn, ctx.form.get("village", ""), ctx.form.get("role", ""),
                           ctx.form.get("name", "")[:200], office_url)
    ctx.audit("enroll_code", target=str(out["village_id"]), detail={"role": out["role"], "name": out["name"]})
    return render(ctx, "enroll.html", villages=admin.village_list(ctx.conn), issued=out)


@page("GET", "/admin/quarantine", "admin")
def quarantine_page(ctx: Ctx) -> Response:
    """Refused emergencies (office/ingest/quarantine.py): seen, with the reason, never lost."""
    from .. import quarantine
    ctx.audit("view_quarantine")
    return render(ctx, "quarantine.html", items=quarantine.listing(ctx.conn, ctx.keys))


@page("GET", "/admin/devices", "admin")
def devices_page(ctx: Ctx) -> Response:
    ctx.audit("view_devices")         # every enrolled person and phone: a staff view like any other
    return render(ctx, "devices.html", devices=admin.device_list(ctx.conn))


@page("GET", "/admin/devices/{device_id}/revoke", "admin")
def device_revoke_confirm(ctx: Ctx) -> Response:
    """Revoking cuts every person on that phone off: say who, and ask before doing it."""
    device = next((d for d in admin.device_list(ctx.conn) if d["id"] == ctx.path["device_id"][:36]), None)
    if device is None:
        raise NotFound("no such device")
    ctx.audit("view_revoke_device", target=device["id"][:64])      # who is on that phone: a view
    return render(ctx, "revoke_confirm.html", device=device)


@page("POST", "/admin/devices/{device_id}/revoke", "admin")
def device_revoke(ctx: Ctx) -> Response:
    if ctx.form.get("confirm") != "yes":        # one click on "Cabut" only asks
        return device_revoke_confirm(ctx)
    admin.revoke_device(ctx.conn, ctx.path["device_id"])
    ctx.audit("revoke_device", target=ctx.path["device_id"][:64])
    return RedirectResponse(f"{BASE}/admin/devices", status_code=303)


@page("GET", "/admin/persons/{person_id}/revoke", "admin")
def person_revoke_confirm(ctx: Ctx) -> Response:
    """One person only: the phone and everyone else on it keep working. Say so, and ask."""
    person, device = admin.person_on_device(ctx.conn, ctx.path["person_id"])
    if person["revoked_at"]:
        return RedirectResponse(f"{BASE}/admin/devices", status_code=303)
    others = [p for p in device["persons"] if p["id"] != person["id"] and not p["revoked_at"]]
    ctx.audit("view_revoke_person", target=person["id"], detail={"device": device["id"][:8]})
    return render(ctx, "revoke_person_confirm.html", person=person, device=device, others=others)


@page("POST", "/admin/persons/{person_id}/revoke", "admin")
def person_revoke(ctx: Ctx) -> Response:
    if ctx.form.get("confirm") != "yes":        # one click on "Cabut orang ini" only asks
        return person_revoke_confirm(ctx)
    person, device = admin.person_on_device(ctx.conn, ctx.path["person_id"])
    admin.revoke_person(ctx.conn, person["id"])
    ctx.audit("revoke_person", target=person["id"], detail={"device": device["id"][:8]})
    return RedirectResponse(f"{BASE}/admin/devices", status_code=303)


@page("GET", "/admin/staff", "admin")
def staff_page(ctx: Ctx, token: str | None = None, token_for: str | None = None) -> Response:
    if ctx.request.method == "GET":
        ctx.audit("view_staff")
    return render(ctx, "staff.html", members=admin.staff_list(ctx.conn), roles=STAFF_ROLES,
                  token=token, token_for=token_for, tokens=auth.list_api_tokens(ctx.conn))


@page("POST", "/admin/staff", "admin")
def staff_add(ctx: Ctx) -> Response:
    sid = create_staff(ctx.conn, ctx.form.get("username", "")[:100], ctx.form.get("password", ""),
                       ctx.form.get("role", ""), ctx.form.get("region", "").strip()[:200] or None)
    ctx.audit("add_staff", target=str(sid), detail={"username": ctx.form.get("username", "")[:100],
                                                    "role": ctx.form.get("role")})
    return RedirectResponse(f"{BASE}/admin/staff", status_code=303)


def _staff_id(ctx: Ctx) -> int:
    try:
        sid = queries.parse_id(ctx.path["staff_id"], "staff")
    except JagaError:
        raise NotFound("no such staff member") from None
    if not any(m["id"] == sid for m in admin.staff_list(ctx.conn)):
        raise NotFound("no such staff member")
    return sid


@page("POST", "/admin/staff/{staff_id}/token", "admin")
def staff_token(ctx: Ctx) -> Response:
    sid = _staff_id(ctx)
    days = ctx.form.get("days", "").strip() or str(auth.TOKEN_DAYS)
    if not (days.isascii() and days.isdigit() and len(days) <= 4):
        raise BadRequest("days: a whole number of days")
    regions = [r for r in ctx.form.get("regions", "").split(",") if r.strip()] or None
    rahasia, free_text = ctx.form.get("rahasia") == "1", ctx.form.get("free_text") == "1"
    token = auth.issue_api_token(ctx.conn, sid, ctx.form.get("label", "partner"), days=int(days),
                                 regions=regions, rahasia=rahasia, free_text=free_text)
    ctx.audit("api_token", target=str(sid), detail={"token": auth.token_id(auth._sha(token)), "days": int(days),
                                                    "regions": regions, "rahasia": rahasia, "free_text": free_text})
    name = next(m["username"] for m in admin.staff_list(ctx.conn) if m["id"] == sid)
    return staff_page(ctx, token=token, token_for=name)


@page("POST", "/admin/staff/{staff_id}/disable", "admin")
def staff_disable(ctx: Ctx) -> Response:
    sid = _staff_id(ctx)
    admin.disable_staff(ctx.conn, sid)
    ctx.audit("disable_staff", target=str(sid))
    return RedirectResponse(f"{BASE}/admin/staff", status_code=303)


@page("POST", "/admin/tokens/{token_id}/revoke", "admin")
def token_revoke(ctx: Ctx) -> Response:
    auth.revoke_api_token(ctx.conn, ctx.path["token_id"])
    ctx.audit("revoke_api_token", target=ctx.path["token_id"][:12])
    return RedirectResponse(f"{BASE}/admin/staff", status_code=303)


@page("GET", "/admin/audit", "admin")
def audit_page(ctx: Ctx) -> Response:
    ctx.audit("view_audit")
    before = ctx.params.get("before", "")
    action = ctx.params.get("action") or None
    entries = audit.page(ctx.conn, queries.parse_id(before, "before") if before else None, 100, action)
    more = f"{BASE}/admin/audit?" + urlencode({"before": entries[-1]["id"], **({"action": action} if action else {})}) \
        if len(entries) == 100 else None
    return render(ctx, "audit.html", entries=entries, more=more, actions=audit.ACTIONS, action=action)
