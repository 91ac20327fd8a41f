"""Stocktake: count a warehouse, see the differences, give a reason for each, and a supervisor
approves (posting adjustments to the ledger) or rejects. Every step is audited."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.core import audit, auth, clock, outbox
from orderhub.core.actor import Actor
from orderhub.core.errors import InvalidInput, NotFound
from orderhub.inventory import stock
from orderhub.inventory.errors import StocktakeStateError
from orderhub.inventory.models import Sku, StockLevel, Stocktake, StocktakeLine

MAX_CSV_ROWS = 20_000


@dataclass(frozen=True)
class CountLine:
    sku: str
    name: str
    system_on_hand: int
    counted: int
    reason: str

    @property
    def difference(self) -> int:
        return self.counted - self.system_on_hand


def get(session: Session, stocktake_id: int) -> Stocktake:
    take = session.get(Stocktake, stocktake_id)
    if take is None:
        raise NotFound(f"no stocktake {stocktake_id}", details={"stocktake_id": stocktake_id})
    return take


def _state(take: Stocktake, *allowed: str) -> None:
    if take.status not in allowed:
        raise StocktakeStateError(f"stocktake {take.id} is {take.status}",
                                  details={"status": take.status, "allowed": list(allowed)})


def start(session: Session, *, warehouse: int | str, actor: Actor, note: str = "") -> Stocktake:
    wh = stock.find_warehouse(session, warehouse)
    take = Stocktake(warehouse_id=wh.id, status="draft", note=note[:2000], created_by=actor.name,
                     created_at=clock.now())
    session.add(take)
    session.flush()
    audit.record(session, actor=actor, entity_type="stocktake", entity_id=take.id,
                 action="stocktake.started", after={"warehouse": wh.code, "note": note})
    return take


def record_counts(session: Session, *, stocktake_id: int, counts: list[tuple[str, int, str]],
                  actor: Actor) -> int:
    """counts: [(sku code, counted units, reason)]; a recount of a SKU replaces the earlier one.
    The system figure is taken at counting time, so later shipments are not counted as losses."""
    take = get(session, stocktake_id)
    _state(take, "draft")
    codes = [c for c, _, _ in counts]
    skus = {s.code: s for s in session.scalars(select(Sku).where(Sku.code.in_(codes)))}
    missing = sorted(set(codes) - set(skus))
    if missing:
        raise InvalidInput(f"unknown SKU {', '.join(missing[:10])}", details={"unknown": missing})
    existing = {line.sku_id: line for line in session.scalars(
        select(StocktakeLine).where(StocktakeLine.stocktake_id == take.id))}
    for code, counted, reason in counts:
        if not isinstance(counted, int) or isinstance(counted, bool) or counted < 0:
            raise InvalidInput(f"counted quantity of {code} must be a whole number of at least 0",
                               details={"sku": code, "counted": counted})
        sku = skus[code]
        level = session.scalar(select(StockLevel).where(StockLevel.sku_id == sku.id,
                                                        StockLevel.warehouse_id == take.warehouse_id)
                               .execution_options(populate_existing=True))
        system = level.on_hand if level is not None else 0
        line = existing.get(sku.id)
        if line is None:
            line = StocktakeLine(stocktake_id=take.id, sku_id=sku.id)
            session.add(line)
            existing[sku.id] = line
        line.system_on_hand, line.counted, line.reason = system, counted, (reason or "").strip()[:200]
    session.flush()
    audit.record(session, actor=actor, entity_type="stocktake", entity_id=take.id,
                 action="stocktake.counted", after={"lines": len(counts)})
    return len(counts)


def parse_counts_csv(data: bytes) -> list[tuple[str, int, str]]:
    """CSV with a header: sku, counted[, reason] (UTF-8, a BOM from Excel is fine)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("the count file is not UTF-8 text", details={"encoding": "utf-8"}) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "sku" not in header or "counted" not in header:
        raise InvalidInput("the count file needs the columns sku, counted (and optionally reason)",
                           details={"columns": header})
    out: list[tuple[str, int, str]] = []
    for n, row in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        if not any(row.values()):
            continue
        if len(out) >= MAX_CSV_ROWS:
            raise InvalidInput(f"at most {MAX_CSV_ROWS} rows per file", details={"line": n})
        try:
            counted = int(row["counted"])
        except ValueError:
            raise InvalidInput(f"line {n}: counted is not a whole number",
                               details={"line": n, "value": row["counted"]}) from None
        if not row["sku"]:
            raise InvalidInput(f"line {n}: sku is empty", details={"line": n})
        out.append((row["sku"], counted, row.get("reason", "")))
    return out


def lines(session: Session, stocktake_id: int) -> list[CountLine]:
    stmt = (select(Sku.code, Sku.name, StocktakeLine.system_on_hand, StocktakeLine.counted,
                   StocktakeLine.reason)
            .join(Sku, Sku.id == StocktakeLine.sku_id)
            .where(StocktakeLine.stocktake_id == stocktake_id).order_by(Sku.code))
    return [CountLine(*row) for row in session.execute(stmt)]


def submit(session: Session, *, stocktake_id: int, actor: Actor) -> Stocktake:
    take = get(session, stocktake_id)
    _state(take, "draft")
    counted = lines(session, stocktake_id)
    if not counted:
        raise InvalidInput("nothing has been counted yet", details={"stocktake_id": stocktake_id})
    unexplained = [c.sku for c in counted if c.difference and not c.reason]
    if unexplained:
        raise InvalidInput("every difference needs a reason",
                           details={"skus": unexplained, "field": "reason"})
    take.status, take.submitted_at = "submitted", clock.now()
    audit.record(session, actor=actor, entity_type="stocktake", entity_id=take.id,
                 action="stocktake.submitted",
                 after={"differences": {c.sku: c.difference for c in counted if c.difference}})
    outbox.emit(session, "stocktake.submitted", aggregate_type="stocktake", aggregate_id=take.id,
                actor=actor, payload={"stocktake_id": take.id, "warehouse_id": take.warehouse_id})
    return take


def approve(session: Session, *, stocktake_id: int, actor: Actor, comment: str = "") -> Stocktake:
    """A supervisor posts the differences as adjustments to the ledger."""
    auth.require(actor, "stocktake.approve")
    take = get(session, stocktake_id)
    _state(take, "submitted")
    rows = session.execute(select(StocktakeLine.sku_id, StocktakeLine.system_on_hand,
                                  StocktakeLine.counted, StocktakeLine.reason)
                           .where(StocktakeLine.stocktake_id == take.id)
                           .order_by(StocktakeLine.sku_id)).all()
    for sku_id, system, counted, reason in rows:
        if counted != system:
            stock.adjust(session, sku_id=sku_id, warehouse_id=take.warehouse_id, delta=counted - system,
                         actor=actor, reason=f"stocktake {take.id}: {reason}",
                         reference=f"stocktake:{take.id}")
    return _decide(session, take, actor, "approved", comment)


def reject(session: Session, *, stocktake_id: int, actor: Actor, comment: str) -> Stocktake:
    auth.require(actor, "stocktake.approve")
    if not comment.strip():
        raise InvalidInput("a rejection needs a comment", details={"field": "comment"})
    take = get(session, stocktake_id)
    _state(take, "submitted")
    return _decide(session, take, actor, "rejected", comment)


def _decide(session: Session, take: Stocktake, actor: Actor, status: str, comment: str) -> Stocktake:
    take.status, take.decided_by, take.decided_at = status, actor.name, clock.now()
    take.decision_comment = comment.strip()[:2000]
    session.flush()
    audit.record(session, actor=actor, entity_type="stocktake", entity_id=take.id,
                 action=f"stocktake.{status}", before={"status": "submitted"},
                 after={"status": status, "comment": take.decision_comment})
    outbox.emit(session, f"stocktake.{status}", aggregate_type="stocktake", aggregate_id=take.id,
                actor=actor, payload={"stocktake_id": take.id, "warehouse_id": take.warehouse_id})
    return take


def recent(session: Session, limit: int = 50) -> list[Stocktake]:
    return list(session.scalars(select(Stocktake).order_by(Stocktake.id.desc()).limit(limit)))
