"""Transfer requests between warehouses (SPEC §4): requested -> shipped -> received.

Shipping takes the units out of the source's on hand (one conditional step like a reservation,
refused when too few are available) and counts them in transit at the destination with the
expected arrival date; ledger rows `transfer_out` (source on hand -q) and `transfer_in`
(destination in transit +q). Receiving books the in-transit units into the destination's on hand
(ledger `transfer_in`: on hand +q, in transit -q) and emits `stock.received`, so backorders
waiting for that SKU wake up. A request not yet shipped can be cancelled. Every step is audited
and emits `transfer.<status>`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, aliased

from orderhub.core import audit, clock, outbox
from orderhub.core.actor import Actor
from orderhub.core.errors import Conflict, InvalidInput, NotFound
from orderhub.inventory import ledger, stock
from orderhub.inventory.errors import InsufficientStock
from orderhub.inventory.models import TRANSFER_STATUSES, Sku, TransferRequest, Warehouse


class TransferNotFound(NotFound):
    code = "transfer_not_found"


class TransferStateError(Conflict):
    code = "transfer_state"


@dataclass(frozen=True)
class TransferRow:
    id: int
    sku: str
    sku_name: str
    from_code: str
    to_code: str
    quantity: int
    expected_at: datetime
    status: str
    note: str
    requested_by: str
    created_at: datetime
    shipped_at: datetime | None
    received_at: datetime | None


def get(session: Session, transfer_id: int) -> TransferRequest:
    item = session.get(TransferRequest, transfer_id, populate_existing=True)
    if item is None:
        raise TransferNotFound(f"no transfer request #{transfer_id}", details={"id": transfer_id})
    return item


def request_transfer(session: Session, *, sku: str, from_warehouse: str | int, to_warehouse: str | int,
                     quantity: int, expected_at: datetime, actor: Actor,
                     note: str = "") -> TransferRequest:
    """A request to move `quantity` of `sku`; nothing moves until it is shipped."""
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise InvalidInput("quantity must be a whole number above 0",
                           details={"field": "quantity", "value": quantity})
    if not isinstance(expected_at, datetime) or expected_at.tzinfo is None:
        raise InvalidInput("expected_at is a date and time with a time zone",
                           details={"field": "expected_at"})
    note = (note or "").strip()
    if len(note) > 200:
        raise InvalidInput("note is longer than 200 characters", details={"field": "note"})
    item = stock.find_sku(session, sku)
    source, target = stock.find_warehouse(session, from_warehouse), stock.find_warehouse(session, to_warehouse)
    if source.id == target.id:
        raise InvalidInput("a transfer needs two different warehouses",
                           details={"field": "to_warehouse", "warehouse": source.code})
    now = clock.now()
    if expected_at < now:
        raise InvalidInput("the expected arrival is in the past", details={"field": "expected_at"})
    req = TransferRequest(sku_id=item.id, from_warehouse_id=source.id, to_warehouse_id=target.id,
                          quantity=quantity, expected_at=expected_at, status="requested", note=note,
                          requested_by=actor.name[:200], created_at=now)
    session.add(req)
    session.flush()
    facts = {"sku": item.code, "from": source.code, "to": target.code, "quantity": quantity,
             "expected_at": expected_at.isoformat()}
    audit.record(session, actor=actor, entity_type="transfer", entity_id=str(req.id),
                 action="transfer.requested", after={**facts, "note": note})
    outbox.emit(session, "transfer.requested", aggregate_type="transfer", aggregate_id=str(req.id),
                actor=actor, payload={"id": req.id, **facts})
    return req


def _claim(session: Session, transfer_id: int, *, from_status: str, to_status: str,
           stamp: str) -> TransferRequest:
    """Move the request on exactly once, even when two clerks click at the same time."""
    now = clock.now()
    done = session.execute(update(TransferRequest)
                           .where(TransferRequest.id == transfer_id, TransferRequest.status == from_status)
                           .values(status=to_status, **{stamp: now})
                           .execution_options(synchronize_session=False))
    req = get(session, transfer_id)
    if done.rowcount != 1:
        raise TransferStateError(f"transfer #{transfer_id} is {req.status}, not {from_status}",
                                 details={"id": transfer_id, "status": req.status,
                                          "expected": from_status})
    return req


def _facts(session: Session, req: TransferRequest) -> tuple[str, Warehouse, Warehouse]:
    code = session.get(Sku, req.sku_id).code
    return code, session.get(Warehouse, req.from_warehouse_id), session.get(Warehouse, req.to_warehouse_id)


def ship(session: Session, *, transfer_id: int, actor: Actor) -> TransferRequest:
    """The goods left the source: its on hand drops, the destination has them in transit."""
    req = _claim(session, transfer_id, from_status="requested", to_status="shipped", stamp="shipped_at")
    code, source, target = _facts(session, req)
    moved = stock.transfer(session, sku=code, from_warehouse_id=source.id, to_warehouse_id=target.id,
                           quantity=req.quantity, expected_at=req.expected_at, actor=actor,
                           reference=f"transfer#{req.id}")
    if not moved:
        level = stock.level_of(session, code, source.id)
        available = 0 if level is None else level.on_hand - level.reserved
        raise InsufficientStock(f"{source.code} has {available} of {code} available, "
                                f"the transfer needs {req.quantity}",
                                details={"sku": code, "warehouse": source.code,
                                         "available": available, "quantity": req.quantity})
    _step(session, req, actor, "transfer.shipped", code, source, target, was="requested")
    return req


def receive(session: Session, *, transfer_id: int, actor: Actor) -> TransferRequest:
    """The goods arrived: the destination's in transit becomes on hand; backorders wake."""
    req = _claim(session, transfer_id, from_status="shipped", to_status="received", stamp="received_at")
    code, source, target = _facts(session, req)
    level = stock.locked_level(session, req.sku_id, target.id)
    before = {"on_hand": level.on_hand, "in_transit": level.in_transit}
    transit = min(level.in_transit, req.quantity)  # a manual "set" may have zeroed it meanwhile
    level.on_hand += req.quantity
    level.in_transit -= transit
    if level.in_transit == 0:
        level.in_transit_expected_at = None
    session.flush()
    ledger.write(session, [ledger.movement(sku_id=req.sku_id, warehouse_id=target.id, kind="transfer_in",
                                           actor=actor, on_hand=req.quantity, in_transit=-transit,
                                           reference=f"transfer#{req.id}",
                                           reason=f"received from {source.code}")])
    audit.record(session, actor=actor, entity_type="stock", entity_id=f"{code}@{target.code}",
                 action="stock.received", before=before,
                 after={"on_hand": level.on_hand, "in_transit": level.in_transit,
                        "reference": f"transfer#{req.id}"})
    outbox.emit(session, "stock.received", aggregate_type="sku", aggregate_id=code, actor=actor,
                payload={"sku": code, "warehouse_id": target.id, "quantity": req.quantity})
    _step(session, req, actor, "transfer.received", code, source, target, was="shipped")
    return req


def cancel(session: Session, *, transfer_id: int, actor: Actor) -> TransferRequest:
    """Only a request not yet shipped (nothing has moved)."""
    req = _claim(session, transfer_id, from_status="requested", to_status="cancelled",
                 stamp="cancelled_at")
    code, source, target = _facts(session, req)
    _step(session, req, actor, "transfer.cancelled", code, source, target, was="requested")
    return req


def _step(session: Session, req: TransferRequest, actor: Actor, action: str, code: str,
          source: Warehouse, target: Warehouse, *, was: str) -> None:
    facts = {"id": req.id, "sku": code, "from": source.code, "to": target.code,
             "quantity": req.quantity, "expected_at": req.expected_at.isoformat()}
    audit.record(session, actor=actor, entity_type="transfer", entity_id=str(req.id), action=action,
                 before={"status": was},
                 after={"status": req.status})
    outbox.emit(session, action, aggregate_type="transfer", aggregate_id=str(req.id), actor=actor,
                payload=facts)


def listing(session: Session, *, status: str = "", limit: int = 100,
            transfer_id: int | None = None) -> list[TransferRow]:
    """Newest first; `status` filters (open = requested or shipped)."""
    src, dst = aliased(Warehouse), aliased(Warehouse)
    stmt = (select(TransferRequest, Sku.code, Sku.name, src.code, dst.code)
            .join(Sku, Sku.id == TransferRequest.sku_id)
            .join(src, src.id == TransferRequest.from_warehouse_id)
            .join(dst, dst.id == TransferRequest.to_warehouse_id)
            .order_by(TransferRequest.id.desc()).limit(limit))
    if transfer_id is not None:
        stmt = stmt.where(TransferRequest.id == transfer_id)
    if status == "open":
        stmt = stmt.where(TransferRequest.status.in_(("requested", "shipped")))
    elif status:
        if status not in TRANSFER_STATUSES:
            raise InvalidInput(f"unknown transfer status {status!r}",
                               details={"allowed": ["open", *TRANSFER_STATUSES]})
        stmt = stmt.where(TransferRequest.status == status)
    return [TransferRow(id=r.id, sku=code, sku_name=name, from_code=f, to_code=t, quantity=r.quantity,
                        expected_at=r.expected_at, status=r.status, note=r.note,
                        requested_by=r.requested_by, created_at=r.created_at, shipped_at=r.shipped_at,
                        received_at=r.received_at)
            for r, code, name, f, t in session.execute(stmt)]


def row(session: Session, transfer_id: int) -> TransferRow:
    found = listing(session, transfer_id=transfer_id, limit=1)
    if not found:
        raise TransferNotFound(f"no transfer request #{transfer_id}", details={"id": transfer_id})
    return found[0]
