"""recall3_0001 (nicknames are not names, e/i in a closing syllable is one spelling): the
link keys and name counts of the old reading are dropped and every stored report is queued
for early warning and the roll-up links again, on SQLite and PostgreSQL; the worker restores
what a derive from scratch gives, the signals an analyst saw kept. The store fixture and
helpers are the derive tests' own (tests/office/test_derive.py)."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from office import db
from office.derive.schema import derive_jobs
from office.warning.schema import warn_links, warn_name_stats
from jaga_desa.testing.derive import drain
from tests.office.test_derive import count, push, snapshot, store  # noqa: F401  (store: the fixture)


def test_the_nickname_migration_derives_early_warning_and_rollup_links_again(store):  # noqa: F811
    from alembic import command
    engine, keys, _, _ = store
    ids = push(engine, keys, 12, batch=6)
    drain(engine, keys)
    first = snapshot(engine)
    assert first["links"] and first["signals"]
    cfg = db.alembic_config()
    for step, rev in ((command.downgrade, "derive3_0002"), (command.upgrade, "recall3_0001")):
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            step(cfg, rev)
    with db.reading(engine) as conn:
        queued = Counter(conn.execute(select(derive_jobs.c.consumer, derive_jobs.c.envelope_id)).all())
    assert count(engine, warn_links) == 0 and count(engine, warn_name_stats) == 0
    assert set(queued) == {(c, e) for c in ("early_warning", "rollup_links") for e in ids}
    assert snapshot(engine)["signals"] == first["signals"]
    drain(engine, keys)
    assert snapshot(engine) == first and count(engine, derive_jobs) == 0
