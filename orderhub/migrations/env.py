"""Alembic environment: runs migrations on the URL the caller configured (see orderhub.schema)."""

from __future__ import annotations

from alembic import context

from orderhub.core.db import make_engine
from orderhub.schema import metadata

config = context.config


def run() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run_on(connectable)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"), pool_size=1)
    with engine.connect() as conn:
        _run_on(conn)
    engine.dispose()


def _run_on(conn) -> None:  # noqa: ANN001
    # render_as_batch lets ALTERs work on SQLite, which cannot alter most column properties.
    context.configure(connection=conn, target_metadata=metadata, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run()
