"""A test-only table for handlers' side effects: outside the migrations and orderhub's metadata,
so the conftest wipe does not know it. Deliberately no unique constraint: a duplicate delivery
must show up as a duplicate row."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Engine, Integer, MetaData, Table, func, select

metadata = MetaData()

side_effects = Table(
    "test_side_effects", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", BigInteger, nullable=False),
    Column("pid", Integer, nullable=False),  # which worker process did it
)


def count_side_effects(engine: Engine) -> tuple[int, int]:
    """(rows, distinct event ids)."""
    with engine.connect() as conn:
        row = conn.execute(select(func.count(), func.count(side_effects.c.event_id.distinct()))).one()
    return int(row[0]), int(row[1])


def rows_per_pid(engine: Engine) -> dict[int, tuple[int, int, int]]:
    """pid -> (rows, lowest event id, highest event id)."""
    c = side_effects.c
    stmt = select(c.pid, func.count(), func.min(c.event_id), func.max(c.event_id)).group_by(c.pid)
    with engine.connect() as conn:
        return {int(pid): (int(n), int(lo), int(hi)) for pid, n, lo, hi in conn.execute(stmt)}
