"""Cost per report must not grow with what is stored: every look-up a derive batch makes is
an index search bounded by the batch's own keys or reports — never a scan of a table, of a
whole kind of link, of every signal of a rule, or of a key's whole history.

Checked on the plans SQLite itself chooses (EXPLAIN QUERY PLAN of each statement the worker
ran, with its parameters): without statistics the planner's choice does not depend on how
many rows there are, so what it picks here it picks at 100,000 stored. Each pattern below
is a plan this code once had (see office/warning/schema.py, rings._rings, spike.weekly_spike).
"""
from __future__ import annotations

import re

from sqlalchemy import event

from jaga_desa.testing.derive import drain
from office import db, keys as office_keys
from office.derive import worker
from tests.conftest import TEST_OFFICE_KEY
from tests.office.test_derive import push

UNBOUNDED = [
    (re.compile(r"\bSCAN (warn_|dash_search|derive_)"), "reads a whole table"),
    (re.compile(r"ix_warn_links_key \(kind=\?\)"), "reads every link of a kind"),
    (re.compile(r"warn_signals USING (\w+ )?INDEX \w+ \(rule=\?\)"), "reads every signal of a rule"),
    (re.compile(r"\(kind=\? AND key=\? AND at<\?\)"), "reads a key's whole history"),
]


def unbounded(statement: str, plan: list[str]) -> list[str]:
    if re.search(r"\bLIMIT\b", statement):         # a probe that stops at its first row
        return []
    return [f"{why}: {line}" for line in plan for pattern, why in UNBOUNDED if pattern.search(line)]


def test_every_lookup_of_a_derive_batch_is_bounded_by_an_index(tmp_path):
    keys = office_keys.load_or_create(tmp_path, TEST_OFFICE_KEY)
    engine = db.open_store(tmp_path)
    try:
        push(engine, keys, 36, batch=12)       # the example's calo in two villages: links, names, a ring
        worker.run_once(engine, keys, batch=24 * 4)    # a history with signals for the rest to meet
        seen: list[tuple[str, tuple]] = []

        def grab(conn, cursor, statement, parameters, context, executemany):
            if not executemany and re.match(r"\s*(SELECT|UPDATE|DELETE|WITH)\b", statement, re.I):
                seen.append((statement, tuple(parameters or ())))
        event.listen(engine, "before_cursor_execute", grab)
        try:
            drain(engine, keys)
        finally:
            event.remove(engine, "before_cursor_execute", grab)
        with engine.connect() as conn:
            plans = {s: [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + s, p)] for s, p in seen}
    finally:
        engine.dispose()
    assert any("warn_links" in s and "envelope_id IN" in s for s in plans)      # the guard saw early warning's
    assert any("warn_signal_reports" in s for s in plans) and any("dash_search" in s for s in plans)
    bad = {s[:160]: why for s, plan in plans.items() if (why := unbounded(s, plan))}
    assert not bad, bad


def test_the_guard_catches_a_scan_of_a_kind():
    """Control: plans this code once had are caught; a bounded probe is not."""
    assert unbounded("SELECT envelope_id, key FROM warn_links WHERE kind = ? AND envelope_id IN (?)",
                     ["SEARCH warn_links USING INDEX ix_warn_links_key (kind=?)"])
    assert unbounded("SELECT 1", ["SEARCH warn_signals USING INDEX sqlite_autoindex_warn_signals_1 (rule=?)"])
    assert unbounded("SELECT 1", ["SEARCH warn_links USING COVERING INDEX ix_warn_links_key (kind=? AND key=? AND at<?)"])
    assert not unbounded("SELECT key FROM warn_links WHERE kind = ? AND key = ? AND at < ? LIMIT ?",
                         ["SEARCH warn_links USING COVERING INDEX ix_warn_links_key (kind=? AND key=? AND at<?)"])
