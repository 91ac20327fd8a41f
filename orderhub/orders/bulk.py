"""Creating a page of new orders at once: one INSERT per table instead of one per order.

The rows are the ones `service.receive_order` writes for a new order — the same column values
(`service.new_order_row`), lines, raw payload, audit row and `order.created` event — only
written with executemany. Only orders that do not exist yet belong here; the caller found them
missing. Should another transaction store one of them first anyway (a push racing the pull),
the orders INSERT fails on the (shop, platform order id) key inside a savepoint, nothing of the
page is left behind, and `AlreadyStored` tells the caller to take the per-order path instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from psycopg.errors import UniqueViolation
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from orderhub.core import audit, clock
from orderhub.core.actor import Actor
from orderhub.core.db import insert_rows, is_postgres
from orderhub.core.models import AuditEntry, OutboxEvent
from orderhub.orders import service
from orderhub.orders.models import Order, OrderLine, RawPayload, Shop
from orderhub.orders.schemas import OrderIn

ORDERS, LINES, RAW = Order.__table__, OrderLine.__table__, RawPayload.__table__
# RETURNING in parameter order: row i of the result is order i of the page.
_INSERT_ORDERS_RETURNING = insert(ORDERS).returning(ORDERS.c.id, sort_by_parameter_order=True)
_NEXT_IDS = text("SELECT nextval(pg_get_serial_sequence('orders', 'id')) FROM generate_series(1, :n)")


class AlreadyStored(Exception):
    """Some order of the page was stored by another transaction meanwhile; nothing was written."""


@dataclass
class Created:
    """A bulk-created order, answering like `service.Received` does for a new one."""

    id: int
    order_no: str
    platform_order_id: str
    status: str
    created: bool = True
    stale: bool = False
    changes: list[str] = field(default_factory=list)


def create_orders(session: Session, *, shop: Shop, items: list[tuple[OrderIn, dict[str, Any]]],
                  source: str, actor: Actor, line_skus: dict[str, str] | None = None,
                  attributes: dict[str, dict[str, Any]] | None = None,
                  follow_up: Callable[[Any, Created], None] | None = None) -> list[Created]:
    """Create `items` (order, raw payload), none of which exists yet, in one INSERT per table.

    `line_skus` (platform SKU -> our SKU) fills lines that came without a SKU, as SKU mapping
    would right after; `attributes` (platform order id -> values) starts an order's attributes;
    `follow_up(sink, created)` may record more events or audit rows per order on `sink` (it has
    the session's `add`), written with the page's. The audit row records the lines as received,
    like receive_order's. Raises InvalidInput for an order that does not convert and
    AlreadyStored as above; either way nothing is written."""
    if not items:
        return []
    now = clock.now()
    numbers = service.order_number_source(session)
    pages = [_prepare(shop, data, now, numbers(), line_skus or {}, attributes or {})
             for data, _ in items]
    ids = _insert_orders(session, [p.row for p in pages])
    lines = [{"order_id": order_id, **line} for order_id, p in zip(ids, pages, strict=True)
             for line in p.stored_lines]
    insert_rows(session, LINES, lines)
    insert_rows(session, RAW, [service.raw_payload_row(order_id, raw, source)
                               for order_id, (_, raw) in zip(ids, items, strict=True)])
    created = [Created(id=order_id, order_no=p.row["order_no"],
                       platform_order_id=p.row["platform_order_id"], status=p.row["status"])
               for order_id, p in zip(ids, pages, strict=True)]
    sink = _Sink()
    for order, p in zip(created, pages, strict=True):
        _record_created(sink, shop=shop, order_id=order.id, row=p.row, fields=p.fields,
                        lines=p.lines, actor=actor, now=now)
        if follow_up is not None:
            follow_up(sink, order)
    sink.insert(session)
    return created


def event_row(topic: str, *, aggregate_type: str, aggregate_id: object, payload: dict[str, Any],
              actor: Actor, now: Any) -> dict[str, Any]:
    """The columns of the event `outbox.emit` adds, as a plain row for `_Sink.row` (building and
    then reading back an ORM object per event cost more than the COPY of it)."""
    return {"topic": topic, "aggregate_type": aggregate_type, "aggregate_id": str(aggregate_id),
            "payload": payload, "actor": actor.as_dict(), "created_at": now, "available_at": now,
            "status": "pending", "attempts": 0}


def _record_created(sink: _Sink, *, shop: Shop, order_id: int, row: dict[str, Any],
                    fields: dict[str, Any], lines: list[dict[str, Any]], actor: Actor,
                    now: Any) -> None:
    """`service.record_created` as plain rows: the same audit row and order.created event
    (tests/orders/test_bulk.py compares them with receive_order's)."""
    sink.row(AuditEntry.__table__, audit.row(
        actor=actor, entity_type="order", entity_id=row["order_no"], action="order.created",
        after={"status": row["status"], **service.jsonable_fields(fields),
               "lines": service._jsonable_lines(lines)}))
    sink.row(OutboxEvent.__table__, event_row(
        "order.created", aggregate_type="order", aggregate_id=order_id, actor=actor, now=now,
        payload={"order_no": row["order_no"], "shop": shop.name, "channel": shop.channel,
                 "platform_order_id": row["platform_order_id"], "status": row["status"],
                 "total": row["total"], "currency": row["currency"]}))


def serialize_orders(session: Session, shop_id: int, platform_order_ids: Iterable[str]) -> None:
    """The page-sized `service._serialize_same_order`: on PostgreSQL take the advisory lock of
    every (shop, platform order id) in one statement, in one global order (so two pages with
    orders in common never deadlock), and a push of one of them waits for this page to commit."""
    ids = sorted(set(platform_order_ids))
    if ids and is_postgres(session):
        session.execute(text(
            "SELECT pg_advisory_xact_lock(:shop, h) FROM "
            "(SELECT DISTINCT hashtext(p) AS h FROM unnest(CAST(:ids AS text[])) AS p) AS k "
            "ORDER BY h"), {"shop": shop_id, "ids": ids})


def existing_ids(session: Session, shop_id: int, platform_order_ids: Iterable[str]) -> set[str]:
    ids = list(set(platform_order_ids))
    if not ids:
        return set()
    return set(session.scalars(select(Order.platform_order_id).where(
        Order.shop_id == shop_id, Order.platform_order_id.in_(ids))))


def _insert_orders(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """The orders of the page in one statement, inside a savepoint (see the module doc); their ids.

    On PostgreSQL the ids are drawn from the sequence first and the rows sent by COPY: a
    RETURNING multi-row INSERT of 40 columns x 100 orders is a statement psycopg parses anew
    each page, and executemany still runs one statement per row on the server."""
    postgres = is_postgres(session)
    if postgres:
        ids = list(session.scalars(_NEXT_IDS, {"n": len(rows)}))
    try:
        with session.begin_nested():
            if postgres:
                insert_rows(session, ORDERS, [{"id": i, **row} for i, row in zip(ids, rows, strict=True)])
            else:
                ids = list(session.execute(_INSERT_ORDERS_RETURNING, rows).scalars())
    except IntegrityError as exc:
        raise AlreadyStored(str(exc.orig)) from exc
    except UniqueViolation as exc:  # COPY speaks psycopg's errors directly
        raise AlreadyStored(str(exc)) from exc
    return ids


class _Sink:
    """Collects rows (`row`), or what audit.record / outbox.emit add to a session (`add`), and
    inserts them per table in one COPY or executemany (no RETURNING: nothing needs their ids),
    instead of an ORM flush per object."""

    def __init__(self) -> None:
        self.groups: dict[tuple[Any, tuple[str, ...]], list[dict[str, Any]]] = {}

    def row(self, table: Any, values: dict[str, Any]) -> None:
        self.groups.setdefault((table, tuple(values)), []).append(values)

    def add(self, instance: Any) -> None:
        table = type(instance).__table__
        self.row(table, {k: v for k, v in inspect(instance).dict.items() if k in table.c})

    def insert(self, session: Session) -> None:
        for (table, _), rows in self.groups.items():
            insert_rows(session, table, rows)


@dataclass
class _Prepared:
    row: dict[str, Any]
    fields: dict[str, Any]
    lines: list[dict[str, Any]]  # as received: what the audit row records
    stored_lines: list[dict[str, Any]]  # with mapped SKUs filled in


def _prepare(shop: Shop, data: OrderIn, now: Any, order_no: str, line_skus: dict[str, str],
             attributes: dict[str, dict[str, Any]]) -> _Prepared:
    fields, lines = service.canonical(data)
    row = service.new_order_row(shop, data, fields, order_no=order_no, now=now)
    if data.platform_order_id in attributes:
        row["attributes"] = {**row["attributes"], **attributes[data.platform_order_id]}
    stored = [line if line["sku"] is not None or line["platform_sku"] not in line_skus
              else {**line, "sku": line_skus[line["platform_sku"]]} for line in lines]
    return _Prepared(row=row, fields=fields, lines=lines, stored_lines=stored)
