"""The movement ledger: one row per change of a stock level; levels are the sums of its deltas.

`rebuild` recomputes every level from the ledger and `verify` lists the rows where the stored
level differs from it (`orderhub stock verify`); there must be none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from orderhub.core import clock
from orderhub.core.actor import Actor
from orderhub.inventory.models import Sku, StockLevel, StockMovement, Warehouse

MOVES = StockMovement.__table__
LEVELS = StockLevel.__table__
INSERT_MOVES = insert(MOVES)


def movement(*, sku_id: int, warehouse_id: int, kind: str, actor: Actor, on_hand: int = 0,
             reserved: int = 0, in_transit: int = 0, order_id: int | None = None,
             reference: str | None = None, reason: str = "", at: Any = None) -> dict[str, Any]:
    """One ledger row as a dict for a Core insert (batched by the callers)."""
    return {"at": at or clock.now(), "sku_id": sku_id, "warehouse_id": warehouse_id, "kind": kind,
            "on_hand_delta": on_hand, "reserved_delta": reserved, "in_transit_delta": in_transit,
            "order_id": order_id, "reference": reference, "reason": reason[:200],
            "actor_kind": actor.kind, "actor_name": actor.name[:200]}


def write(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.connection().execute(INSERT_MOVES, rows)


@dataclass(frozen=True)
class Difference:
    sku: str
    warehouse: str
    field: str
    stored: int
    ledger: int


def rebuild(session: Session) -> dict[tuple[int, int], tuple[int, int, int]]:
    """(sku_id, warehouse_id) -> (on_hand, reserved, in_transit) summed from the ledger."""
    stmt = (select(MOVES.c.sku_id, MOVES.c.warehouse_id, func.sum(MOVES.c.on_hand_delta),
                   func.sum(MOVES.c.reserved_delta), func.sum(MOVES.c.in_transit_delta))
            .group_by(MOVES.c.sku_id, MOVES.c.warehouse_id))
    return {(int(s), int(w)): (int(o or 0), int(r or 0), int(t or 0))
            for s, w, o, r, t in session.execute(stmt)}


def verify(session: Session) -> list[Difference]:
    """Every stored level that the ledger does not reproduce (empty when all is well)."""
    built = rebuild(session)
    stmt = (select(LEVELS.c.sku_id, LEVELS.c.warehouse_id, LEVELS.c.on_hand, LEVELS.c.reserved,
                   LEVELS.c.in_transit, Sku.code, Warehouse.code)
            .join(Sku, Sku.id == LEVELS.c.sku_id).join(Warehouse, Warehouse.id == LEVELS.c.warehouse_id)
            .order_by(LEVELS.c.sku_id, LEVELS.c.warehouse_id))
    diffs: list[Difference] = []
    seen: set[tuple[int, int]] = set()
    for sku_id, wh_id, on_hand, reserved, in_transit, sku_code, wh_code in session.execute(stmt):
        seen.add((sku_id, wh_id))
        want = built.get((sku_id, wh_id), (0, 0, 0))
        for name, stored, ledger_value in zip(("on_hand", "reserved", "in_transit"),
                                              (on_hand, reserved, in_transit), want):
            if stored != ledger_value:
                diffs.append(Difference(sku_code, wh_code, name, int(stored), ledger_value))
    for (sku_id, wh_id), values in built.items():
        if (sku_id, wh_id) not in seen and any(values):
            diffs.append(Difference(str(sku_id), str(wh_id), "missing_level", 0, values[0]))
    return diffs
