"""Reservations: all or nothing per order and warehouse, one conditional UPDATE per stock row.

The statement ``UPDATE stock_levels SET reserved = reserved + :q WHERE sku_id = :s AND
warehouse_id = :w AND on_hand - reserved >= :q`` is the concurrency guard (never read, check,
write). Rows are taken in key order (sku_id, warehouse_id) by every use case, so two orders
never wait on each other in a cycle. If a later line cannot be covered, the earlier UPDATEs are
undone and the reservation and ledger rows deleted, in the same transaction.

Round trips dominate (ARCHITECTURE.md, "Measured"), so the hot path is Core statements built
once: one SELECT resolves the lines (SKU ids, bundle components, "already reserved here?"),
then per SKU row on PostgreSQL one statement does the UPDATE and inserts the reservation and
ledger rows it justifies (a data-modifying CTE), so a hot row is locked only for that statement
and the commit. SQLite (no DML in CTEs; one writer at a time anyway) inserts the rows first,
then runs the UPDATEs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    String,
    and_,
    any_,
    bindparam,
    delete,
    exists,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, aliased

from orderhub.core import audit, clock, outbox
from orderhub.core.actor import Actor
from orderhub.core.db import raise_as_sqlalchemy, reused_cursor
from orderhub.core.errors import InvalidInput
from orderhub.inventory import catalog, ledger
from orderhub.inventory.errors import NothingReserved, UnknownSku
from orderhub.inventory.models import BundleComponent, Reservation, Sku, StockLevel

LEVELS = StockLevel.__table__
RES = Reservation.__table__
MOVES = ledger.MOVES
SKUS = Sku.__table__
BUNDLES = BundleComponent.__table__

TTL_SETTING = "inventory.reservation_ttl_minutes"
DEFAULT_TTL_MINUTES = 15
MAX_TTL_MINUTES = 30

_PART = aliased(SKUS)
_ALREADY = exists().where(RES.c.order_id == bindparam("o"), RES.c.warehouse_id == bindparam("w"),
                          RES.c.status == "active")
# One round trip: each line's SKU id, its components if it is a bundle, and whether the order
# holds active reservations in the warehouse already.
_RESOLVE_FROM = (select(SKUS.c.code, SKUS.c.id, BUNDLES.c.ratio, _PART.c.id, _ALREADY.label("already"))
                 .select_from(SKUS.outerjoin(BUNDLES, BUNDLES.c.bundle_sku_id == SKUS.c.id)
                              .outerjoin(_PART, _PART.c.id == BUNDLES.c.component_sku_id)))
_RESOLVE = {
    # An array parameter keeps one statement text (prepared once by psycopg) for any line count.
    "postgresql": _RESOLVE_FROM.where(SKUS.c.code == any_(bindparam("codes", type_=ARRAY(String)))),
    "sqlite": _RESOLVE_FROM.where(SKUS.c.code.in_(bindparam("codes", expanding=True))),
}
# PostgreSQL, an order of one line (the common case): resolving the SKU, the "already reserved
# here?" check, the conditional UPDATE and both inserts in a single round trip. It acts only when
# the line is one stock row (`rows` = 1: a plain SKU, or a bundle of one component); otherwise it
# changes nothing and the general path runs.
# Sent through the DB-API cursor of the session's connection (same transaction): for this one
# statement SQLAlchemy's execute/result machinery cost more client CPU than the rest of the
# reservation (measured ~0.15 ms of ~0.55 ms), and client CPU is what 16 clients on 2 cores share.
_PG_ONE_LINE_SQL = """
WITH need AS (
    SELECT coalesce(bc.component_sku_id, s.id) AS sku_id, %(q)s * coalesce(bc.ratio, 1) AS q
    FROM skus s LEFT JOIN bundle_components bc ON bc.bundle_sku_id = s.id
    WHERE s.code = %(code)s),
state AS (
    SELECT (SELECT count(*) FROM need) AS rows,
           EXISTS (SELECT 1 FROM reservations WHERE order_id = %(o)s AND warehouse_id = %(w)s
                   AND status = 'active') AS already),
u AS (
    UPDATE stock_levels sl SET reserved = sl.reserved + need.q
    FROM need, state
    WHERE state.rows = 1 AND NOT state.already
      AND sl.sku_id = need.sku_id AND sl.warehouse_id = %(w)s AND sl.on_hand - sl.reserved >= need.q
    RETURNING sl.sku_id, sl.warehouse_id, sl.on_hand, sl.reserved, sl.safety_stock, need.q),
r AS (
    INSERT INTO reservations (order_id, warehouse_id, sku_id, quantity, status, expires_at, created_at)
    SELECT %(o)s, warehouse_id, sku_id, q, 'active', %(exp)s::timestamptz, %(now)s::timestamptz FROM u),
m AS (
    INSERT INTO stock_movements (at, sku_id, warehouse_id, kind, on_hand_delta, reserved_delta,
                                 in_transit_delta, order_id, reason, actor_kind, actor_name)
    SELECT %(now)s::timestamptz, sku_id, warehouse_id, 'reserve', 0, q, 0, %(o)s, '', %(ak)s, %(an)s FROM u)
SELECT state.rows, state.already, u.sku_id, u.on_hand, u.reserved, u.safety_stock, u.q
FROM state LEFT JOIN u ON true
"""
# PostgreSQL, one stock row of a larger order: the conditional UPDATE and the two inserts it
# justifies in one statement, so a hot row stays locked for this statement and the commit. The
# WHERE clause is the guard. Sent on the DB-API cursor, the rows of an order in one pipeline.
_PG_TAKE_SQL = """
WITH u AS (
    UPDATE stock_levels SET reserved = reserved + %(q)s
    WHERE sku_id = %(s)s AND warehouse_id = %(w)s AND on_hand - reserved >= %(q)s
    RETURNING sku_id, warehouse_id, on_hand, reserved, safety_stock),
r AS (
    INSERT INTO reservations (order_id, warehouse_id, sku_id, quantity, status, expires_at, created_at)
    SELECT %(o)s, warehouse_id, sku_id, %(q)s, 'active', %(exp)s::timestamptz, %(now)s::timestamptz
    FROM u RETURNING id),
m AS (
    INSERT INTO stock_movements (at, sku_id, warehouse_id, kind, on_hand_delta, reserved_delta,
                                 in_transit_delta, order_id, reason, actor_kind, actor_name)
    SELECT %(now)s::timestamptz, sku_id, warehouse_id, 'reserve', 0, %(q)s, 0, %(o)s, '', %(ak)s, %(an)s
    FROM u RETURNING id)
SELECT u.on_hand, u.reserved, u.safety_stock, (SELECT id FROM r), (SELECT id FROM m) FROM u
"""
_INSERT_RES = insert(RES).returning(RES.c.id)
_INSERT_MOVES = insert(MOVES).returning(MOVES.c.id)
_TAKE = (update(LEVELS)
         .where(LEVELS.c.sku_id == bindparam("s"), LEVELS.c.warehouse_id == bindparam("w"),
                LEVELS.c.on_hand - LEVELS.c.reserved >= bindparam("q"))
         .values(reserved=LEVELS.c.reserved + bindparam("q"))
         .returning(LEVELS.c.on_hand, LEVELS.c.reserved, LEVELS.c.safety_stock))
_GIVE_BACK = (update(LEVELS)
              .where(LEVELS.c.sku_id == bindparam("s"), LEVELS.c.warehouse_id == bindparam("w"))
              .values(reserved=LEVELS.c.reserved - bindparam("q")))
_SHIP = (update(LEVELS)
         .where(LEVELS.c.sku_id == bindparam("s"), LEVELS.c.warehouse_id == bindparam("w"))
         .values(reserved=LEVELS.c.reserved - bindparam("q"), on_hand=LEVELS.c.on_hand - bindparam("q")))


def availability(session: Session, *, skus: Iterable[str],
                 warehouse_ids: Iterable[int] | None = None) -> dict[tuple[str, int], int]:
    """(component SKU code, warehouse id) -> on_hand - reserved. Bundle codes are replaced by
    their components; (SKU, warehouse) pairs without a stock row are absent (read them as 0)."""
    codes = set(skus)
    parts = catalog.components(session, codes)
    wanted = {c for c in codes if c not in parts} | {p for ps in parts.values() for p, _ in ps}
    if not wanted:
        return {}
    stmt = (select(SKUS.c.code, LEVELS.c.warehouse_id, LEVELS.c.on_hand - LEVELS.c.reserved)
            .join(SKUS, SKUS.c.id == LEVELS.c.sku_id).where(SKUS.c.code.in_(sorted(wanted))))
    if warehouse_ids is not None:
        stmt = stmt.where(LEVELS.c.warehouse_id.in_(sorted(set(warehouse_ids))))
    return {(code, int(wh)): int(avail) for code, wh, avail in session.execute(stmt)}


def ttl_minutes(session: Session) -> int:
    return int(audit.get_setting(session, TTL_SETTING, DEFAULT_TTL_MINUTES))


def set_ttl_minutes(session: Session, *, minutes: int, actor: Actor) -> None:
    if not isinstance(minutes, int) or not 1 <= minutes <= MAX_TTL_MINUTES:
        raise InvalidInput(f"the reservation TTL is 1 to {MAX_TTL_MINUTES} minutes",
                           details={"minutes": minutes})
    audit.put_setting(session, actor=actor, key=TTL_SETTING, value=minutes)


def default_expiry(session: Session) -> datetime:
    """When a reservation made now for an unpaid order runs out."""
    return clock.now() + timedelta(minutes=ttl_minutes(session))


def reserve(session: Session, *, order_id: int, warehouse_id: int, lines: list[tuple[str, int]],
            actor: Actor, expires_at: datetime | None = None) -> bool:
    """Reserve every line of the order in one warehouse, or nothing. Bundles take their
    components. False when a line cannot be covered; True also when the order already holds
    active reservations in this warehouse (idempotent)."""
    if len(lines) == 1 and session.get_bind().dialect.name == "postgresql":
        done = _reserve_one_line_pg(session, order_id, warehouse_id, lines[0], actor, expires_at)
        if done is not None:
            return done
    need = _resolve(session, order_id, warehouse_id, lines)
    if need is None:
        return True
    conn = session.connection()
    now = clock.now()
    keys = sorted(need)
    if conn.dialect.name == "postgresql":
        return _reserve_pg(session, conn, order_id, warehouse_id, need, keys, actor, expires_at, now)
    res_ids = list(conn.scalars(_INSERT_RES, [
        {"order_id": order_id, "warehouse_id": warehouse_id, "sku_id": s, "quantity": need[s],
         "status": "active", "expires_at": expires_at, "created_at": now, "closed_at": None}
        for s in keys]))
    move_ids = list(conn.scalars(_INSERT_MOVES, [
        ledger.movement(sku_id=s, warehouse_id=warehouse_id, kind="reserve", actor=actor,
                        reserved=need[s], order_id=order_id, at=now) for s in keys]))
    taken: list[int] = []
    lows: list[dict[str, Any]] = []
    for s in keys:
        row = conn.execute(_TAKE, {"s": s, "w": warehouse_id, "q": need[s]}).first()
        if row is None:
            _undo(conn, warehouse_id, taken, need, res_ids, move_ids)
            return False
        taken.append(s)
        on_hand, reserved, safety = row
        if on_hand - reserved < safety <= on_hand - reserved + need[s]:
            lows.append({"sku_id": s, "warehouse_id": warehouse_id,
                         "available": on_hand - reserved, "safety_stock": safety})
    if lows:
        emit_low(session, lows, actor)
    return True


def _reserve_one_line_pg(session: Session, order_id: int, warehouse_id: int, line: tuple[str, int],
                         actor: Actor, expires_at: datetime | None) -> bool | None:
    """The single-statement path; None when it did not apply (bundle of several rows, unknown
    SKU, bad quantity: the general path decides and explains)."""
    code, quantity = line
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        return None
    if expires_at is not None and expires_at.tzinfo is None:
        raise ValueError("naive datetime given to the database; use orderhub.core.clock")
    conn = session.connection()
    params = {"code": code, "q": quantity, "o": order_id, "w": warehouse_id, "exp": expires_at,
              "now": clock.now(), "ak": actor.kind, "an": actor.name[:200]}
    cursor = reused_cursor(conn)
    try:
        cursor.execute(_PG_ONE_LINE_SQL, params)
        rows, already, sku_id, on_hand, reserved, safety, q = cursor.fetchone()
    except conn.dialect.loaded_dbapi.Error as exc:
        raise_as_sqlalchemy(conn, exc, _PG_ONE_LINE_SQL, params)
    if rows != 1:
        return None
    if already:
        return True
    if sku_id is None:
        return False
    if on_hand - reserved < safety <= on_hand - reserved + q:
        emit_low(session, [{"sku_id": sku_id, "warehouse_id": warehouse_id,
                            "available": on_hand - reserved, "safety_stock": safety}], actor)
    return True


def _reserve_pg(session: Session, conn: Any, order_id: int, warehouse_id: int, need: dict[int, int],
                keys: list[int], actor: Actor, expires_at: datetime | None, now: datetime) -> bool:
    """_PG_TAKE per stock row, in key order, all sent in one round trip (psycopg's pipeline
    mode: the statements still run one after another, so rows are locked in key order). If a
    row cannot be covered, what the others took is undone, as when they ran one by one."""
    if expires_at is not None and expires_at.tzinfo is None:
        raise ValueError("naive datetime given to the database; use orderhub.core.clock")
    base = {"w": warehouse_id, "o": order_id, "exp": expires_at, "now": now, "ak": actor.kind,
            "an": actor.name[:200]}
    raw = conn.connection.driver_connection
    cursors: list[Any] = []
    try:
        with raw.pipeline():
            for s in keys:
                cursor = raw.cursor()
                cursors.append(cursor)
                cursor.execute(_PG_TAKE_SQL, {**base, "s": s, "q": need[s]})
        rows = [cursor.fetchone() for cursor in cursors]
    except conn.dialect.loaded_dbapi.Error as exc:
        raise_as_sqlalchemy(conn, exc, _PG_TAKE_SQL, base)
    finally:
        for cursor in cursors:
            cursor.close()
    taken = [s for s, row in zip(keys, rows, strict=True) if row is not None]
    if len(taken) < len(keys):
        if taken:
            _undo(conn, warehouse_id, taken, need, [row[3] for row in rows if row is not None],
                  [row[4] for row in rows if row is not None])
        return False
    lows: list[dict[str, Any]] = []
    for s, (on_hand, reserved, safety, _, _) in zip(keys, rows, strict=True):
        if on_hand - reserved < safety <= on_hand - reserved + need[s]:
            lows.append({"sku_id": s, "warehouse_id": warehouse_id,
                         "available": on_hand - reserved, "safety_stock": safety})
    if lows:
        emit_low(session, lows, actor)
    return True


def _resolve(session: Session, order_id: int, warehouse_id: int,
             lines: list[tuple[str, int]]) -> dict[int, int] | None:
    """sku_id -> quantity to take (bundles expanded); None if already reserved there."""
    wanted: dict[str, int] = defaultdict(int)
    for code, quantity in lines:
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
            raise InvalidInput(f"quantity of {code!r} must be a whole number above 0",
                               details={"sku": code, "quantity": quantity})
        wanted[code] += quantity
    if not wanted:
        raise InvalidInput("nothing to reserve: the order has no lines", details={"order_id": order_id})
    conn = session.connection()
    rows = conn.execute(_RESOLVE[conn.dialect.name],
                        {"codes": sorted(wanted), "o": order_id, "w": warehouse_id}).all()
    if rows and rows[0].already:
        return None
    found = {r[0] for r in rows}
    missing = sorted(set(wanted) - found)
    if missing:
        raise UnknownSku(f"unknown SKU {', '.join(missing)}", details={"skus": missing})
    need: dict[int, int] = defaultdict(int)
    for code, sku_id, ratio, part_id, _ in rows:
        if part_id is None:
            need[sku_id] += wanted[code]
        else:
            need[part_id] += wanted[code] * ratio
    return dict(need)


def _undo(conn: Any, warehouse_id: int, taken: list[int], need: dict[int, int],
          res_ids: list[int], move_ids: list[int]) -> None:
    if taken:
        conn.execute(_GIVE_BACK, [{"s": s, "w": warehouse_id, "q": need[s]} for s in taken])
    conn.execute(delete(RES).where(RES.c.id.in_(res_ids)))
    conn.execute(delete(MOVES).where(MOVES.c.id.in_(move_ids)))


def emit_low(session: Session, lows: list[dict[str, Any]], actor: Actor) -> None:
    """stock.low for rows whose available fell below their safety stock (on the crossing only)."""
    codes = dict(session.execute(select(SKUS.c.id, SKUS.c.code)
                                 .where(SKUS.c.id.in_([x["sku_id"] for x in lows]))).all())
    for low in lows:
        outbox.emit(session, "stock.low", aggregate_type="sku", aggregate_id=codes[low["sku_id"]],
                    actor=actor, payload={"sku": codes[low["sku_id"]], **low})


def _close(session: Session, *, order_id: int, status: str,
           expired_by: datetime | None = None) -> list[tuple[int, int, int]]:
    """Move the order's active reservations to `status`; [(sku_id, warehouse_id, quantity)] of
    exactly the rows this transaction moved (a concurrent closer gets the others), key order.
    With expired_by, only reservations whose TTL ran out by then (a payment may have won)."""
    stmt = update(RES).where(RES.c.order_id == order_id, RES.c.status == "active")
    if expired_by is not None:
        stmt = stmt.where(RES.c.expires_at.is_not(None), RES.c.expires_at <= expired_by)
    rows = session.connection().execute(
        stmt.values(status=status, closed_at=clock.now())
        .returning(RES.c.sku_id, RES.c.warehouse_id, RES.c.quantity)).all()
    merged: dict[tuple[int, int], int] = defaultdict(int)
    for sku_id, wh, qty in rows:
        merged[(sku_id, wh)] += qty
    return [(s, w, q) for (s, w), q in sorted(merged.items())]


def release(session: Session, *, order_id: int, actor: Actor, reason: str) -> int:
    """Give back every active reservation of the order (idempotent); units released."""
    return _give_back(session, order_id=order_id, actor=actor, reason=reason, expired_by=None)


def _give_back(session: Session, *, order_id: int, actor: Actor, reason: str,
               expired_by: datetime | None) -> int:
    closed = _close(session, order_id=order_id, status="released", expired_by=expired_by)
    if not closed:
        return 0
    conn = session.connection()
    conn.execute(_GIVE_BACK, [{"s": s, "w": w, "q": q} for s, w, q in closed])
    ledger.write(session, [ledger.movement(sku_id=s, warehouse_id=w, kind="release", actor=actor,
                                           reserved=-q, order_id=order_id, reason=reason)
                           for s, w, q in closed])
    return sum(q for _, _, q in closed)


def confirm(session: Session, *, order_id: int, actor: Actor) -> None:
    """Payment: the order's active reservations no longer expire."""
    session.connection().execute(
        update(RES).where(RES.c.order_id == order_id, RES.c.status == "active",
                          RES.c.expires_at.is_not(None)).values(expires_at=None))


def consume(session: Session, *, order_id: int, actor: Actor) -> None:
    """Shipment: the reserved units leave; on hand and reserved drop together."""
    closed = _close(session, order_id=order_id, status="consumed")
    if not closed:
        raise NothingReserved(f"order {order_id} holds no active reservation to ship",
                              details={"order_id": order_id})
    session.connection().execute(_SHIP, [{"s": s, "w": w, "q": q} for s, w, q in closed])
    ledger.write(session, [ledger.movement(sku_id=s, warehouse_id=w, kind="ship", actor=actor,
                                           on_hand=-q, reserved=-q, order_id=order_id,
                                           reason="shipment")
                           for s, w, q in closed])


def active_reservations(session: Session, order_id: int) -> list[Reservation]:
    return list(session.scalars(select(Reservation).where(
        Reservation.order_id == order_id, Reservation.status == "active").order_by(Reservation.id)))


def expire_due(session: Session, *, actor: Actor, limit: int = 500) -> list[int]:
    """Release reservations whose TTL has run out; emits reservation.expired per order."""
    now = clock.now()
    orders = list(session.scalars(
        select(RES.c.order_id).where(and_(RES.c.status == "active", RES.c.expires_at.is_not(None),
                                          RES.c.expires_at <= now))
        .group_by(RES.c.order_id).order_by(RES.c.order_id).limit(limit)))
    expired = []
    for order_id in orders:
        units = _give_back(session, order_id=order_id, actor=actor, reason="ttl_expired",
                           expired_by=now)
        if units:
            expired.append(order_id)
            outbox.emit(session, "reservation.expired", aggregate_type="order", aggregate_id=order_id,
                        actor=actor, payload={"order_id": order_id, "units": units})
    return expired
