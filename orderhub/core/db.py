"""Database engine, declarative base and the unit of work (one transaction per use case)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from datetime import datetime, timezone
from functools import lru_cache

from sqlalchemy import JSON, Column, DateTime, Engine, MetaData, Table, create_engine, event, insert
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from orderhub.core.settings import get_settings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both SQLite (which drops the zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # noqa: ANN001
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use orderhub.core.clock")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect):  # noqa: ANN001
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


# JSONB on PostgreSQL (indexable, compact), plain JSON text on SQLite.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime()}


def make_engine(url: str, *, pool_size: int | None = None) -> Engine:
    settings = get_settings()
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": settings.sqlite_busy_timeout_ms / 1000})
        _tune_sqlite(engine, settings.sqlite_busy_timeout_ms)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    # No pool_pre_ping: it costs a round trip per transaction (20-30 % of a reservation). After a
    # database restart SQLAlchemy sees the disconnect on first use and discards the whole pool,
    # so one request fails instead of every request paying; workers retry on their own.
    return create_engine(url, pool_size=pool_size or settings.db_pool_size, max_overflow=10,
                         pool_recycle=1800)


def _tune_sqlite(engine: Engine, busy_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # noqa: ANN001
        # Let SQLAlchemy, not pysqlite, decide when transactions begin, so BEGIN IMMEDIATE works.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        # Take the write lock up front: a deferred transaction that later upgrades to a writer
        # fails with "database is locked" instead of waiting, which would lose work under load.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().effective_database_url)


@lru_cache
def _factory_for(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    return _factory_for(engine or get_engine())


@contextmanager
def unit_of_work(engine: Engine | None = None) -> Iterator[Session]:
    """The one place a use case's transaction is committed; anything raised rolls it back."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def is_postgres(session_or_engine: Session | Engine) -> bool:
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.dialect.name == "postgresql"


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Many new rows of one table, fast: COPY on PostgreSQL (one stream, no statement per row),
    executemany elsewhere. For rows nothing reads back; columns left out get the model's
    Python-side defaults, as an INSERT would. Values go to PostgreSQL as Python objects:
    timezone-aware datetimes (checked like UTCDateTime does) and JSON wrapped as JSONB."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), rows)
        return
    columns = [c for c in table.columns if any(c.key in row for row in rows) or c.default is not None]
    from psycopg.types.json import Jsonb

    def value(column: Column, row: dict[str, Any]) -> Any:
        if column.key in row:
            v = row[column.key]
        elif column.default is not None and column.default.is_callable:
            v = column.default.arg(None)
        elif column.default is not None:
            v = column.default.arg
        else:
            v = None
        if isinstance(v, datetime) and v.tzinfo is None:
            raise ValueError("naive datetime given to the database; use orderhub.core.clock")
        if isinstance(column.type, JSON) and (v is not None or not column.type.none_as_null):
            return Jsonb(v)  # None too: JSON null, as SQLAlchemy's JSON type stores it
        return v

    quote = session.get_bind().dialect.identifier_preparer.quote
    names = ", ".join(quote(c.name) for c in columns)
    dbapi = session.connection().connection.driver_connection
    with dbapi.cursor() as cursor, cursor.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([value(c, row) for c in columns])
