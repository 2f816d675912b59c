"""Real PostgreSQL 15 clusters on loopback, started here as the `postgres` user:

    office NNK (Nunukan) ─┐
                          ├─► region (Kanwil Kaltara)
    office ETK (Entikong) ┘

Each office database carries the office's real schema (Alembic migrations); reports are
inserted into `envelopes` the way ingest stores them (the share trigger does the rest).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pytest
from sqlalchemy import create_engine, insert, text

from jaga_desa.testing.waits import wait_until
from office import clock, db
from office.rollup import setup
from office.rollup.cluster import LocalCluster
from office.rollup.volunteer import Volunteer, throwaway_office_keys
from office.schema import devices, envelopes, persons, villages

from .tls import ca_and_server

REGION_ROLE = "jaga_region"
REGION_PASSWORD = "kata-sandi-replikasi-uji"
OFFICE_DB = "jaga_office"
VILLAGES = {"NNK": ("Tanjungkarang", "65.03.01.2001"), "ETK": ("Entikong", "61.03.09.2001")}


def wait_for(cond, what: str, timeout: float = 60.0):
    """Replication is asynchronous: wait on the condition, with a deadline (never a sleep)."""
    return wait_until(cond, timeout, what)


@dataclass
class OfficeSite:
    code: str
    cluster: LocalCluster
    author: str = ""
    village: int = 0
    said: list = field(default_factory=list)
    keys: object = None                    # the office's keys (in memory): real sealed reports
    volunteer: Volunteer | None = None     # a volunteer with real keys, for `file`

    @property
    def engine(self):
        return create_engine(self.cluster.url(OFFICE_DB))

    def add_report(self, *, rahasia: bool = False, category: str = "rekrutmen",
                   form_id: str = "laporan_kecurigaan", received_at: str | None = None,
                   village: int | None = None) -> str:
        """A report row as ingest stores it; `received_at` in the past files it in an earlier week."""
        eid = str(uuid.uuid4())
        with self.engine.begin() as conn:
            conn.execute(insert(envelopes).values(
                id=eid, author_id=self.author, device_id="d", village_id=village or self.village, form_id=form_id,
                form_version=1, category=category, urgent=False, has_photo=False, rahasia=rahasia,
                created_ms=0, received_at=received_at or clock.iso(clock.now()), skew_ms=0, sha256="0" * 64, size=1,
                data=b"sealed", complete=True, receipt="{}", triage="new"))
        return eid

    def add_village(self, name: str, kode_wilayah: str) -> int:
        with self.engine.begin() as conn:
            return conn.execute(insert(villages).values(name=name, kode_wilayah=kode_wilayah)).inserted_primary_key[0]

    def file(self, answers: dict) -> str:
        """A real sealed report through the office's ingest (link keys included)."""
        return self.volunteer.file(self.engine, self.keys, answers)

    def sql(self, statement: str, **params):
        with self.engine.begin() as conn:
            return conn.execute(text(statement), params)


def office_hba(code: str) -> list[str]:
    """The regional login: TLS only, SCRAM, the share database only."""
    share = f"share_{code.lower()}"
    return [f"hostssl {share} {REGION_ROLE} 127.0.0.1/32 scram-sha-256",
            f"host all {REGION_ROLE} all reject", f"host replication {REGION_ROLE} all reject"]


TLS = ca_and_server()


def make_office(code: str) -> OfficeSite:
    c = LocalCluster(f"office-{code.lower()}", office_hba(code), tls=(TLS[1], TLS[2])).start()
    admin = create_engine(c.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {OFFICE_DB}")
    admin.dispose()
    eng = db.make_engine(c.url(OFFICE_DB))
    db.migrate(eng)
    site = OfficeSite(code, c)
    name, kode = VILLAGES[code]
    with eng.begin() as conn:
        site.village = conn.execute(insert(villages).values(name=name, kode_wilayah=kode)).inserted_primary_key[0]
        conn.execute(insert(devices).values(id="d", token_hash="t" * 64, created_at=clock.iso(clock.now())))
        site.author = str(uuid.uuid4())
        conn.execute(insert(persons).values(id=site.author, name=f"Relawan {code}", village_id=site.village,
                                            role="volunteer", device_id="d", x25519_public=b"x" * 32,
                                            ed25519_public=b"e" * 32, key_id=uuid.uuid4().hex,
                                            created_at=clock.iso(clock.now())))
    site.keys = throwaway_office_keys()
    site.volunteer = Volunteer.enrol(eng, site.village, f"Relawan Kunci {code}")
    eng.dispose()
    return site


def setup_office(site: OfficeSite) -> None:
    setup.office_setup(site.cluster.url(), OFFICE_DB, site.code,
                       local_conninfo=site.cluster.conninfo(OFFICE_DB), region_role=REGION_ROLE,
                       region_password=REGION_PASSWORD, level_key=b"k" * 32, say=site.said.append)


@dataclass
class Chain:
    offices: dict
    region: LocalCluster
    national: LocalCluster | None = None

    def region_conninfo(self, code: str, ca: bytes | None = None) -> str:
        """How the region reaches an office's share DB: TLS verify-full against the CA."""
        site = self.offices[code]
        root = self.region.file_for_server(f"ca-{code.lower()}.crt", ca or TLS[0])
        return (site.cluster.conninfo(f"share_{code.lower()}", REGION_ROLE, REGION_PASSWORD)
                + f" sslmode=verify-full sslrootcert={root}")

    def heal_national(self) -> list[str]:
        """After a region restart: the national subscriptions were stopped by disable_on_error
        (a lost connection counts as an error in PostgreSQL 15). Says which were, enables them,
        waits until the national copy equals the region's again."""
        eng = create_engine(self.national.url("national"))
        with eng.connect() as conn:
            stopped = [r[0] for r in conn.execute(text(
                "SELECT subname FROM pg_subscription WHERE NOT subenabled ORDER BY 1"))]
        eng.dispose()
        setup.enable(self.national.url(), "national", list(self.offices), level="national", say=lambda s: None)
        for table in ("share_reports", "share_links"):
            def same(table=table):
                r = {(x.office_code, x.id, x.rahasia) for x in self.region_rows(table=table)}
                return r == {(x.office_code, x.id, x.rahasia) for x in self.region_rows(at="national", table=table)}
            wait_until(same, 60, f"the national {table} to equal the region's again")
        return stopped

    def region_rows(self, where: str = "true", at: str = "region", table: str = "share_reports") -> list:
        cluster = self.region if at == "region" else self.national
        eng = create_engine(cluster.url(at))
        with eng.connect() as conn:
            rows = conn.execute(text(f"SELECT * FROM public.{table} WHERE {where} ORDER BY office_code, id")).all()
        eng.dispose()
        return rows


@pytest.fixture(scope="package")
def chain():
    """One chain for every roll-up test module (four clusters are slow to start)."""
    started = []
    try:
        offices = {}
        for code in ("NNK", "ETK"):
            site = make_office(code)
            started.append(site.cluster)
            offices[code] = site
        region = LocalCluster("region").start()
        started.append(region)
        ch = Chain(offices, region)
        for site in offices.values():
            site.add_report()                     # received before the roll-up existed
            setup_office(site)
        setup.region_setup(region.url(), "region", {c: ch.region_conninfo(c) for c in offices},
                           say=lambda s: None)
        national = LocalCluster("national").start()
        started.append(national)
        ch.national = national
        setup.publish_onward(region.url(), "region", list(offices), say=lambda s: None)
        setup.region_setup(national.url(), "national", {c: region.conninfo("region") for c in offices},
                           level="national", say=lambda s: None)
        yield ch
    finally:
        for c in started:
            c.stop()
