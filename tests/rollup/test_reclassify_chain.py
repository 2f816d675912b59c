"""A report reclassified as rahasia at the office leaves the region and national copies,
its cross-office links with it; taken off again, it returns (real clusters, the office's
own command line: `office-admin reclassify`)."""
from __future__ import annotations

from office.cli import main as office_main
from office.rollup import links
from office.rollup.volunteer import report_naming

from .conftest import OFFICE_DB, wait_for
from .test_links import LEVEL_KEY, pseudonym


def test_reclassify_at_the_office_propagates_through_the_chain(chain, tmp_path, capsys):
    nnk, etk = chain.offices["NNK"], chain.offices["ETK"]
    eid = nnk.file(report_naming("0812 3434 5656"))
    etk.file(report_naming("+62 812-3434-5656"))
    key = links.link_key(LEVEL_KEY, "phone", "+6281234345656")
    pid = pseudonym(eid)
    for at in ("region", "national"):
        wait_for(lambda: chain.region_rows(f"id = '{pid}'", at=at), f"the report at {at}")
        wait_for(lambda: len({r.office_code for r in chain.region_rows(f"key = '{key}'", at=at, table="share_links")})
                 == 2, f"its link at {at}, from both offices")
    cli = ["office-admin", "--data", str(tmp_path), "--db", nnk.cluster.url(OFFICE_DB), "reclassify", "--report", eid]
    assert office_main(cli) == 0
    assert f"report {eid}: rahasia" in capsys.readouterr().out
    for at in ("region", "national"):
        wait_for(lambda: not chain.region_rows(f"id = '{pid}'", at=at), f"the report gone from {at}")
        wait_for(lambda: {r.office_code for r in chain.region_rows(f"key = '{key}'", at=at, table="share_links")}
                 == {"ETK"}, f"NNK's link gone from {at} (ETK's stays)")
    assert nnk.sql("SELECT count(*) FROM dash_audit WHERE action = 'reclassify' AND target = :e", e=eid).scalar() == 1
    assert office_main(cli + ["--not-rahasia"]) == 0
    for at in ("region", "national"):
        wait_for(lambda: chain.region_rows(f"id = '{pid}'", at=at), f"the report back at {at}")
