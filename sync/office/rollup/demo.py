"""`jaga-desa rollup demo`: two offices feed a region on three throwaway clusters.

Starts the clusters on loopback (as the `postgres` user when run as root), builds the
chain with the same setup functions the real commands use, files reports at both offices
(one rahasia), flips one to rahasia, prints the region's weekly counts and health, stops.
"""
from __future__ import annotations

import time
import uuid

from sqlalchemy import create_engine, insert, text

from sync.office import clock, db
from sync.office.schema import devices, envelopes, persons, villages

from . import health, setup
from .cluster import LocalCluster

ROLE, PASSWORD = "jaga_region", "demo-" + uuid.uuid4().hex[:12]
OFFICES = {"NNK": ("Tanjungkarang", "65.03.01.2001"), "ETK": ("Entikong", "61.03.09.2001")}


def _office(code: str, say) -> tuple[LocalCluster, object, int]:
    c = LocalCluster(f"demo-{code.lower()}", [f"host share_{code.lower()} {ROLE} 127.0.0.1/32 scram-sha-256",
                                             f"host all {ROLE} all reject"]).start()
    say(f"== office {code}: cluster on 127.0.0.1:{c.port}")
    with create_engine(c.url(), isolation_level="AUTOCOMMIT").connect() as conn:
        conn.exec_driver_sql("CREATE DATABASE jaga_office")
    eng = db.make_engine(c.url("jaga_office"))
    db.migrate(eng)
    name, kode = OFFICES[code]
    with eng.begin() as conn:
        vid = conn.execute(insert(villages).values(name=name, kode_wilayah=kode)).inserted_primary_key[0]
        conn.execute(insert(devices).values(id="d", token_hash="t" * 64, created_at=clock.iso(clock.now())))
        conn.execute(insert(persons).values(id="p", name="Relawan", village_id=vid, role="volunteer", device_id="d",
                                            x25519_public=b"x" * 32, ed25519_public=b"e" * 32, key_id="k" + code,
                                            created_at=clock.iso(clock.now())))
    return c, eng, vid


def _report(eng, vid: int, *, rahasia: bool = False, category: str = "rekrutmen") -> str:
    eid = str(uuid.uuid4())
    with eng.begin() as conn:
        conn.execute(insert(envelopes).values(
            id=eid, author_id="p", device_id="d", village_id=vid, form_id="laporan_kecurigaan", form_version=1,
            category=category, urgent=False, has_photo=False, rahasia=rahasia, created_ms=0,
            received_at=clock.iso(clock.now()), skew_ms=0, sha256="0" * 64, size=1, data=b"sealed",
            complete=True, receipt="{}", triage="new"))
    return eid


def main(say=print) -> int:
    started: list[LocalCluster] = []
    try:
        sites = {}
        for code in OFFICES:
            c, eng, vid = _office(code, say)
            started.append(c)
            sites[code] = (c, eng, vid)
            setup.office_setup(c.url(), "jaga_office", code, local_conninfo=c.conninfo("jaga_office"),
                               region_role=ROLE, region_password=PASSWORD, say=say)
        region = LocalCluster("demo-region").start()
        started.append(region)
        say(f"== region: cluster on 127.0.0.1:{region.port}")
        setup.region_setup(region.url(), "region", {code: c.conninfo(f"share_{code.lower()}", ROLE, PASSWORD)
                                                    for code, (c, _, _) in sites.items()}, say=say)
        say("== filing reports: NNK 3 (one rahasia), ETK 2")
        nnk, etk = sites["NNK"], sites["ETK"]
        flip = _report(nnk[1], nnk[2])
        _report(nnk[1], nnk[2], category="penampungan")
        _report(nnk[1], nnk[2], rahasia=True)
        _report(etk[1], etk[2])
        _report(etk[1], etk[2], category="dokumen_palsu")
        reg = create_engine(region.url("region"))

        def total() -> int:
            with reg.connect() as conn:
                return conn.execute(text("SELECT count(*) FROM public.share_reports")).scalar()
        deadline = time.monotonic() + 60
        while total() < 4 and time.monotonic() < deadline:
            time.sleep(0.1)
        say(f"region holds {total()} reports (the rahasia one stayed home)")
        with nnk[1].begin() as conn:
            conn.execute(text("UPDATE envelopes SET rahasia = true WHERE id = :i"), {"i": flip})
        while total() > 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        say(f"after reclassifying one NNK report as rahasia: {total()} reports at the region")
        with reg.connect() as conn:
            for r in conn.execute(text("SELECT * FROM public.share_weekly ORDER BY office_code, category")):
                say(f"  {r.office_code} kec {r.kode_kecamatan} {r.week} {r.form_id} {r.category}: {r.reports}")
        problems = health.check(region.url(), "region", say=say)
        reg.dispose()
        return 1 if problems else 0
    finally:
        for c in started:
            c.stop()
