"""Use cases of SLAs: an order enters and leaves stages (with a deadline and an assignee), the
scan that announces warnings and breaches exactly once, and reassignment.

The alerts capability calls `people.get`, `responsible_chain`, `on_duty` and `reassign` from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, inspect, or_, select, update
from sqlalchemy.orm import Session

from orderhub.core import audit, clock, outbox
from orderhub.core.actor import Actor
from orderhub.core.db import is_postgres
from orderhub.core.errors import InvalidInput, NotFound
from orderhub.core.models import OutboxEvent
from orderhub.orders import lifecycle as lc
from orderhub.orders.models import Order
from orderhub.sla import people, policies
from orderhub.sla.models import OrderSla
from orderhub.sla.people import Chain, on_duty, responsible_chain

__all__ = [
    "Chain",
    "advance",
    "on_duty",
    "people",
    "reassign",
    "responsible_chain",
    "scan",
    "sla_of",
    "stage_for_event",
]

ORDERS = Order.__table__
SLA = OrderSla.__table__
EVENTS = OutboxEvent.__table__
CLOSED = "closed"
SCAN_BATCH = 500

# The stage an order is in after each status; None: no stage (not paid yet, or done).
STAGE_OF_STATUS = {lc.PAID: "accept", lc.ALLOCATED: "print", lc.AWAITING_STOCK: "print",
                   lc.LABEL_PRINTED: "ship", lc.SHIPPED: "first_scan"}
LEAVES_ALL = {"order.cancelled", "order.closed", "order.completed", "order.delivered",
              "tracking.first_scan"}


def stage_for_event(topic: str, payload: dict[str, Any]) -> str | None:
    """The stage an order event puts the order in: a stage key, CLOSED, or None (no change:
    a hold does not stop the clock, and an unpaid order has no stage yet)."""
    if topic in LEAVES_ALL:
        return CLOSED
    # An order that arrives already paid says so in order.created; later changes in "to".
    status = payload.get("status") if topic == "order.created" else payload.get("to")
    if topic == "order.held" or not isinstance(status, str):
        return None
    return STAGE_OF_STATUS.get(status)


def sla_of(session: Session, order_id: int) -> OrderSla | None:
    return session.get(OrderSla, order_id)


def advance(session: Session, *, order_id: int, target: str, at: datetime,
            event_id: int) -> OrderSla | None:
    """Move the order to `target` (a stage or CLOSED) as of `at`, the time of the change.

    An event older than the one applied last is ignored (events may be handled out of order or
    twice); entering the stage the order is already in keeps its clock running."""
    # The order's row lock first, as every use case that changes an order takes it: two workers
    # handling two events of one order then take turns, and never race to create its SLA row.
    order = session.scalar(select(Order).where(Order.id == order_id)
                           .with_for_update(of=Order))
    if order is None:
        return None
    row = session.get(OrderSla, order_id, with_for_update=True)
    if row is not None and event_id <= row.last_event_id:
        return row
    if row is not None and row.closed_at is None and row.stage == target:
        row.last_event_id = event_id
        return row
    if row is not None and row.closed_at is None:
        _leave(session, row, order, at)
    if target == CLOSED:
        if row is not None:
            row.last_event_id = event_id
        return row
    return _enter(session, row, order, target, at, event_id)


def _leave(session: Session, row: OrderSla, order: Order, at: datetime) -> None:
    late = at > row.deadline
    row.closed_at, row.late = at, late
    outbox.emit(session, "sla.stage_left", aggregate_type="order", aggregate_id=order.id,
                payload={"order_id": order.id, "order_no": order.order_no, "stage": row.stage,
                         "late": late})


def _enter(session: Session, row: OrderSla | None, order: Order, stage: str, at: datetime,
           event_id: int) -> OrderSla:
    due = policies.deadline_for(session, order=order, stage=stage, started_at=at)
    person_id, team_id = people.pick_assignee(session, stage=stage, at=at)
    if row is None:
        row = OrderSla(order_id=order.id)
        session.add(row)
    row.stage, row.started_at, row.deadline, row.warn_at = stage, at, due.deadline, due.warn_at
    row.warned_at = row.breached_at = row.closed_at = None
    row.person_id, row.team_id = person_id, team_id
    row.rule_id, row.policy_note, row.last_event_id = due.rule_id, due.note, event_id
    session.flush()
    return row


def backfill(session: Session, *, limit: int = SCAN_BATCH) -> int:
    """Orders that were open before SLAs were switched on (or before this stage existed) get
    their current stage's deadline, counted from when they reached it as well as we know: the
    payment for acceptance, the last change otherwise. Returns how many; call until 0."""
    in_stage = or_(Order.status.in_(STAGE_OF_STATUS),
                   and_(Order.status == lc.ON_HOLD, Order.held_from.in_(STAGE_OF_STATUS)))
    orders = session.scalars(
        select(Order).outerjoin(OrderSla, OrderSla.order_id == Order.id)
        .where(OrderSla.order_id.is_(None), in_stage)
        .order_by(Order.id).limit(limit).with_for_update(of=Order)).all()
    for order in orders:
        stage = STAGE_OF_STATUS[order.held_from if order.status == lc.ON_HOLD else order.status]
        started = order.paid_at if stage == "accept" and order.paid_at else order.updated_at
        _enter(session, None, order, stage, started, event_id=0)  # any later event applies
    return len(orders)


# --- timers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScanResult:
    warned: int
    breached: int


def scan(session: Session, *, limit: int = SCAN_BATCH) -> ScanResult:
    """Announce the deadlines that came due, each exactly once.

    One conditional UPDATE per kind marks the due rows it wins and returns them; only those get
    an event. A concurrent scan (another worker) blocks on the rows the first one changed and
    then finds them no longer due, so nothing fires twice. A breach found before its warning
    (the workers were down) fires the breach alone."""
    now = clock.now()
    batch = _EventBatch()
    breached = _claim(session, batch, kind="breached", now=now, limit=limit)
    warned = _claim(session, batch, kind="warning", now=now, limit=limit)
    batch.insert(session)
    return ScanResult(warned=warned, breached=breached)


def _claim(session: Session, batch: _EventBatch, *, kind: str, now: datetime, limit: int) -> int:
    if kind == "breached":
        due = SLA.c.breached_at.is_(None) & SLA.c.closed_at.is_(None) & (SLA.c.deadline <= now)
        ordering = SLA.c.deadline
        values: dict[str, Any] = {"breached_at": now,
                                  "warned_at": func.coalesce(SLA.c.warned_at, now)}
    else:
        due = SLA.c.warned_at.is_(None) & SLA.c.closed_at.is_(None) & (SLA.c.warn_at <= now)
        ordering = SLA.c.warn_at
        values = {"warned_at": now}
    picked = select(SLA.c.order_id).where(due).order_by(ordering).limit(limit).scalar_subquery()
    stmt = (update(SLA).where(SLA.c.order_id.in_(picked), due).values(**values)
            .returning(SLA.c.order_id, SLA.c.stage, SLA.c.deadline, SLA.c.person_id,
                       SLA.c.team_id)
            .execution_options(synchronize_session=False))
    postgres = is_postgres(session)
    if postgres:
        # UPDATE … FROM orders returns the order number with the row: no second round trip
        # (SQLite's RETURNING sees only the updated table).
        stmt = stmt.where(ORDERS.c.id == SLA.c.order_id).returning(ORDERS.c.order_no)
    won = session.execute(stmt).all()
    numbers = ({r.order_id: r.order_no for r in won} if postgres else _order_numbers(session, won))
    severity = "critical" if kind == "breached" else "warning"
    for r in sorted(won, key=lambda r: (r.deadline, r.order_id)):
        outbox.emit(batch, f"sla.{kind}", aggregate_type="order",  # type: ignore[arg-type]
                    aggregate_id=r.order_id,
                    payload={"order_id": r.order_id, "order_no": numbers.get(r.order_id),
                             "stage": r.stage,
                             "deadline": r.deadline.isoformat(), "person_id": r.person_id,
                             "team_id": r.team_id, "severity": severity})
    return len(won)


def _order_numbers(session: Session, won: list[Any]) -> dict[int, str]:
    if not won:
        return {}
    return dict(session.execute(select(ORDERS.c.id, ORDERS.c.order_no)
                                .where(ORDERS.c.id.in_([r.order_id for r in won]))).all())


class _EventBatch:
    """Collects what outbox.emit adds (the very rows it writes) and inserts them in one
    executemany: an ORM flush per event cost five times the scan's UPDATEs at ~170 rows."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, event: OutboxEvent) -> None:
        state = inspect(event).dict
        self.rows.append({k: v for k, v in state.items() if k in EVENTS.c})

    def insert(self, session: Session) -> None:
        if self.rows:
            session.execute(insert(EVENTS), self.rows)


# --- reassignment ---------------------------------------------------------------------------


def reassign(session: Session, *, order_id: int, to_person_id: int, actor: Actor,
             reason: str) -> None:
    """Give the order's current stage to another person (a supervisor's decision, or the
    escalation's move to the backup); recorded in the audit log and announced."""
    row = session.get(OrderSla, order_id, with_for_update=True)
    if row is None or row.closed_at is not None:
        raise NotFound("the order has no open SLA stage to reassign", details={"order_id": order_id})
    person = people.get(session, to_person_id)
    if not person.active:
        raise InvalidInput(f"{person.name} is not active", details={"person_id": to_person_id})
    before = row.person_id
    row.person_id = person.id
    order = session.get(Order, order_id)
    order_no = order.order_no if order is not None else None
    audit.record(session, actor=actor, entity_type="order", entity_id=order_no or order_id,
                 action="sla.reassigned", before={"person_id": before},
                 after={"person_id": person.id, "stage": row.stage, "reason": reason})
    outbox.emit(session, "sla.reassigned", aggregate_type="order", aggregate_id=order_id,
                actor=actor, payload={"order_id": order_id, "order_no": order_no,
                                      "stage": row.stage, "from_person_id": before,
                                      "to_person_id": person.id, "reason": reason})
    session.flush()
