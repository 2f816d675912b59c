"""Villages picked by their Kemendagri code, so a village's name and code cannot drift.

`add` takes the name (and the kabupaten as region) from the reference list; `assign`
gives an existing village its code and renames it to the official name. Either way the
code and the list version are stored together (migration 0009).
"""
from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from core.errors import Conflict
from office import regions
from office.enrollment import find_village
from office.schema import villages


def _taken(conn: Connection, code: str, but: int | None = None) -> None:
    row = conn.execute(select(villages.c.id, villages.c.name).where(villages.c.kode_wilayah == code)).first()
    if row is not None and row.id != but:
        raise Conflict(f"kode wilayah {code} already belongs to village {row.name} (id {row.id})")


def _region_of(code: str) -> str | None:
    kab = [r for r in regions.path(code) if r.level == "kabupaten_kota"]
    return kab[0].name if kab else None


def add(conn: Connection, code: str, region: str | None = None) -> dict:
    """A new village named as in the reference list; Conflict if the code or name exists."""
    r = regions.desa(code)
    _taken(conn, r.code)
    if conn.execute(select(villages.c.id).where(villages.c.name == r.name)).first():
        raise Conflict(f"a village named {r.name!r} exists already; give it the code with "
                       f"`office-admin set-village-code --village ID --code {r.code}`")
    vals = {"name": r.name, "region": region or _region_of(r.code), "kode_wilayah": r.code,
            "kode_version": regions.VERSION}
    vid = conn.execute(insert(villages).values(**vals)).inserted_primary_key[0]
    return {"id": vid, **vals, "label": regions.label(r.code)}


def assign(conn: Connection, village: str | int, code: str) -> dict:
    """Give an existing village its code; its name becomes the official one."""
    v = find_village(conn, village)
    r = regions.desa(code)
    _taken(conn, r.code, but=v["id"])
    clash = conn.execute(select(villages.c.id).where(villages.c.name == r.name, villages.c.id != v["id"])).first()
    if clash:
        raise Conflict(f"another village (id {clash.id}) is already named {r.name!r}")
    conn.execute(update(villages).where(villages.c.id == v["id"]).values(
        name=r.name, kode_wilayah=r.code, kode_version=regions.VERSION))
    return {"id": v["id"], "name": r.name, "old_name": v["name"], "kode_wilayah": r.code,
            "kode_version": regions.VERSION, "label": regions.label(r.code)}
