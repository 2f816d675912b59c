"""Roll-up lag: office -> region and office -> national p50/p95 per report, and bulk rows/s, on real clusters.

    python bench/rollup_bench.py [--reports 300] [--bulk 20000]

Three PostgreSQL clusters on loopback (office, with the office's share DB inside the office
cluster as `rollup office-setup` builds it; region; national, fed by the region as
`rollup publish-onward` and `rollup region-setup --level national` build it). Each report is
one INSERT into `envelopes` committed on its own; the share trigger, the same-cluster hop, the
region subscription and the national one do the rest. An ALWAYS trigger at the region and at
national stamps each row's arrival with clock_timestamp(); lag = arrival - the start of the
office transaction (same machine clock; an upper bound, it includes the office's own INSERT
and commit). Baseline in the same run: one direct hop office DB -> a second region database
(no share DB): the extra hop's cost; and office -> region against office -> national: the
national hop's cost. Bulk: `--bulk` reports in 1,000-row transactions; seconds from last
commit to last arrival, at the region and at national.
Links: `--sealed` real sealed reports (each naming a recruiter phone) through the office's
ingest: ingest time per report with the roll-up set up (share row + link keys in ingest's
transaction) against the same ingest in a second office database without the roll-up
(baseline, same cluster, same run), and office -> region lag of their link rows.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import signal
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, insert, text  # noqa: E402

from bench.common import percentile, report  # noqa: E402
from office import clock, db  # noqa: E402
from office.rollup import ddl, setup  # noqa: E402
from office.rollup.cluster import LocalCluster  # noqa: E402
from office.rollup.names import Office  # noqa: E402
from office.rollup.volunteer import Volunteer, report_naming, throwaway_office_keys  # noqa: E402
from office.schema import devices, envelopes, persons, villages  # noqa: E402

KEY = b"b" * 32
ROLE, PASSWORD = "jaga_region", "bench-replikasi"


def share_id(envelope_id: str) -> str:
    return str(uuid.UUID(bytes=hmac.new(KEY, envelope_id.encode(), hashlib.sha256).digest()[:16]))


def stamp_arrivals(eng, table: str) -> None:
    with eng.connect() as conn:
        # the apply worker runs with an empty search_path: qualify everything
        for sql in ["CREATE TABLE IF NOT EXISTS public.arrivals (id uuid PRIMARY KEY, at timestamptz NOT NULL)",
                    # SECURITY DEFINER: the apply worker runs as the office's own role (jaga_sub_<code>),
                    # which may write that office's tables and nothing else
                    """CREATE OR REPLACE FUNCTION public.stamp() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $f$
                       BEGIN INSERT INTO public.arrivals VALUES (NEW.id, clock_timestamp()) ON CONFLICT DO NOTHING;
                       RETURN NEW; END $f$""",
                    f"CREATE OR REPLACE TRIGGER stamp AFTER INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION public.stamp()",
                    f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER stamp"]:
            conn.exec_driver_sql(sql)



def _office_database(adm, office, name: str):
    """(engine, village id): a new office database `name` in the office cluster, migrated,
    holding the one village the bench files under — the roll-up office and its plain twin
    start alike, so their ingest times compare."""
    with adm.connect() as c:
        c.exec_driver_sql(f"CREATE DATABASE {name}")
    eng = db.make_engine(office.url(name))
    db.migrate(eng)
    with eng.begin() as c:
        vid = c.execute(insert(villages).values(name="Tanjungkarang",
                                                kode_wilayah="65.03.01.2001")).inserted_primary_key[0]
    return eng, vid


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=300)
    ap.add_argument("--bulk", type=int, default=20_000)
    ap.add_argument("--sealed", type=int, default=100)
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))     # so `finally` stops the clusters
    o = Office("NNK")
    office = LocalCluster("bench-office", [f"host {o.share_db} {ROLE} 127.0.0.1/32 scram-sha-256"]).start()
    region = LocalCluster("bench-region").start()
    national = LocalCluster("bench-national").start()
    try:
        adm = create_engine(office.url(), isolation_level="AUTOCOMMIT")
        eng, vid = _office_database(adm, office, "jaga_office")
        with eng.begin() as c:
            c.execute(insert(devices).values(id="d", token_hash="t" * 64, created_at=clock.iso(clock.now())))
            c.execute(insert(persons).values(id="p", name="x", village_id=vid, role="volunteer", device_id="d",
                                             x25519_public=b"x" * 32, ed25519_public=b"e" * 32, key_id="k",
                                             created_at=clock.iso(clock.now())))
        quiet = lambda s: None  # noqa: E731
        setup.office_setup(office.url(), "jaga_office", o.code, local_conninfo=office.conninfo("jaga_office"),
                           region_role=ROLE, region_password=PASSWORD, level_key=KEY, say=quiet)
        setup.region_setup(region.url(), "region", {o.code: office.conninfo(o.share_db, ROLE, PASSWORD)}, say=quiet)
        setup.publish_onward(region.url(), "region", [o.code], say=quiet)
        setup.region_setup(national.url(), "national", {o.code: region.conninfo("region")}, level="national",
                           say=quiet)
        # baseline: one direct hop from the office DB's own publication to another database
        radm = create_engine(region.url(), isolation_level="AUTOCOMMIT")
        with radm.connect() as c:
            c.exec_driver_sql("CREATE DATABASE direct")
        direct = create_engine(region.url("direct"), isolation_level="AUTOCOMMIT")
        with direct.connect() as c:
            for sql in [*ddl.share_table(o, with_envelope=False, check_code=True),
                        *ddl.links_table(o, with_envelope=False, check_code=True)]:
                c.exec_driver_sql(sql)
            c.exec_driver_sql(ddl.subscription("direct_nnk", office.conninfo("jaga_office"), o.pub_local))
        reg = create_engine(region.url("region"), isolation_level="AUTOCOMMIT")
        stamp_arrivals(reg, o.table)
        stamp_arrivals(direct, o.table)
        nat = create_engine(national.url("national"), isolation_level="AUTOCOMMIT")
        stamp_arrivals(nat, o.table)
        for e in (reg, direct, nat):         # measure only once the initial table sync is over
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                with e.connect() as c:
                    if not c.execute(text("SELECT count(*) FROM pg_subscription_rel WHERE srsubstate <> 'r'")).scalar():
                        break
                time.sleep(0.1)

        def row(eid: str) -> dict:
            return dict(id=eid, author_id="p", device_id="d", village_id=vid, form_id="laporan_kecurigaan",
                        form_version=1, category="rekrutmen", urgent=False, has_photo=False, rahasia=False,
                        created_ms=0, received_at=clock.iso(clock.now()), skew_ms=0, sha256="0" * 64, size=1,
                        data=b"s", complete=True, receipt="{}", triage="new")

        committed: dict[str, float] = {}
        for _ in range(args.reports):
            eid = str(uuid.uuid4())
            started = time.time()      # before the transaction: the lag includes the commit itself
            with eng.begin() as c:
                c.execute(insert(envelopes).values(**row(eid)))
            committed[share_id(eid)] = started
            time.sleep(0.005)          # a steady trickle, like phones syncing
        lags = {}
        for name, e in (("region", reg), ("direct", direct), ("national", nat)):
            deadline = time.monotonic() + 120
            while True:
                with e.connect() as c:
                    got = dict(c.execute(text("SELECT id::text, extract(epoch FROM at) FROM arrivals")).all())
                if len(set(committed) & set(got)) == len(committed) or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            lags[name] = [(float(got[i]) - t) * 1000 for i, t in committed.items() if i in got]
        # bulk: 1,000-row transactions
        t_last = 0.0
        ids = []
        t0 = time.time()
        for start in range(0, args.bulk, 1000):
            batch = [row(str(uuid.uuid4())) for _ in range(min(1000, args.bulk - start))]
            ids += [share_id(b["id"]) for b in batch]
            with eng.begin() as c:
                c.execute(insert(envelopes), batch)
            t_last = time.time()
        bulk_after, bulk_rate = {}, {}
        for name, e in (("region", reg), ("national", nat)):
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                with e.connect() as c:
                    n, last = c.execute(text("SELECT count(*), extract(epoch FROM max(at)) FROM arrivals")).one()
                if n >= args.reports + args.bulk:
                    break
                time.sleep(0.2)
            bulk_after[name] = float(last) - t_last
            bulk_rate[name] = args.bulk / max(float(last) - t0, 1e-9)
        # links: real sealed reports through ingest, with and without the roll-up
        plain, pvid = _office_database(adm, office, "plain_office")
        keys = throwaway_office_keys()
        vol, pvol = Volunteer.enrol(eng, vid, "Relawan Bench"), Volunteer.enrol(plain, pvid, "Relawan Bench")
        with reg.connect() as c:
            for sql in ["CREATE TABLE IF NOT EXISTS public.link_arrivals (id uuid, key text, at timestamptz NOT NULL, "
                        "PRIMARY KEY (id, key))",
                        """CREATE OR REPLACE FUNCTION public.stamp_link() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $f$
                           BEGIN INSERT INTO public.link_arrivals VALUES (NEW.id, NEW.key, clock_timestamp())
                           ON CONFLICT DO NOTHING; RETURN NEW; END $f$""",
                        f"CREATE OR REPLACE TRIGGER stamp_link AFTER INSERT ON {o.links} FOR EACH ROW "
                        f"EXECUTE FUNCTION public.stamp_link()",
                        f"ALTER TABLE {o.links} ENABLE ALWAYS TRIGGER stamp_link"]:
                c.exec_driver_sql(sql)
        ingest_ms: dict[str, list[float]] = {"rollup": [], "plain": []}
        sealed_at: dict[str, float] = {}
        for i in range(args.sealed):
            answers = report_naming(f"0812 {7000 + i:04d} {i % 10000:04d}")
            for name, e, v in (("rollup", eng, vol), ("plain", plain, pvol)):
                started = time.time()
                eid = v.file(e, keys, answers)
                ingest_ms[name].append((time.time() - started) * 1000)
                if name == "rollup":
                    sealed_at[share_id(eid)] = started
            time.sleep(0.005)
        deadline = time.monotonic() + 120
        while True:
            with reg.connect() as c:
                got = dict(c.execute(text("SELECT id::text, extract(epoch FROM min(at)) FROM link_arrivals "
                                          "GROUP BY id")).all())
            if set(sealed_at) <= set(got) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        link_lag = [(float(got[i]) - t) * 1000 for i, t in sealed_at.items() if i in got]
        plain.dispose()
    finally:
        national.stop()
        region.stop()
        office.stop()
    r, d, n = lags["region"], lags["direct"], lags["national"]
    report("rollup", [
        {"metric": f"office -> region lag p50 ({len(r)}/{args.reports} reports, ms)", "value": round(percentile(r, 50), 1)},
        {"metric": "office -> region lag p95 (ms)", "value": round(percentile(r, 95), 1),
         "target": "<= 1000", "met": len(r) == args.reports and percentile(r, 95) <= 1000},
        {"metric": "baseline: direct one hop, no share DB, p50 (ms)", "value": round(percentile(d, 50), 1)},
        {"metric": "baseline: direct one hop p95 (ms)", "value": round(percentile(d, 95), 1)},
        {"metric": "ratio p50 two hops / one hop", "value": round(percentile(r, 50) / max(percentile(d, 50), 1e-9), 2)},
        {"metric": f"office -> national lag p50 ({len(n)}/{args.reports} reports, ms)", "value": round(percentile(n, 50), 1)},
        {"metric": "office -> national lag p95 (ms)", "value": round(percentile(n, 95), 1),
         "target": "<= 1000", "met": len(n) == args.reports and percentile(n, 95) <= 1000},
        {"metric": "ratio p50 office -> national / office -> region (the national hop's cost)",
         "value": round(percentile(n, 50) / max(percentile(r, 50), 1e-9), 2)},
        {"metric": f"bulk {args.bulk} rows in 1,000-row tx: last arrival after last commit (s)",
         "value": round(bulk_after["region"], 2)},
        {"metric": "bulk: rows/s office -> region (first commit to last arrival)", "value": round(bulk_rate["region"])},
        {"metric": "bulk: last arrival at national after last commit (s)", "value": round(bulk_after["national"], 2)},
        {"metric": "bulk: rows/s office -> national (first commit to last arrival)",
         "value": round(bulk_rate["national"])},
        {"metric": "ratio bulk rows/s national / region", "value": round(
            bulk_rate["national"] / max(bulk_rate["region"], 1e-9), 2)},
        {"metric": f"sealed report ingest with roll-up links p50 ({args.sealed} reports, ms)",
         "value": round(percentile(ingest_ms["rollup"], 50), 1)},
        {"metric": "baseline: the same ingest without roll-up p50 (ms)", "value": round(percentile(ingest_ms["plain"], 50), 1)},
        {"metric": "ratio ingest p50 with / without roll-up", "value": round(
            percentile(ingest_ms["rollup"], 50) / max(percentile(ingest_ms["plain"], 50), 1e-9), 2)},
        {"metric": f"sealed report filed -> its link rows at the region p50 ({len(link_lag)}/{args.sealed}, ms, ingest included)",
         "value": round(percentile(link_lag, 50), 1)},
        {"metric": "sealed report filed -> link rows at the region p95 (ms)", "value": round(percentile(link_lag, 95), 1),
         "target": "<= 1000", "met": len(link_lag) == args.sealed and percentile(link_lag, 95) <= 1000},
    ])


if __name__ == "__main__":
    main()
