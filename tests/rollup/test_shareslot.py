"""`rollup repair-share` on a real office cluster: the share database's slot (inside the
office cluster) is dropped under the live subscription, reports keep coming in, `check`
names the trouble and the command, the command repairs it, and the region and national
copies end equal to the office's share rows (nothing lost, nothing twice)."""
from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from jaga_desa.cli import main
from office.rollup import health, shareslot
from office.rollup.volunteer import report_naming

from .conftest import OFFICE_DB, wait_for

SLOT = "jaga_share_nnk"


def office_rows(site, table: str, cols: str) -> list[tuple]:
    """What may leave NNK: the office's share rows the row filter lets through."""
    with site.engine.connect() as conn:
        return sorted(tuple(map(str, r)) for r in conn.execute(text(
            f"SELECT {cols} FROM kanim_nnk.{table} WHERE NOT rahasia")))


def level_rows(chain, at: str, table: str, cols: str) -> list[tuple]:
    return sorted(tuple(str(getattr(r, c.strip())) for c in cols.split(","))
                  for r in chain.region_rows("office_code = 'NNK'", at=at, table=table))


def drop_slot_under_the_subscription(site) -> None:
    """End the walsender that holds the slot and drop it before the apply worker reconnects."""
    admin = create_engine(site.cluster.url(OFFICE_DB), isolation_level="AUTOCOMMIT")

    def dropped() -> bool:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots "
                              "WHERE slot_name = :s AND active_pid IS NOT NULL"), {"s": SLOT})
            try:
                conn.execute(text("SELECT pg_drop_replication_slot(:s)"), {"s": SLOT})
            except DBAPIError:           # the walsender had not exited yet: try again
                return False
            return True
    wait_for(dropped, f"slot {SLOT} dropped")
    admin.dispose()


def test_a_lost_share_slot_is_found_and_repaired_with_nothing_lost_or_twice(chain, capsys):
    nnk = chain.offices["NNK"]
    nnk.file(report_naming("0812 7000 4411"))   # a report with a link
    wait_for(lambda: level_rows(chain, "region", "share_reports", "id") == office_rows(nnk, "share_reports", "id"),
             "the region equal to the office before the drill")
    assert shareslot.repair(nnk.cluster.url(), OFFICE_DB, "NNK", local_conninfo=nnk.cluster.conninfo(OFFICE_DB),
                            say=lambda s: None) is False                 # healthy: nothing done

    drop_slot_under_the_subscription(nnk)
    during = [nnk.add_report(category="lainnya") for _ in range(5)]       # ingested while nothing flows
    during.append(nnk.file(report_naming("0812 7000 4422", boat="KM Slot Hilang")))
    problems = health.check(nnk.cluster.url(), OFFICE_DB, say=lambda s: None)
    assert any(SLOT in p and "repair-share" in p for p in problems)

    assert main(["rollup", "repair-share", "--url", nnk.cluster.url(), "--office-db", OFFICE_DB, "--code", "NNK",
                 "--local-conninfo", nnk.cluster.conninfo(OFFICE_DB)]) == 0
    out = capsys.readouterr().out
    assert "slot jaga_share_nnk in jaga_office: missing" in out
    assert "pg_create_logical_replication_slot('jaga_share_nnk', 'pgoutput')" in out and "DELETE FROM" in out

    with nnk.engine.connect() as conn:
        pseudonyms = {str(r[0]) for r in conn.execute(text(
            "SELECT id FROM kanim_nnk.share_reports WHERE envelope_id = ANY(:e)"), {"e": during})}
    assert len(pseudonyms) == len(during)
    for at in ("region", "national"):
        for table, cols in (("share_reports", "id, triage, category"), ("share_links", "id, kind, key")):
            want = office_rows(nnk, table, cols)
            got = wait_for(lambda: (rows := level_rows(chain, at, table, cols)) == want and rows,
                           f"{at} {table} of NNK equal to the office's again")
            assert len(got) == len(set(got)) == len(want)                 # nothing twice, nothing lost
        ids = {r[0] for r in level_rows(chain, at, "share_reports", "id")}
        assert pseudonyms <= ids, at                                     # what came in while it was broken

    after = nnk.add_report()                                             # and the stream is live again
    with nnk.engine.connect() as conn:
        pid = str(conn.execute(text("SELECT id FROM kanim_nnk.share_reports WHERE envelope_id = :e"),
                               {"e": after}).scalar())
    wait_for(lambda: pid in {r[0] for r in level_rows(chain, "national", "share_reports", "id")},
             "a report after the repair at the national level")
    assert not any("repair-share" in p for p in health.check(nnk.cluster.url(), OFFICE_DB, say=lambda s: None))
    assert main(["rollup", "repair-share", "--url", nnk.cluster.url(), "--office-db", OFFICE_DB, "--code", "NNK",
                 "--local-conninfo", nnk.cluster.conninfo(OFFICE_DB)]) == 0
    assert "nothing to repair" in capsys.readouterr().out                # again: changes nothing


def test_repair_share_on_an_office_without_the_rollup_is_a_typed_error(chain, capsys):
    etk = chain.offices["ETK"]
    code = main(["rollup", "repair-share", "--url", etk.cluster.url(), "--office-db", OFFICE_DB, "--code", "ZZZ",
                 "--local-conninfo", etk.cluster.conninfo(OFFICE_DB)])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error [rollup_not_set_up]:") and "office-setup" in err
