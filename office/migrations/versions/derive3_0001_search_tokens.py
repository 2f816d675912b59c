"""dashboard search on SQLite keeps each report's keyed tokens next to its FTS5 document, so
a report indexed again deletes exactly its old tokens (a contentless FTS5 table accepts
'delete' only with the values it was given; SQLite 3.40 has no contentless_delete)

Revision ID: derive3_0001
Revises: rederive_0001

Upgrade (SQLite): the tokens are read back out of the FTS5 index itself (fts5vocab, one row
per token and document with detail=none): each report's current document gets its tokens,
and the documents no report maps to any more (left by re-indexing before this revision)
are deleted from the index with theirs, all in SQL (no report in memory). Nothing is
re-derived; the tokens are the keyed hashes the index held already, never a word.
PostgreSQL keeps its tokens in dash_search.terms already: nothing to do there.
"""
from alembic import op

revision = "derive3_0001"
down_revision = "rederive_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        return
    op.execute("ALTER TABLE dash_search ADD COLUMN terms TEXT")
    op.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.dash_search_vocab USING fts5vocab(main, 'dash_search_fts', 'instance')")
    op.execute("CREATE TEMP TABLE dash_search_docs (doc INTEGER PRIMARY KEY, terms TEXT NOT NULL)")
    op.execute("INSERT INTO dash_search_docs (doc, terms) "
               "SELECT doc, group_concat(term, ' ') FROM temp.dash_search_vocab GROUP BY doc")
    op.execute("UPDATE dash_search SET terms = (SELECT d.terms FROM dash_search_docs d WHERE d.doc = dash_search.doc)")
    op.execute("INSERT INTO dash_search_fts (dash_search_fts, rowid, terms) "
               "SELECT 'delete', d.doc, d.terms FROM dash_search_docs d "
               "WHERE NOT EXISTS (SELECT 1 FROM dash_search s WHERE s.doc = d.doc)")
    op.execute("DROP TABLE dash_search_docs")
    op.execute("DROP TABLE temp.dash_search_vocab")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("ALTER TABLE dash_search DROP COLUMN terms")
