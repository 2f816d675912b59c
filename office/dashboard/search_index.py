"""The dashboard's search index: which reports hold which keyed word tokens, as an inverted
index (migration derive2_0001) instead of one B-tree row per word and report.

Tokens are what `derived.term_hashes` makes: hex HMACs under an office-derived key, never a
word in clear; the index holds nothing else of a report.

    SQLite      dash_search (doc INTEGER PRIMARY KEY AUTOINCREMENT, envelope_id UNIQUE, terms)
                maps a report to its current document and keeps that document's tokens
                (their raw bytes; migration derive3_0001); dash_search_fts is a contentless
                FTS5 table (detail=none: only which document holds a token) of the same
                tokens. A contentless table deletes a document only when given the values
                it was indexed with (SQLite 3.40 has no contentless_delete), so re-indexing
                a report first hands the index its kept tokens with FTS5's 'delete'
                command: the index never holds a token of a report's old words.
                Each report's current document is also kept on its dashboard row
                (dash_reports.search_doc, migration search4_0001; NULL: none or not known,
                then looked up), so a walk over the reports tests that column against the
                match without a look-up per report: the overview's counts at 100k.
                A search takes the cheapest of three forms (`holding_all`): fetch the
                match when it is small; walk the caller's reports against the match read
                once into a set when it is large; test each report's kept tokens when the
                reports to test are few next to the match (a narrow filter, common words).
    PostgreSQL  dash_search (envelope_id PRIMARY KEY, terms text[]) with a GIN index on terms;
                re-indexing replaces the array. The arrays stay in their rows (toast_tuple_target
                8160) and the index has no pending list (fastupdate off), migration
                pgsearch_0001: the planner then prices a scan or a walk of dash_search at what
                it costs, and answers a search with a rare word from the index
                (tests/office/test_search_plans.py reads its plan).
"""
from __future__ import annotations

import re
from typing import Iterable, Mapping, NamedTuple, Sequence

from sqlalchemy import (ColumnElement, Connection, Integer, LargeBinary, String, Text, and_, bindparam, case, column,
                        exists, func, literal, select, table, text)
from sqlalchemy.dialects.postgresql import ARRAY

dash_search = table("dash_search", column("envelope_id", String), column("doc", Integer),   # doc: SQLite only
                    column("terms", LargeBinary))                                   # SQLite: kept tokens (_pack)


def _pg(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


class Document(NamedTuple):
    """A report's tokens as the index stores them: sorted and distinct (PostgreSQL's array),
    the text FTS5 indexes, and what dash_search keeps on SQLite (`_pack`)."""
    tokens: list[str]
    text: str
    packed: bytes | str


def document(tokens: Iterable[str]) -> Document:
    """Pure CPU per report: the search consumer's `prepare` makes it before the write
    (maybe in a pool process), so the one writing process only writes it."""
    kept = sorted(set(tokens))
    joined = " ".join(kept)
    return Document(kept, joined, _pack(kept, joined))


def replace(conn: Connection, terms: Mapping[str, Iterable[str] | Document]) -> None:
    """Set each report's tokens to exactly these (none: the report leaves the index), so a
    report derived again keeps no word it no longer has. One statement per step, not per row.
    A report's tokens may come as a `Document` made already."""
    if not terms:
        return
    ids = list(terms)
    docs = {e: t if isinstance(t, Document) else document(t) for e, t in terms.items()}
    docs = {e: d for e, d in docs.items() if d.tokens}
    if _pg(conn):
        conn.execute(text("DELETE FROM dash_search WHERE envelope_id = ANY(:ids)"), {"ids": ids})
        if docs:
            conn.exec_driver_sql("INSERT INTO dash_search (envelope_id, terms) VALUES (%s, %s)",
                                 [(e, d.tokens) for e, d in docs.items()])
        return
    marks = ",".join("?" * len(ids))
    old = conn.exec_driver_sql(f"SELECT doc, terms FROM dash_search WHERE envelope_id IN ({marks}) "
                               "AND terms IS NOT NULL", tuple(ids)).all()
    if old:
        conn.exec_driver_sql("INSERT INTO dash_search_fts (dash_search_fts, rowid, terms) VALUES ('delete', ?, ?)",
                             [(doc, _unpack(kept)) for doc, kept in old])
    conn.exec_driver_sql(f"DELETE FROM dash_search WHERE envelope_id IN ({marks})", tuple(ids))
    if not docs:
        _keep_docs(conn, ids)
        return
    conn.exec_driver_sql("INSERT INTO dash_search (envelope_id, terms) VALUES (?, ?)",
                         [(e, d.packed) for e, d in docs.items()])
    mapped = conn.exec_driver_sql(
        f"SELECT doc, envelope_id FROM dash_search WHERE envelope_id IN ({','.join('?' * len(docs))})",
        tuple(docs)).all()
    conn.exec_driver_sql("INSERT INTO dash_search_fts (rowid, terms) VALUES (?, ?)",
                         [(doc, docs[e].text) for doc, e in mapped])
    _keep_docs(conn, ids)


def _keep_docs(conn: Connection, ids: list[str]) -> None:
    """dash_reports.search_doc of these reports: their documents now (NULL: none), one statement.
    A report whose filter row is written later (or again) has NULL there, which a search
    reads as "look it up" (`_doc_of`)."""
    conn.exec_driver_sql(f"UPDATE dash_reports SET search_doc = (SELECT doc FROM dash_search s WHERE "
                         f"s.envelope_id = dash_reports.envelope_id) WHERE envelope_id IN ({','.join('?' * len(ids))})",
                         tuple(ids))


_TOKENS = re.compile(r"[0-9a-f]{32}(?: [0-9a-f]{32})*")


def _pack(tokens: list[str], joined: str) -> bytes | str:
    """A report's kept tokens: the raw 16 bytes of each 32-hex token (half the size of the
    text), or the text itself for anything else (the migration keeps what FTS5 held).
    Every token is 32 hex exactly when `joined` (the tokens and one space between each) is
    that many 32-hex runs apart by single spaces: one match over the text, not one per token
    (a sixth of a search derive)."""
    return bytes.fromhex("".join(tokens)) if len(joined) == 33 * len(tokens) - 1 and _TOKENS.fullmatch(joined) \
        else joined


def _unpack(kept: bytes | str) -> str:
    """The exact text FTS5 indexed for those tokens (its 'delete' needs the same values)."""
    if isinstance(kept, str):
        return kept
    h = bytes(kept).hex()
    return " ".join(h[i:i + 32] for i in range(0, len(h), 32))


def clear(conn: Connection) -> None:
    """Empty the index (a rebuild of the search consumer), orphaned documents too."""
    conn.execute(text("DELETE FROM dash_search"))
    if not _pg(conn):
        conn.execute(text("INSERT INTO dash_search_fts (dash_search_fts) VALUES ('delete-all')"))
        conn.execute(text("UPDATE dash_reports SET search_doc = NULL WHERE search_doc IS NOT NULL"))


def forget(conn: Connection, envelope_ids: Iterable[str]) -> None:
    """Take reports out of the index (as if their words were never derived)."""
    replace(conn, {e: () for e in envelope_ids})


def matching(conn: Connection, tokens: Iterable[str]):
    """A select of the envelope ids holding every one of `tokens` (for `column.in_(...)`)."""
    tokens = sorted(set(tokens))
    if _pg(conn):
        return select(dash_search.c.envelope_id).where(
            text("dash_search.terms @> :terms").bindparams(bindparam("terms", tokens, type_=ARRAY(Text))))
    return text("SELECT envelope_id FROM dash_search WHERE doc IN "
                "(SELECT rowid FROM dash_search_fts WHERE dash_search_fts MATCH :q)").bindparams(
        q=_match(tokens)).columns(envelope_id=String)


def _match(tokens: list[str]) -> str:
    """The FTS5 query for reports holding every token."""
    return " AND ".join(f'"{t}"' for t in tokens if t.isalnum()) or '""'   # tokens are hex: quoting is exact


SET, WALK, PROBE = 28, 2, 30
"""What each form of a search costs on SQLite, in units of one rowid of the match materialized
once (~0.5 us): a match fetched by the set form (its envelope id, then its report: ~14 us at
100k), a report walked (its document on its own row, dash_reports.search_doc, tested against
the materialized set: ~1 us; ~7 us when it was looked up by envelope id, before search4_0001),
a report probed (its kept tokens read and searched: ~15 us). Measured on a 100k store, two
common words (bench/search_index_bench.py prints the forms' figures)."""


def holding_all(conn: Connection, tokens: Iterable[str], envelope_id: ColumnElement, *,
                first: int | None = None, among: Sequence[ColumnElement[bool]] = ()) -> ColumnElement[bool]:
    """A condition on the caller's `envelope_id` column: the report holds every one of `tokens`.

    `first`: the caller reads only its first rows along an index (a page, newest first);
    None: it reads every matching row (the overview's counts). `among`: the caller's other
    conditions on the same table (the staff member's grants and filters), so the cost of
    each way of answering can be weighed against how many reports they leave.

    On SQLite there are three forms (PostgreSQL's plan is its planner's, test_search_plans.py):
      set    `envelope_id IN (matching)` fetches EVERY match: right for a rare word.
      walk   the caller walks its index and tests each row's document (its search_doc)
             against the match materialized once as a set of rowids, stopping at the page
             (~first * reports / matches rows): right when the match is large and so are
             the caller's rows — and for counting every report (the overview).
      probe  the caller walks its index and tests each row's own kept tokens (its
             dash_search row, `instr` over their bytes), building no set: right when the
             rows it tests are few next to the match — a narrow filter (one village) with
             common words, where the walk built a set of ~99k rowids to test ~2k reports;
             or a page of very common words. Testing FTS5 itself per row (rowid = ? AND
             MATCH) re-reads both doclists each time (~0.6 ms a row), so the probe reads
             the kept tokens, which are the tokens the index holds (`replace`; `held`).
    The cheapest by SET * matches, matches + WALK * rows, PROBE * rows, where rows = what the
    caller tests: a page's ~first * reports / matches, never more than its filter leaves;
    every row its filter leaves, for counts. The match count is cheap (detail=none counts
    doclists: 6 ms for 99k); the filter's rows are counted only when they decide, and only up
    to where they stop mattering. All forms select the same reports
    (tests/office/test_search_walk.py, test_search_overview.py)."""
    tokens = sorted(set(tokens))
    if _pg(conn):
        return envelope_id.in_(matching(conn, tokens))
    q = _match(tokens)
    found = conn.exec_driver_sql("SELECT count(*) FROM dash_search_fts WHERE dash_search_fts MATCH ?", (q,)).scalar()
    reports = conn.exec_driver_sql("SELECT max(doc) FROM dash_search").scalar() or 0   # >= reports indexed
    rows = reports if first is None else min(reports, first * reports // max(found, 1))
    form = _cheapest(found, rows)
    if form != "probe" and among:         # fewer rows favour a probe, then a walk: the filter decides
        form = _cheapest(found, _rows(conn, envelope_id, among, cap=rows))
    if form == "probe":
        return _probe(tokens, envelope_id)
    if form == "set":
        return envelope_id.in_(matching(conn, tokens))
    return _doc_of(envelope_id).in_(text("SELECT rowid FROM dash_search_fts WHERE dash_search_fts MATCH :q")
                   .bindparams(q=q).columns(rowid=Integer))


def _doc_of(envelope_id: ColumnElement) -> ColumnElement:
    """The report's search document: the copy on its own row (dash_reports.search_doc, read
    with the row the caller walks anyway), else looked up by its id (a row written after its
    words were indexed; a report with no words, whose look-up finds nothing)."""
    look_up = select(dash_search.c.doc).where(dash_search.c.envelope_id == envelope_id).scalar_subquery()
    return func.coalesce(envelope_id.table.c.search_doc, look_up)


def _cheapest(found: int, rows: int) -> str:
    return min((PROBE * rows, "probe"), (found + WALK * rows, "walk"), (SET * found, "set"))[1]


def _rows(conn: Connection, envelope_id: ColumnElement, among: Sequence[ColumnElement[bool]], *, cap: int) -> int:
    """How many rows of `envelope_id`'s table the conditions leave, counting no further than `cap`."""
    inner = select(envelope_id).where(*among).limit(cap).subquery()
    return conn.execute(select(func.count()).select_from(inner)).scalar()


def _probe(tokens: list[str], envelope_id: ColumnElement) -> ColumnElement[bool]:
    """The report's own kept tokens hold every one of `tokens`: the 16 bytes of each in its
    packed bytes, or the token between spaces in a kept text (a document with a token that is
    not 32 hex, `_pack`). Every searched token is 32 hex (derived.term_hashes). A token found
    at an offset that is not a multiple of 16 would need 16 bytes straddling two keyed hashes
    to equal a third keyed hash: 2^-128 a place, never in practice."""
    s = dash_search.c
    spaced = literal(" ").op("||")(s.terms).op("||")(literal(" "))
    as_bytes = and_(*[func.instr(s.terms, literal(bytes.fromhex(t), LargeBinary)) > 0 for t in tokens])
    as_text = and_(*[func.instr(spaced, literal(f" {t} ")) > 0 for t in tokens])
    return exists().where(s.envelope_id == envelope_id,
                          case((func.typeof(s.terms) == "blob", as_bytes), else_=as_text))


def indexed(conn: Connection, envelope_ids: Iterable[str] | None = None) -> set[str]:
    """The reports that have search tokens (of `envelope_ids`, or all)."""
    q = "SELECT envelope_id FROM dash_search"
    if envelope_ids is None:
        return set(conn.execute(text(q)).scalars())
    ids = list(envelope_ids)
    return set(conn.execute(text(q + " WHERE envelope_id IN :ids").bindparams(bindparam("ids", expanding=True)),
                            {"ids": ids}).scalars()) if ids else set()


def holding(conn: Connection, token: str) -> set[str]:
    """The reports whose tokens include `token`."""
    return set(conn.execute(matching(conn, [token])).scalars())


def held(conn: Connection) -> dict[str | None, set[str]]:
    """Every token the index itself holds, by report (None: a document no report maps to).
    Read from the index's own structures (FTS5's fts5vocab on SQLite, not the kept copy), so
    an audit or a test sees what a search could still match. A full scan: never on a page."""
    if _pg(conn):
        return {e: set(t) for e, t in conn.execute(text("SELECT envelope_id, terms FROM dash_search")).all()}
    conn.exec_driver_sql("CREATE VIRTUAL TABLE IF NOT EXISTS temp.dash_search_vocab "
                         "USING fts5vocab(main, 'dash_search_fts', 'instance')")
    out: dict[str | None, set[str]] = {}
    for term, envelope_id in conn.exec_driver_sql(
            "SELECT v.term, s.envelope_id FROM temp.dash_search_vocab v LEFT JOIN dash_search s ON s.doc = v.doc"):
        out.setdefault(envelope_id, set()).add(term)
    return out
