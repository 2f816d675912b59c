"""The level key: never printed, never in argv, and rotated by a command (drill on real clusters).

Whoever holds the level key and the region's `share_links` reverses phone numbers by
enumeration (a few seconds for a whole operator's range), so a key in a terminal's
scroll-back or in `ps` is the numbers given away."""
from __future__ import annotations

import secrets

from sqlalchemy import create_engine, text

from jaga_desa.cli import main
from jaga_desa.testing.derive import drain
from office.derive import worker
from office.rollup import links
from office.rollup.volunteer import report_naming

from .conftest import OFFICE_DB, REGION_PASSWORD, wait_for

OLD = b"k" * 32                 # conftest.setup_office's level key


def _cli(capsys, *argv: str) -> tuple[int, str]:
    code = main(["rollup", *argv])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_setup_prints_no_level_key_and_no_password(chain, capsys, tmp_path, monkeypatch):
    nnk = chain.offices["NNK"]
    key = tmp_path / "level.key"
    key.write_text(OLD.hex() + "\n")
    monkeypatch.setenv("JAGA_ROLLUP_PASSWORD", REGION_PASSWORD)
    argv = ["office-setup", "--url", nnk.cluster.url(), "--office-db", OFFICE_DB, "--code", "NNK",
            "--local-conninfo", nnk.cluster.conninfo(OFFICE_DB), "--level-key-file", str(key)]
    nnk.sql("DELETE FROM kanim_nnk.share_key")          # so the set-up stores the key again, printing its SQL
    code, out = _cli(capsys, *argv)
    assert code == 0 and "create   the level key" in out and "decode('***', 'hex')" in out
    assert OLD.hex() not in out and REGION_PASSWORD not in out
    code, out = _cli(capsys, *argv)
    assert code == 0 and "ok       the level key" in out


def test_secrets_on_the_command_line_are_refused(chain, capsys, tmp_path, monkeypatch):
    nnk = chain.offices["NNK"]
    monkeypatch.delenv("JAGA_ROLLUP_LEVEL_KEY", raising=False)
    monkeypatch.delenv("JAGA_ROLLUP_LEVEL_KEY_FILE", raising=False)
    with_pw = nnk.cluster.url(password="rahasia-admin")
    for argv in (["check", "--url", with_pw, "--db", "region"],
                 ["region-setup", "--url", chain.region.url(), "--office", "NNK=host=x dbname=share_nnk password=p"],
                 ["resync", "--url", chain.region.url(), "--code", "NNK", "--conninfo", "host=x PASSWORD = p"],
                 ["office-setup", "--url", nnk.cluster.url(), "--office-db", OFFICE_DB, "--code", "NNK",
                  "--local-conninfo", "host=x user=jaga password=p"]):
        code, out = _cli(capsys, *argv)
        assert code == 1 and out.startswith("error [rollup_invalid]: a password in --") and "ps" in out, argv
        assert "rahasia-admin" not in out
    base = ["office-setup", "--url", nnk.cluster.url(), "--office-db", OFFICE_DB, "--code", "NNK",
            "--local-conninfo", nnk.cluster.conninfo(OFFICE_DB)]
    code, out = _cli(capsys, *base)
    assert code == 1 and out.startswith("error [rollup_invalid]: give the level key with --level-key-file")
    short = tmp_path / "short.key"
    short.write_text("abcd")
    code, out = _cli(capsys, *base, "--level-key-file", str(short))
    assert code == 1 and "64 hex digits" in out and "abcd" not in out
    code, out = _cli(capsys, *base, "--level-key-file", str(tmp_path / "missing.key"))
    assert code == 1 and out.startswith("error [rollup_invalid]:") and "cannot read the level key" in out
    code, out = _cli(capsys, "rotate-key", "--url", chain.region.url(), "--office-db", "region", "--code", "NNK",
                     "--level-key-file", str(tmp_path / "missing.key"))
    assert code == 1 and out.startswith("error [rollup_invalid]:")


def _signal(chain, key: str, at: str = "region") -> list:
    from office.rollup import signals
    eng = create_engine((chain.region if at == "region" else chain.national).url(at))
    with eng.connect() as conn:
        found = [s for s in signals.cross_office(conn) if s.key == key]
    eng.dispose()
    return found


def _rotate_everywhere(chain, capsys, tmp_path, key: bytes) -> str:
    path = tmp_path / f"level-{key.hex()[:6]}.key"
    path.write_text(key.hex())
    said = []
    for code, site in sorted(chain.offices.items()):
        rc, out = _cli(capsys, "rotate-key", "--url", site.cluster.url(), "--office-db", OFFICE_DB, "--code", code,
                       "--level-key-file", str(path))
        assert rc == 0, out
        said.append(out)
        worker.catch_up(site.engine)                # what the office process does when it starts again
        drain(site.engine, site.keys)
    return "\n".join(said)


def test_rotating_the_level_key_at_every_office_drill(chain, capsys, tmp_path):
    nnk, etk = chain.offices["NNK"], chain.offices["ETK"]
    nnk.file(report_naming("0812 6060 7070"))
    etk.file(report_naming("+62 812-6060-7070"))
    old_key = links.link_key(OLD, "phone", "+6281260607070")
    wait_for(lambda: _signal(chain, old_key), "the cross-office signal under the old key")
    before = {str(r.id) for r in chain.region_rows("office_code = 'NNK'")}
    new = secrets.token_bytes(32)
    new_key = links.link_key(new, "phone", "+6281260607070")
    try:
        said = _rotate_everywhere(chain, capsys, tmp_path, new)
        assert "create   level key of ETK replaced" in said and new.hex() not in said and OLD.hex() not in said
        for at in ("region", "national"):
            wait_for(lambda: _signal(chain, new_key, at), f"the same signal under the new key at {at}")
            wait_for(lambda: not chain.region_rows(f"key = '{old_key}'", at=at, table="share_links"),
                     f"no link key under the old level key left at {at}")
        share = create_engine(nnk.cluster.url("share_nnk"))
        with share.connect() as conn:
            published = {str(r[0]) for r in conn.execute(text("SELECT id FROM kanim_nnk.share_reports"))}
        share.dispose()
        assert not published & before                            # every pseudonym is new ...
        wait_for(lambda: {str(r.id) for r in chain.region_rows("office_code = 'NNK'")} == published,
                 "the region's NNK pseudonyms to follow")              # ... nothing lost, nothing twice
        rc, out = _cli(capsys, "rotate-key", "--url", nnk.cluster.url(), "--office-db", OFFICE_DB, "--code", "NNK",
                       "--level-key-file", str(tmp_path / f"level-{new.hex()[:6]}.key"))
        assert rc == 0 and "ok       office NNK already holds this level key" in out
    finally:                  # back to the chain's key for the other modules
        _rotate_everywhere(chain, capsys, tmp_path, OLD)
    wait_for(lambda: _signal(chain, old_key, "national"), "the signal back under the chain's key")
