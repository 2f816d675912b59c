"""`jaga-desa rollup demo`: two offices feed a region on three throwaway clusters.

Starts the clusters on loopback (as the `postgres` user when run as root), builds the
chain with the same setup functions the real commands use, has a volunteer at each office
file real sealed reports through the office's ingest (one rahasia; one recruiter phone
number named at both offices), prints the cross-office link the region sees (a keyed
pseudonym, never the number), flips a report to rahasia, prints the weekly counts and
health, stops.
"""
from __future__ import annotations

import secrets
import time
import uuid

from sqlalchemy import create_engine, insert, text

from office import clock, db
from office.schema import villages

from . import health, setup, signals
from .cluster import LocalCluster
from .volunteer import Volunteer, report_naming, throwaway_office_keys

ROLE, PASSWORD = "jaga_region", "demo-" + uuid.uuid4().hex[:12]
LEVEL_KEY = secrets.token_bytes(32)          # one key for the level: both offices' links must meet
PHONE = ("0812-7731 5599", "+62 812 7731 5599")      # one recruiter, written two ways
OFFICES = {"NNK": ("Tanjungkarang", "65.03.01.2001"), "ETK": ("Entikong", "61.03.21.2003")}


def _office(code: str, say) -> tuple[LocalCluster, object, Volunteer, object]:
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
    return c, eng, Volunteer.enrol(eng, vid, f"Relawan {name}"), throwaway_office_keys()


def main(say=print) -> int:
    started: list[LocalCluster] = []
    try:
        sites = {}
        for code in OFFICES:
            site = _office(code, say)
            c = site[0]
            started.append(c)
            sites[code] = site
            setup.office_setup(c.url(), "jaga_office", code, local_conninfo=c.conninfo("jaga_office"),
                               region_role=ROLE, region_password=PASSWORD, level_key=LEVEL_KEY, say=say)
        region = LocalCluster("demo-region").start()
        started.append(region)
        say(f"== region: cluster on 127.0.0.1:{region.port}")
        setup.region_setup(region.url(), "region", {code: c.conninfo(f"share_{code.lower()}", ROLE, PASSWORD)
                                                    for code, (c, *_) in sites.items()}, say=say)
        say(f"== filing sealed reports: NNK 3 (one rahasia), ETK 2; both name the recruiter {PHONE[0]!r} / {PHONE[1]!r}")
        nnk, etk = sites["NNK"], sites["ETK"]

        def file(site, answers) -> str:
            return site[2].file(site[1], site[3], answers)
        file(nnk, report_naming(PHONE[0], boat="KM. Sinar Jaya"))
        flip = file(nnk, report_naming("0813 5000 1212", kategori="penampungan"))
        file(nnk, report_naming("0813 5000 3434", rahasia=True))
        file(etk, report_naming(PHONE[1]))
        file(etk, report_naming("0813 5000 5656", kategori="dokumen_palsu"))
        reg = create_engine(region.url("region"))

        def total() -> int:
            with reg.connect() as conn:
                return conn.execute(text("SELECT count(*) FROM public.share_reports")).scalar()
        deadline = time.monotonic() + 60
        while total() < 4 and time.monotonic() < deadline:
            time.sleep(0.1)                   # poll interval while replication catches up
        say(f"region holds {total()} reports (the rahasia one stayed home)")

        def cross() -> list:
            with reg.connect() as conn:
                return signals.cross_office(conn)
        while not cross() and time.monotonic() < deadline:
            time.sleep(0.1)
        for sig in cross():
            say(f"cross-office link at the region: {sig.ref}… ({sig.kind}) at {', '.join(sig.offices)}; "
                f"kecamatan {', '.join(sig.kecamatan)}; weeks {', '.join(sig.weeks)}; "
                f"reports {', '.join(sig.reports)}")
        with reg.connect() as conn:
            leaked = conn.execute(text("SELECT count(*) FROM public.share_links l WHERE l::text LIKE '%77315599%' "
                                       "OR l::text LIKE '%7731 5599%'")).scalar()
        say(f"  rows at the region holding the number itself: {leaked} (keys only; the region has no key to "
            f"reverse one)")
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
