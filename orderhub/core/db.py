"""Database engine, declarative base and the unit of work (one transaction per use case)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import lru_cache
from operator import itemgetter
from typing import Any, NoReturn

import orjson
from sqlalchemy import (JSON, Column, Connection, DateTime, Engine, MetaData, Table, create_engine, event,
                        insert)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError
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
    """The one place a use case's transaction is committed; anything raised rolls it back.
    On a thread inside pinned_connection(), it runs on the pinned connection."""
    engine = engine or get_engine()
    pin = _free_pin(engine)
    session = pin.take() if pin is not None else _factory_for(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
        if pin is not None:
            pin.busy = False


class _Pin:
    """The connection a thread keeps, and the Session reused on it, one transaction at a time."""

    __slots__ = ("busy", "connection", "session")

    def __init__(self, engine: Engine) -> None:
        self.connection = engine.connect()
        # Bound to the connection: each commit ends the transaction, not the connection.
        self.session = _factory_for(engine)(bind=self.connection)
        self.busy = False

    def take(self) -> Session:
        self.busy = True
        return self.session


class _Pins(threading.local):
    def __init__(self) -> None:
        self.by_engine: dict[Engine, _Pin] = {}  # each thread starts with none


_pins = _Pins()


def _free_pin(engine: Engine) -> _Pin | None:
    pin = _pins.by_engine.get(engine)
    # A unit of work opened inside another gets its own connection, as without a pin: its
    # commit must not be the outer one's.
    return pin if pin is not None and not pin.busy else None


@contextmanager
def pinned_connection(engine: Engine | None = None) -> Iterator[None]:
    """Run the units of work of this thread on one connection kept until the block ends,
    instead of a connection taken from the pool and a new Session for each. For loops that
    run transaction after transaction on one thread, like the worker: under load (16 processes
    on 2 cores) the checkout, checkin and Session set-up cost a reservation a fifth to a
    quarter of its client CPU (bench/inventory_bench.py). After a lost connection the first
    transaction fails, as with the pool; the next reconnects."""
    engine = engine or get_engine()
    pins = _pins.by_engine
    if engine in pins:  # an outer block already pinned one
        yield
        return
    pin = pins[engine] = _Pin(engine)
    try:
        yield
    finally:
        del pins[engine]
        pin.session.close()
        pin.connection.close()


def reused_cursor(connection: Connection) -> Any:
    """A DB-API cursor kept with the connection, for a hot statement sent on the driver's
    cursor: making and closing a cursor per call costs more than the call's own Python work.
    It lives as long as the DB-API connection (the pool clears `info` when it closes one)."""
    info = connection.connection.info
    cursor = info.get("orderhub_cursor")
    if cursor is None:
        cursor = info["orderhub_cursor"] = connection.connection.cursor()
    return cursor


def raise_as_sqlalchemy(connection: Connection, exc: Exception, sql: str,
                        params: dict[str, Any]) -> NoReturn:
    """A DB-API error of a statement sent on the driver's cursor, raised as SQLAlchemy would:
    callers retry deadlocks on DBAPIError, and a lost connection is invalidated so the pool
    drops it."""
    invalidated = connection.dialect.is_disconnect(exc, connection.connection, None)
    if invalidated:
        connection.invalidate(exc)
    raise DBAPIError.instance(sql, params, exc, connection.dialect.loaded_dbapi.Error,
                              connection_invalidated=invalidated) from exc


def is_postgres(session_or_engine: Session | Engine) -> bool:
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.dialect.name == "postgresql"


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Many new rows of one table, fast: COPY on PostgreSQL (one stream, no statement per row),
    executemany elsewhere. For rows nothing reads back; columns left out get the model's
    Python-side defaults, as an INSERT would. Timezone-aware datetimes only (checked like
    UTCDateTime does); JSON columns are sent as JSON text, which PostgreSQL parses as JSONB."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), rows)
        return
    plan = _copy_plan(table, frozenset().union(*rows), session.get_bind().dialect.identifier_preparer.quote)
    dbapi = session.connection().connection.driver_connection
    texts: dict[int, str] = {}  # id -> text of the datetimes met: most rows share `now`
    with dbapi.cursor() as cursor, cursor.copy(plan.statement) as copy:
        write = copy.write_row
        for row in rows:
            write(plan.values(row, texts))


class _CopyPlan:
    """How one table's rows with a given set of keys become COPY rows, worked out once: which
    columns, which of them need a default, a JSON encoding or the naive-datetime check. Doing
    that per cell (a chain of isinstance tests, a Jsonb wrapper and json.dumps per document)
    cost half of a bulk-created order's store time. JSON and datetimes go as the text
    PostgreSQL parses (COPY's text format carries no types)."""

    def __init__(self, table: Table, keys: frozenset[str], quote: Any) -> None:
        given = [c for c in table.columns if c.key in keys]
        defaulted = [c for c in table.columns if c.key not in keys and c.default is not None]
        names = ", ".join(quote(c.name) for c in given + defaulted)
        self.statement = f"COPY {quote(table.name)} ({names}) FROM STDIN"
        self._given = given
        self._get = itemgetter(*(c.key for c in given)) if len(given) > 1 else None
        self._defaults = [c.default for c in defaulted]
        # Positions in the COPY row: the given columns, then the defaulted ones
        self._json = [(i, c.type.none_as_null) for i, c in enumerate(given + defaulted)
                      if isinstance(c.type, JSON)]
        self._datetimes = [(i, i < len(given)) for i, c in enumerate(given + defaulted)
                           if _is_datetime(c)]

    def values(self, row: dict[str, Any], texts: dict[int, str]) -> list[Any]:
        """The COPY row of `row`. `texts` (id -> text) remembers the datetimes of the rows,
        which live as long as the call: most rows share `now`. Values made here (defaults)
        are not remembered, as their ids may be reused."""
        try:
            values = list(self._get(row)) if self._get is not None else [row[c.key] for c in self._given]
        except KeyError:
            return self._values_of_partial_row(row)
        for default in self._defaults:
            values.append(_default(default))
        for i, remember in self._datetimes:
            v = values[i]
            text = texts.get(id(v)) if remember else None
            if text is not None:
                values[i] = text
            elif isinstance(v, datetime):
                if v.tzinfo is None:
                    raise ValueError("naive datetime given to the database; use orderhub.core.clock")
                # The text psycopg would send, without its choice of dumper per value (naive or
                # aware), which cost more than the rest of the row
                values[i] = str(v)
                if remember:
                    texts[id(v)] = values[i]
        for i, none_as_null in self._json:
            v = values[i]
            # None is JSON null, as SQLAlchemy's JSON type stores it, unless the column says SQL NULL
            values[i] = None if v is None and none_as_null else json_text(v)
        return values

    def _values_of_partial_row(self, row: dict[str, Any]) -> list[Any]:
        """A row without some column the others have: its default, else SQL NULL, as an INSERT
        leaving the column out would store."""
        absent = [i for i, c in enumerate(self._given) if c.key not in row and c.default is None]
        full = {c.key: row[c.key] if c.key in row else _default(c.default) for c in self._given}
        values = self.values(full, {})
        for i in absent:
            values[i] = None
        return values


@lru_cache(maxsize=256)
def _copy_plan(table: Table, keys: frozenset[str], quote: Any) -> _CopyPlan:
    return _CopyPlan(table, keys, quote)


def _is_datetime(column: Column) -> bool:
    kind = column.type
    return isinstance(kind, DateTime) or (isinstance(kind, TypeDecorator) and isinstance(kind.impl, DateTime))


def _default(default: Any) -> Any:
    if default is None:
        return None
    return default.arg(None) if default.is_callable else default.arg


# Plain JSON types only (no datetime, dataclass or subclass of str/int/dict/list): everything
# else goes to json.dumps, so what it refused (a datetime, a Decimal) is refused as before and
# what it wrote differently (keys that are not strings, integers of more than 64 bits) is
# written as before.
_ORJSON_PLAIN = (orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
                 | orjson.OPT_PASSTHROUGH_SUBCLASS)


def json_text(value: Any) -> str:
    """`value` as JSON text, as json.dumps writes it up to insignificant spaces and escapes."""
    try:
        return orjson.dumps(value, option=_ORJSON_PLAIN).decode()
    except TypeError:
        return json.dumps(value)
