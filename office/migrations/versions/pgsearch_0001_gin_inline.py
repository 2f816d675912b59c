"""dashboard search on PostgreSQL: each report's tokens kept in the row, not in TOAST, and
the GIN index without a pending list, so the planner's costs are the real ones

Revision ID: pgsearch_0001
Revises: recall3_0001

A report's ~100 tokens (3.3 kB) were moved out of line (TOAST: rows over 2 kB), so
dash_search looked 148 pages big for 20,000 reports while it was 75 MB: the planner priced
`terms @> ...` on a row as one operator call when it was a TOAST fetch and decompress
(~10 µs), and chose to seq-scan dash_search or walk the newest reports filtering each
(p95 481 ms at 100k; EXPLAIN: Seq Scan, Rows Removed by Filter: 19978, 65,208 buffers).
toast_tuple_target = 8160 keeps an array in its row up to a page; then a walk costs what
it does and a seq scan what it does. GIN's fast update left up to 4 MB of unmerged
entries after a burst of writes, read linearly by every search and counted in the index's
cost (1,656 against 28 once merged), which also pushed the planner off the index:
fastupdate = off writes each token into the index as it comes (the derive worker writes,
nobody waits on it). Existing rows are rewritten once so their arrays come back in line.
SQLite: nothing (FTS5 has neither).
"""
from alembic import op

revision = "pgsearch_0001"
down_revision = "recall3_0001"
branch_labels = None
depends_on = None

UPGRADE = (
    "ALTER TABLE dash_search SET (toast_tuple_target = 8160)",
    "ALTER INDEX ix_dash_search_terms SET (fastupdate = off)",
    "SELECT gin_clean_pending_list('ix_dash_search_terms')",
    "UPDATE dash_search SET terms = terms || '{}'::text[]",     # a new value: stored in line
)
DOWNGRADE = (
    "ALTER INDEX ix_dash_search_terms RESET (fastupdate)",
    "ALTER TABLE dash_search RESET (toast_tuple_target)",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in DOWNGRADE:
            op.execute(statement)
