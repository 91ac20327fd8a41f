"""insert_rows (COPY on PostgreSQL, executemany elsewhere) stores what an ordinary INSERT of the
same rows stores: text with the characters COPY escapes, JSON of every shape (JSON null and SQL
NULL kept apart), datetimes in other zones, columns left out getting their defaults."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import String, cast, insert, select
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from orderhub.core import clock
from orderhub.core.db import insert_rows, is_postgres, json_text
from orderhub.core.models import AuditEntry, OutboxEvent

AT = datetime(2026, 11, 24, 3, 4, 5, 123456, tzinfo=UTC)
SHANGHAI = datetime(2026, 11, 24, 11, 4, 5, 654321, tzinfo=ZoneInfo("Asia/Shanghai"))
# Characters COPY's text format escapes, and text JSON escapes.
AWKWARD = 'tab\there\nnew line\r\\back\\slash "quoted" \\N 中文 emoji 🎉 \x7f'
DOCUMENTS: list[Any] = [
    {"a": 1, "b": [1, 2.5, "x", None, True, False], "c": {"d": {"e": []}}},
    {"text": AWKWARD, "中文键": "值", "float": 1e16, "small": 0.1, "neg": -0.0},
    {"big": 2**70, "1": "string key"},  # beyond 64 bits: json.dumps writes it
    {1: "int key", None: "none key", 2.5: "float key"},  # json.dumps turns keys into strings
    [], {}, "a string", 42, 3.5, True, None,
]


def _events() -> list[dict[str, Any]]:
    rows = []
    for i, doc in enumerate(DOCUMENTS):
        rows.append({"topic": f"t.{i}", "aggregate_type": "order", "aggregate_id": AWKWARD[:60],
                     "payload": doc, "actor": doc if i % 2 else None,
                     "created_at": SHANGHAI if i % 3 else AT, "available_at": AT,
                     "status": "pending", "attempts": i, "last_error": AWKWARD if i % 2 else None})
    # Columns some rows leave out: their defaults, as an INSERT gives them.
    rows.append({"topic": "defaults", "created_at": AT, "available_at": AT})
    rows.append({"topic": "only-some", "payload": {"x": 1}, "created_at": AT, "available_at": AT,
                 "attempts": 7})
    return rows


def _audits() -> list[dict[str, Any]]:
    return [{"at": AT + timedelta(microseconds=i), "actor_kind": "system", "actor_id": None,
             "actor_name": AWKWARD, "entity_type": "order", "entity_id": f"n{i}",
             "action": "order.created", "before": None if i % 2 else doc, "after": doc}
            for i, doc in enumerate(DOCUMENTS)]


def _stored(session: Session, table: Any, marker: Any) -> list[dict[str, Any]]:
    """The rows, JSON columns as PostgreSQL's canonical text (or SQLite's), NULL kept apart
    from JSON null."""
    json_columns = [c for c in table.c if c.name in ("payload", "actor", "before", "after")]
    plain = [c for c in table.c if c.name != "id" and c not in json_columns]
    stmt = select(*plain, *(cast(c, String).label(f"{c.name}_text") for c in json_columns),
                  *(c.is_(None).label(f"{c.name}_is_null") for c in json_columns))
    rows = session.execute(stmt.where(marker).order_by(table.c.id)).mappings().all()
    return [dict(row) for row in rows]


@pytest.mark.parametrize("table,rows,key", [
    (OutboxEvent.__table__, _events, "topic"),
    (AuditEntry.__table__, _audits, "entity_id"),
])
def test_rows_are_stored_as_an_insert_stores_them(session: Session, table, rows, key) -> None:
    frozen = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    clock.set_clock(lambda: frozen)  # the defaults (clock.now) alike on both sides
    try:
        for row in rows():
            session.execute(insert(table), [{**row, key: f"ins-{row[key]}"}])
        copies = [{**r, key: f"copy-{r[key]}"} for r in rows()]
        if is_postgres(session):
            insert_rows(session, table, copies)  # COPY takes rows with different keys at once
        else:
            for keys in dict.fromkeys(tuple(r) for r in copies):  # executemany: alike rows only
                insert_rows(session, table, [r for r in copies if tuple(r) == keys])
    finally:
        clock.set_clock(None)
    inserted = _stored(session, table, table.c[key].like("ins-%"))
    copied = _stored(session, table, table.c[key].like("copy-%"))
    assert len(copied) == len(rows()) and len(inserted) == len(copied)
    for a, b in zip(inserted, copied, strict=True):
        assert {**a, key: a[key][4:]} == {**b, key: b[key][5:]}
    if table is OutboxEvent.__table__:
        # JSON null (actor None) and SQL NULL (actor left out) both occur, and are kept apart.
        assert {r["actor_is_null"] for r in copied} == {True, False}


def test_a_naive_datetime_is_refused(session: Session) -> None:
    row = {"topic": "naive", "created_at": datetime(2026, 11, 24, 3, 0), "available_at": AT}
    with pytest.raises((ValueError, StatementError)):
        insert_rows(session, OutboxEvent.__table__, [row])


def test_json_text_falls_back_to_json_dumps_for_what_orjson_leaves_out() -> None:
    import json
    from decimal import Decimal

    assert json_text({1: "a"}) == json.dumps({1: "a"})
    assert json_text(2**70) == str(2**70)
    assert json.loads(json_text({"x": [1, "中文", None]})) == {"x": [1, "中文", None]}
    with pytest.raises(TypeError):
        json_text({"at": AT})  # json.dumps refused datetimes in JSON columns; so do we
    with pytest.raises(TypeError):
        json_text(Decimal("1.5"))
