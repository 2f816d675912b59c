"""dashboard search on an inverted index: SQLite FTS5 (contentless) / PostgreSQL GIN over the
same keyed word tokens, replacing dash_terms (one B-tree row per word and report)

Revision ID: derive2_0001
Revises: warning_0001

The tokens move as they are (keyed HMACs; nothing is re-derived). Downgrade: PostgreSQL
unnests the arrays back into dash_terms; SQLite's contentless index cannot give its tokens
back, so the search consumer is queued for every report instead (its worker refills them).
"""
from alembic import op
import sqlalchemy as sa

revision = "derive2_0001"
down_revision = "warning_0001"
branch_labels = None
depends_on = None

SQLITE = (
    "CREATE TABLE dash_search (doc INTEGER PRIMARY KEY AUTOINCREMENT, "
    "envelope_id VARCHAR(36) NOT NULL UNIQUE)",
    "CREATE VIRTUAL TABLE dash_search_fts USING fts5(terms, content='', detail=none)",
)
POSTGRES = (
    "CREATE TABLE dash_search (envelope_id VARCHAR(36) PRIMARY KEY, terms TEXT[] NOT NULL)",
    "CREATE INDEX ix_dash_search_terms ON dash_search USING gin (terms)",
)


def upgrade() -> None:
    bind = op.get_bind()
    for statement in POSTGRES if bind.dialect.name == "postgresql" else SQLITE:
        op.execute(statement)
    if bind.dialect.name == "postgresql":
        op.execute("INSERT INTO dash_search (envelope_id, terms) "
                   "SELECT envelope_id, array_agg(term ORDER BY term) FROM dash_terms GROUP BY envelope_id")
    else:
        op.execute("INSERT INTO dash_search (envelope_id) SELECT DISTINCT envelope_id FROM dash_terms "
                   "ORDER BY envelope_id")
        op.execute("INSERT INTO dash_search_fts (rowid, terms) SELECT s.doc, group_concat(t.term, ' ') "
                   "FROM dash_search s JOIN dash_terms t ON t.envelope_id = s.envelope_id GROUP BY s.doc")
    op.drop_table("dash_terms")


def downgrade() -> None:
    bind = op.get_bind()
    op.create_table(
        "dash_terms",
        sa.Column("term", sa.String(32), primary_key=True),
        sa.Column("envelope_id", sa.String(36), primary_key=True),
    )
    if bind.dialect.name == "postgresql":
        op.execute("INSERT INTO dash_terms (term, envelope_id) "
                   "SELECT DISTINCT unnest(terms), envelope_id FROM dash_search")
        op.execute("DROP TABLE dash_search")
        return
    op.execute("INSERT OR IGNORE INTO derive_jobs (consumer, envelope_id, created_at, due_at, attempts) "
               "SELECT 'search', id, strftime('%Y-%m-%dT%H:%M:%fZ','now'), strftime('%Y-%m-%dT%H:%M:%fZ','now'), 0 "
               "FROM envelopes")
    op.execute("DROP TABLE dash_search_fts")
    op.execute("DROP TABLE dash_search")
