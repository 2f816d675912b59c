"""Cross-office links on pseudonymous keys: real sealed reports through each office's ingest,
link keys under the level key, carried to the region and the national level."""
from __future__ import annotations

import hashlib
import hmac
import uuid

import psycopg
import pytest
from sqlalchemy import create_engine, text

from office.derive import worker
from office.derive.consumers import rollup_links
from office.rollup import ddl, links, signals
from office.rollup.volunteer import report_naming
from office.warning.linkkeys import link_key as office_link_key

from .conftest import wait_for

LEVEL_KEY = b"k" * 32          # conftest.setup_office's level key


def pseudonym(envelope_id: str) -> str:
    return str(uuid.UUID(bytes=hmac.new(LEVEL_KEY, envelope_id.encode(), hashlib.sha256).digest()[:16]))


def cross(chain, at: str = "region", days: int = 14):
    cluster = chain.region if at == "region" else chain.national
    eng = create_engine(cluster.url(at))
    with eng.connect() as conn:
        out = signals.cross_office(conn, days=days)
    eng.dispose()
    return out


def signal_for(chain, e164: str, at: str = "region"):
    key = links.link_key(LEVEL_KEY, "phone", e164)
    return [s for s in cross(chain, at) if s.key == key]


def test_one_phone_at_two_offices_is_one_signal_at_region_and_national(chain):
    nnk, etk = chain.offices["NNK"], chain.offices["ETK"]
    a = nnk.file(report_naming("0812-7731 5599"))               # two spellings of one number
    b = etk.file(report_naming("+62 812 7731 5599", boat="KM. Sinar Jaya"))
    hidden = nnk.file(report_naming("0813 4400 2211", rahasia=True))   # rahasia: its links stay home
    etk.file(report_naming("0813-4400-2211"))
    for at in ("region", "national"):
        sig = wait_for(lambda: signal_for(chain, "+6281277315599", at), f"the cross-office signal at {at}")
        assert len(sig) == 1
        s = sig[0]
        assert (s.kind, s.offices, s.kecamatan) == ("phone", ["ETK", "NNK"], ["61.03.09", "65.03.01"])
        assert set(s.reports) == {pseudonym(a), pseudonym(b)} and len(s.weeks) >= 1
    # the rahasia report's phone left ETK only: no signal, and no NNK link row at all
    assert signal_for(chain, "+6281344002211") == []
    wait_for(lambda: chain.region_rows(f"key = '{links.link_key(LEVEL_KEY, 'phone', '+6281344002211')}'",
                                       table="share_links"), "ETK's link for the second number")
    assert not chain.region_rows(f"id = '{pseudonym(hidden)}'", table="share_links")
    rows = chain.region_rows("true", table="share_links")
    assert set(rows[0]._fields) == set(ddl.LINKS_PUBLISHED)     # no envelope_id, no value
    assert {r.kind for r in rows} <= set(links.KINDS)


def test_a_rahasia_flip_takes_the_links_and_the_signal_away_and_back(chain):
    nnk, etk = chain.offices["NNK"], chain.offices["ETK"]
    a = nnk.file(report_naming("0812 6600 1177"))
    etk.file(report_naming("0812 6600 1177"))
    wait_for(lambda: signal_for(chain, "+6281266001177"), "the signal")
    nnk.sql("UPDATE envelopes SET rahasia = true WHERE id = :i", i=a)
    wait_for(lambda: not signal_for(chain, "+6281266001177") and not signal_for(chain, "+6281266001177", "national"),
             "the signal to go when NNK's report becomes rahasia (region and national)")
    assert not chain.region_rows(f"id = '{pseudonym(a)}'", table="share_links")
    nnk.sql("UPDATE envelopes SET rahasia = false WHERE id = :i", i=a)
    wait_for(lambda: signal_for(chain, "+6281266001177"), "the signal back with the report")


def test_the_regional_key_is_neither_the_office_key_nor_the_number(chain):
    nnk = chain.offices["NNK"]
    eid = nnk.file(report_naming("0812 5500 9933", name="Pak H. Udin Saparudin"))
    region_rows = wait_for(lambda: chain.region_rows(f"id = '{pseudonym(eid)}'", table="share_links"),
                           "the report's links at the region")
    with nnk.engine.connect() as conn:
        office_keys = {r.kind: r.key for r in conn.execute(text(
            "SELECT kind, key FROM warn_links WHERE envelope_id = :e"), {"e": eid})}
    by_kind = {r.kind: r.key for r in region_rows}
    assert set(by_kind) == {"phone", "name"}                   # whole name only, never the fuzzy tokens
    assert office_keys["phone"] == office_link_key(nnk.keys, "phone", "+6281255009933")
    assert by_kind["phone"] != office_keys["phone"]
    assert by_kind["phone"] == links.link_key(LEVEL_KEY, "phone", "+6281255009933")
    assert not {str(v) for r in region_rows for v in r} & {"+6281255009933", "udin saparudin", eid}
    assert all("5500" not in str(v) and "udin" not in str(v).lower() for r in region_rows for v in r)


def test_an_office_cannot_send_links_under_another_code(chain):
    nnk = chain.offices["NNK"]
    # at the office: even with its own CHECK dropped, the row filter keeps an ETK-coded row home
    nnk.sql("ALTER TABLE kanim_nnk.share_links DROP CONSTRAINT share_links_office")
    try:
        nnk.sql("INSERT INTO kanim_nnk.share_links (office_code, id, envelope_id, kind, key, rahasia, week) "
                "VALUES ('ETK', gen_random_uuid(), 'x', 'phone', 'forged', false, '2026-W48')")
        marker = nnk.file(report_naming("0812 1100 2299"))
        wait_for(lambda: chain.region_rows(f"id = '{pseudonym(marker)}'", table="share_links"), "a later link")
        assert not chain.region_rows("key = 'forged'", table="share_links")
    finally:
        nnk.sql("DELETE FROM kanim_nnk.share_links WHERE office_code <> 'NNK'")
        nnk.sql("ALTER TABLE kanim_nnk.share_links ADD CONSTRAINT share_links_office CHECK (office_code = 'NNK')")
    # at the region: NNK's table refuses any other code (a tampered share DB would stop NNK's stream)
    with psycopg.connect(host="127.0.0.1", port=chain.region.port, dbname="region", user="jaga") as conn:
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("INSERT INTO kanim_nnk.share_links (office_code, id, kind, key, rahasia, week) "
                         "VALUES ('ETK', gen_random_uuid(), 'phone', 'forged', false, '2026-W48')")


def test_reports_from_before_the_setup_get_their_links_when_the_worker_starts(chain):
    """A starting derive worker (it holds the office key) queues the reports whose links were
    never made (received before `rollup office-setup`) for the roll-up consumer."""
    nnk, etk = chain.offices["NNK"], chain.offices["ETK"]
    old = nnk.file(report_naming("0812 3300 4455"))
    etk.file(report_naming("0812 3300 4455"))
    wait_for(lambda: signal_for(chain, "+6281233004455"), "the signal")
    nnk.sql("DELETE FROM kanim_nnk.share_links WHERE envelope_id = :e", e=old)        # as if received before
    nnk.sql("DELETE FROM kanim_nnk.share_links_done WHERE envelope_id = :e", e=old)   # the roll-up existed
    wait_for(lambda: not signal_for(chain, "+6281233004455"), "the signal gone with NNK's links")
    assert worker.catch_up(nnk.engine, limit=2) >= 1   # that report, and the unsealed fixture rows never looked at
    assert worker.exhaust(nnk.engine, nnk.keys, batch=2) >= 1
    with nnk.engine.connect() as conn:
        assert rollup_links.missing(conn, 10) == []
    sig = wait_for(lambda: signal_for(chain, "+6281233004455"), "the signal back after the catch-up")
    assert pseudonym(old) in sig[0].reports
    assert worker.catch_up(nnk.engine) == 0          # nothing left: a second start does nothing


def test_office_setup_needs_the_levels_one_key(chain, capsys, monkeypatch):
    """Two keys in one level and no link would ever meet: the CLI refuses both mistakes."""
    from jaga_desa.cli import main
    nnk = chain.offices["NNK"]
    argv = ["rollup", "office-setup", "--url", nnk.cluster.url(), "--office-db", "jaga_office", "--code", "NNK",
            "--local-conninfo", nnk.cluster.conninfo("jaga_office")]
    monkeypatch.delenv("JAGA_ROLLUP_LEVEL_KEY", raising=False)
    monkeypatch.delenv("JAGA_ROLLUP_LEVEL_KEY_FILE", raising=False)
    assert main(argv) == 1
    assert capsys.readouterr().err.startswith("error [rollup_invalid]: give the level key with --level-key-file")
    monkeypatch.setenv("JAGA_ROLLUP_LEVEL_KEY", "ab" * 32)          # not the key NNK holds
    assert main(argv) == 1
    assert "already holds a different level key" in capsys.readouterr().err
    monkeypatch.setenv("JAGA_ROLLUP_LEVEL_KEY", LEVEL_KEY.hex())
    monkeypatch.setenv("JAGA_ROLLUP_PASSWORD", "kata-sandi-replikasi-uji")
    assert main(argv) == 0 and "create   publication" not in capsys.readouterr().out


def test_ingest_extracts_a_reports_identifiers_once_for_the_engine_and_the_links(chain, monkeypatch):
    """One real sealed report through the office's ingest with the roll-up set up: the
    early-warning engine's links and the roll-up's link rows both come from a single
    extraction (the real `extract.facts`, wrapped only to count its calls)."""
    from office.warning import extract
    real, calls = extract.facts, []

    def counted(form_id, answers, places):
        calls.append(form_id)
        return real(form_id, answers, places)
    monkeypatch.setattr(extract, "facts", counted)
    nnk = chain.offices["NNK"]
    eid = nnk.file(report_naming("0821 5566 7788", boat="KM Sekali Saja"))
    assert calls == ["laporan_kecurigaan"]
    with nnk.engine.connect() as conn:
        kinds = sorted(r[0] for r in conn.execute(text(
            "SELECT kind FROM kanim_nnk.share_links WHERE envelope_id = :e"), {"e": eid}))
        warn = {r[0] for r in conn.execute(text("SELECT kind FROM warn_links WHERE envelope_id = :e"), {"e": eid})}
    assert kinds == ["boat", "phone"] and {"phone", "boat"} <= warn
