"""re-derive early warning and the roll-up links: nicknames and e/i spellings read anew

The early-warning reading of names changed: a nickname after "alias" / "als." /
"panggilan" / "dipanggil" is no longer a name of its own ("Udin alias Gondrong" names
Udin, not also a person called Gondrong), and e/i in a long name's closing syllable is one
spelling (Yohanes/Yohanis, Ismael/Ismail), so name words hash to other link keys and the
name counts change; and a number in prose that the writer marks as a phone ("HP-nya +60 11-008
2653", "nomor yang dikasih: 011 777 6722") is now a phone link although the phone library does
not list its range. Link keys and name counts derived by the old reading would never meet
the new ones, so, as rederive_0001 did, both consumers' stores are emptied and every stored
report is queued for them; the worker derives them again after the upgrade. Signals stay
(upserted by rule and key, so an analyst's confirm/dismiss survives).

Revision ID: recall3_0001
Revises: derive3_0002
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

revision = "recall3_0001"
down_revision = "derive3_0002"
branch_labels = None
depends_on = None

CONSUMERS = ("early_warning", "rollup_links")


def upgrade() -> None:
    now = datetime.now(timezone.utc)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"     # office.clock.iso
    conn = op.get_bind()
    conn.execute(sa.text("DELETE FROM warn_links"))
    conn.execute(sa.text("DELETE FROM warn_name_stats"))
    for consumer in CONSUMERS:
        conn.execute(sa.text("DELETE FROM derive_jobs WHERE consumer = :c"), {"c": consumer})
        conn.execute(sa.text("INSERT INTO derive_jobs (consumer, envelope_id, created_at, due_at, attempts) "
                             "SELECT :c, id, :t, :t, 0 FROM envelopes"), {"c": consumer, "t": stamp})


def downgrade() -> None:
    """Nothing to undo: the old code derives the queued reports its own way."""
