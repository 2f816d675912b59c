"""docs/ROLLUP.md, followed literally: its `sh` blocks run in order, as written, on fresh
clusters — two offices, a region and national, every hop over TLS verify-full with SCRAM
logins — then a report filed at an office reaches national.

The doc's `text` blocks are what a person edits by hand (postgresql.conf, pg_hba.conf, the
values of the shell variables); the clusters here are started with them already in place
(LocalCluster: logical WAL, ssl=on, the pg_hba lines the doc prints), and the variables are
given this machine's values. Everything else is the doc's own commands, through the real
`jaga-desa` console script."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from office.rollup.cluster import LocalCluster

from .conftest import OFFICE_DB, REGION_PASSWORD, REGION_ROLE, TLS, make_office, office_hba, wait_for

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "ROLLUP.md"
BLOCK = re.compile(r"```sh\n# at: (\w+)\n(.*?)```", re.S)
NATIONAL_PASSWORD = "kata-sandi-nasional-uji"


def blocks() -> list[tuple[str, str]]:
    return BLOCK.findall(DOC.read_text(encoding="utf-8"))


def _sh(script: str, env: dict, cwd: Path) -> str:
    bindir = str(Path(sys.executable).parent)            # the venv's jaga-desa and python
    full = {**os.environ, **env, "PATH": f"{bindir}:{os.environ.get('PATH', '')}"}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=full, capture_output=True,
                          text=True, timeout=300)
    out = done.stdout + done.stderr
    assert done.returncode == 0, f"the doc's block failed ({done.returncode}):\n{script}\n---\n{out[-3000:]}"
    assert "Traceback" not in out
    return out


def test_the_doc_names_every_site_in_order():
    sites = [site for site, _ in blocks()]
    assert sites[0] == "once" and "office" in sites and sites.index("office") < sites.index("region") \
        < sites.index("national")


def test_following_docs_rollup_md_builds_a_working_chain(tmp_path):
    started: list[LocalCluster] = []
    try:
        offices = {}
        for code in ("NNK", "ETK"):
            offices[code] = site = make_office(code)
            started.append(site.cluster)
        region = LocalCluster("doc-region", [f"hostssl region jaga_national 127.0.0.1/32 scram-sha-256",
                                             "host all jaga_national all reject",
                                             "host replication jaga_national all reject"],
                              tls=(TLS[1], TLS[2])).start()
        started.append(region)
        national = LocalCluster("doc-national").start()
        started.append(national)
        common = {"JAGA_ROLLUP_LEVEL_KEY": "", "JAGA_ROLLUP_LEVEL_KEY_FILE": ""}
        env = {
            "office": {code: {**common, "OFFICE_ADMIN_URL": s.cluster.url(), "OFFICE_DB": OFFICE_DB,
                              "OFFICE_CODE": code, "OFFICE_SOCKET": str(s.cluster.base),
                              "OFFICE_PORT": str(s.cluster.port), "OFFICE_SUPERUSER": "jaga",
                              "JAGA_ROLLUP_PASSWORD": REGION_PASSWORD} for code, s in offices.items()},
            "region": {**common, "REGION_ADMIN_URL": region.url(), "JAGA_ROLLUP_PASSWORD": REGION_PASSWORD,
                       "NATIONAL_PASSWORD": NATIONAL_PASSWORD,
                       "OFFICE_CA": str(region.file_for_server("office-ca.crt", TLS[0])),
                       **{f"{c}_HOST": "127.0.0.1" for c in offices},
                       **{f"{c}_PORT": str(s.cluster.port) for c, s in offices.items()}},
            "national": {**common, "NATIONAL_ADMIN_URL": national.url(), "REGION_HOST": "127.0.0.1",
                         "REGION_PORT": str(region.port), "JAGA_ROLLUP_PASSWORD": NATIONAL_PASSWORD,
                         "REGION_CA": str(national.file_for_server("region-ca.crt", TLS[0]))},
        }
        said = []
        for site, script in blocks():
            for one in (env["office"].values() if site == "office" else [env.get(site, common)]):
                said.append(_sh(script, one, tmp_path))
        out = "\n".join(said)
        key = (tmp_path / "level.key").read_text().strip()
        assert len(key) == 64 and oct((tmp_path / "level.key").stat().st_mode)[-3:] == "600"
        for secret in (key, REGION_PASSWORD, NATIONAL_PASSWORD):
            assert secret not in out                        # never printed
        eid_region = offices["NNK"].add_report(category="penampungan")
        offices["ETK"].add_report()
        for cluster, db in ((region, "region"), (national, "national")):
            eng = create_engine(cluster.url(db))

            def arrived(eng=eng) -> bool:
                with eng.connect() as conn:
                    return conn.execute(text("SELECT count(*) FROM public.share_reports WHERE category = "
                                             "'penampungan' AND office_code = 'NNK'")).scalar() == 1
            wait_for(arrived, f"a report filed at NNK at {db}")
            eng.dispose()
        del eid_region
        with create_engine(region.url("region")).connect() as conn:    # national logs in as its own login
            assert conn.execute(text("SELECT count(*) FROM pg_stat_replication WHERE usename = 'jaga_national' "
                                     "AND application_name LIKE 'jaga_national_%'")).scalar() == 2
            assert conn.execute(text("SELECT bool_and(s.ssl) FROM pg_stat_replication r JOIN pg_stat_ssl s "
                                     "ON s.pid = r.pid")).scalar() is True
        for code, s in offices.items():                     # and the region as jaga_region, over TLS
            with create_engine(s.cluster.url("share_" + code.lower())).connect() as conn:
                assert conn.execute(text(f"SELECT count(*) FROM pg_stat_replication r JOIN pg_stat_ssl l ON "
                                         f"l.pid = r.pid WHERE r.usename = '{REGION_ROLE}' AND l.ssl")).scalar() >= 1
    finally:
        for c in started:
            c.stop()
