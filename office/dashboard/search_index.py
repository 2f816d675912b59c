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
                A page of a search walks the newest reports and probes the match when
                the match is large, and fetches the match when it is small (`holding_all`).
    PostgreSQL  dash_search (envelope_id PRIMARY KEY, terms text[]) with a GIN index on terms;
                re-indexing replaces the array. The arrays stay in their rows (toast_tuple_target
                8160) and the index has no pending list (fastupdate off), migration
                pgsearch_0001: the planner then prices a scan or a walk of dash_search at what
                it costs, and answers a search with a rare word from the index
                (tests/office/test_search_plans.py reads its plan).
"""
from __future__ import annotations

import re
from typing import Iterable, Mapping, NamedTuple

from sqlalchemy import ColumnElement, Connection, Integer, String, Text, bindparam, column, select, table, text
from sqlalchemy.dialects.postgresql import ARRAY

dash_search = table("dash_search", column("envelope_id", String), column("doc", Integer))   # doc: SQLite only


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
        return
    conn.exec_driver_sql("INSERT INTO dash_search (envelope_id, terms) VALUES (?, ?)",
                         [(e, d.packed) for e, d in docs.items()])
    mapped = conn.exec_driver_sql(
        f"SELECT doc, envelope_id FROM dash_search WHERE envelope_id IN ({','.join('?' * len(docs))})",
        tuple(docs)).all()
    conn.exec_driver_sql("INSERT INTO dash_search_fts (rowid, terms) VALUES (?, ?)",
                         [(doc, docs[e].text) for doc, e in mapped])


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


def holding_all(conn: Connection, tokens: Iterable[str], envelope_id: ColumnElement, *,
                first: int | None = None) -> ColumnElement[bool]:
    """A condition on the caller's `envelope_id` column: the report holds every one of `tokens`.

    `first`: the caller reads only its first rows along an index (the dashboard's page,
    newest first). On SQLite the set form (`envelope_id IN (matching)`) fetches EVERY match
    and the caller sorts them all: two common words, ~99k of 100k reports, took 400-700 ms
    for a page of 50. When the match is large, the caller is better off walking its index and
    testing each row: `(doc of this report) IN (FTS5 match)` is probed against the match
    materialized once as a set of rowids (no per-match look-ups), and the walk stops at the
    page (~first * reports / matches rows). A rare word makes that walk long, so the form is
    chosen by the match count (cheap: detail=none counts doclists, 6 ms for 99k matches):
    walk when matches^2 > first * reports, i.e. when it reads fewer rows than the set form.
    Both forms select the same reports (tests/office/test_search_walk.py); PostgreSQL's plan
    is its planner's (tests/office/test_search_plans.py)."""
    tokens = sorted(set(tokens))
    if _pg(conn) or first is None:
        return envelope_id.in_(matching(conn, tokens))
    q = _match(tokens)
    found = conn.exec_driver_sql("SELECT count(*) FROM dash_search_fts WHERE dash_search_fts MATCH ?", (q,)).scalar()
    reports = conn.exec_driver_sql("SELECT max(doc) FROM dash_search").scalar() or 0   # >= reports indexed
    if found * found <= first * reports:
        return envelope_id.in_(matching(conn, tokens))
    doc = select(dash_search.c.doc).where(dash_search.c.envelope_id == envelope_id).scalar_subquery()
    return doc.in_(text("SELECT rowid FROM dash_search_fts WHERE dash_search_fts MATCH :q")
                   .bindparams(q=q).columns(rowid=Integer))


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
