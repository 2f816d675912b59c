"""Telling the person at the phone what the office cut off, and what a PIN lockout is.

Three different things look alike to a volunteer ("it stopped working"), so each is said
in its own words: the office revoked *her account* (a signed inbox item, with the office's
time), the office revoked *the whole phone* (its sync token refused; lock screen too), or
*she* is locked out after too many wrong PINs (nothing to do with the office).
"""
from __future__ import annotations

import flet as ft


def revocation_text(app, rev: dict | None) -> str | None:
    """The sentence for a revocation (`Device.revocation`), with the time in the phone's zone."""
    if not rev:
        return None
    when = app.local(rev["at"]) if rev.get("at") else ""
    if rev["scope"] == "person":
        return app.t("revoked_person", when=when) if when else app.t("revoked_person_undated")
    return app.t("revoked_device", when=when)


def home_banners(app) -> list[ft.Control]:
    """For the unlocked user: her own revocation first, else the phone's."""
    try:
        text = revocation_text(app, app.device.revocation(app.session))
    except Exception:   # noqa: BLE001 — a damaged bundle is reported elsewhere (trust alert)
        return []
    return [app.banner(text, "error")] if text else []


def lock_banners(app, users: list[dict]) -> list[ft.Control]:
    """Before unlocking: the phone's revocation (no PIN needed) and each PIN-locked user."""
    out = []
    text = revocation_text(app, app.device.device_revoked())
    if text:
        out.append(app.banner(text, "error"))
    for u in users:
        if u["locked"]:
            out.append(app.banner(app.t("locked_why", name=u["label"]), "warn"))
    return out
