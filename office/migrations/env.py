"""Alembic environment, driven from code (office.db.migrate): no alembic.ini needed.

The caller passes an open connection in `config.attributes["connection"]`.
"""
from __future__ import annotations

from alembic import context

from office.schema import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:   # pragma: no cover - only via `alembic -x url=...` by hand
    from sqlalchemy import create_engine
    connection = create_engine(context.get_x_argument(as_dictionary=True)["url"]).connect()

context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
