"""Printing a batch of labels: select orders, take their waybills, move them to label_printed,
record the batch, render its PDF.

`print_labels` works in three steps so no transaction stays open while carriers answer: pick and
check the orders (one unit of work), `carriers.service.request_waybills` (its own units of work;
an order that already has a waybill reuses it, so a reprint never takes a new number), then one
unit of work moves the orders and writes the `label_batches` row.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Row, select
from sqlalchemy.orm import Session, load_only, selectinload

from orderhub.core import audit, clock
from orderhub.core.actor import Actor
from orderhub.core.db import insert_rows, unit_of_work
from orderhub.core.errors import InvalidInput, NotFound
from orderhub.core.models import AuditEntry, OutboxEvent
from orderhub.fulfilment import deadlines
from orderhub.fulfilment.carriers import service as carriers
from orderhub.fulfilment.carriers.models import Waybill
from orderhub.fulfilment.labels.labeldata import label_data
from orderhub.fulfilment.labels.models import LabelBatch
from orderhub.fulfilment.labels.render import render_labels
from orderhub.orders import lifecycle as lc
from orderhub.orders.models import Order
from orderhub.orders.service import change_status, get_order
from orderhub.routing.models import RoutingDecision

MAX_BATCH = 1000
# An order is marked 加急 when someone raised its priority, tagged it urgent, or its ship
# deadline is this close when the label is printed.
URGENT_TAGS = frozenset({"urgent", "加急"})
# The print stage's own deadline is 2 h by default, so "soon" must be much less than that or
# every label would say 加急.
URGENT_WITHIN = timedelta(minutes=30)
PRINTABLE = (lc.ALLOCATED, lc.LABEL_PRINTED)
# What recording a batch reads and changes of each order (the status check, the move to
# label_printed, the urgent mark): not the forty-odd other columns of 1,000 orders.
RECORD_COLUMNS = (Order.id, Order.order_no, Order.status, Order.held_from, Order.updated_at,
                  Order.version, Order.priority, Order.tags)


class BatchNotFound(NotFound):
    code = "label_batch_not_found"


@dataclass
class PrintResult:
    batch_id: int
    order_nos: list[str] = field(default_factory=list)  # labels, in print order
    printed: list[str] = field(default_factory=list)  # allocated -> label_printed now
    reprinted: list[str] = field(default_factory=list)  # already label_printed: same waybill
    waiting: dict[str, str] = field(default_factory=dict)  # no waybill yet: why
    skipped: dict[str, str] = field(default_factory=dict)  # wrong status: why
    seconds: dict[str, float] = field(default_factory=dict)  # select / waybills / record

    @property
    def count(self) -> int:
        return len(self.order_nos)


@dataclass
class _Selection:
    ids: list[int]
    numbers: dict[int, str]
    skipped: dict[str, str]
    described: dict[str, Any]


def print_labels(engine: Engine, *, actor: Actor, order_ids: Sequence[int] | None = None,
                 order_nos: Sequence[str] | None = None, warehouse: str | None = None,
                 due_before: datetime | None = None, limit: int = MAX_BATCH) -> PrintResult:
    """Labels for the orders given (ids or order numbers), or for every allocated order of
    `warehouse` whose ship deadline is before `due_before` (soonest `limit` of them)."""
    started = time.perf_counter()
    with unit_of_work(engine) as session:
        chosen = select_orders(session, order_ids=order_ids, order_nos=order_nos, warehouse=warehouse,
                               due_before=due_before, limit=limit)
    selected = time.perf_counter()
    report = carriers.request_waybills(engine, order_ids=chosen.ids) if chosen.ids else carriers.Report()
    waybills = time.perf_counter()
    with unit_of_work(engine) as session:
        result = _record(session, chosen, report, actor=actor)
    result.seconds = {"select": selected - started, "waybills": waybills - selected,
                      "record": time.perf_counter() - waybills}
    return result


def select_orders(session: Session, *, order_ids: Sequence[int] | None, order_nos: Sequence[str] | None,
                  warehouse: str | None, due_before: datetime | None, limit: int = MAX_BATCH) -> _Selection:
    explicit = list(order_ids or []) + list(order_nos or [])
    if explicit and (warehouse or due_before):
        raise InvalidInput("give either orders or a warehouse (with due_before), not both",
                           details={"field": "warehouse"})
    if not 1 <= limit <= MAX_BATCH:
        raise InvalidInput(f"limit must be 1..{MAX_BATCH}", details={"field": "limit"})
    if explicit:
        if len(explicit) > limit:
            raise InvalidInput(f"{len(explicit)} orders given; at most {limit} per batch",
                               details={"field": "order_nos"})
        orders = _load_all(session, explicit)
        described: dict[str, Any] = {"order_nos": [o.order_no for o in orders]}
    elif warehouse:
        orders = _allocated_in(session, warehouse.strip(), due_before, limit)
        described = {"warehouse": warehouse.strip(),
                     "due_before": clock.to_utc(due_before).isoformat() if due_before else None}
    else:
        raise InvalidInput("nothing selected: give order numbers, or a warehouse (and due_before)",
                           details={"field": "order_nos"})
    ids: list[int] = []
    skipped: dict[str, str] = {}
    for order in dict.fromkeys(orders):
        why = unprintable(order)
        if why:
            skipped[order.order_no] = why
        else:
            ids.append(order.id)
    return _Selection(ids=ids, numbers={o.id: o.order_no for o in orders}, skipped=skipped,
                      described=described)


def unprintable(order: Order) -> str:
    """Why this order cannot get a label now; "" when it can."""
    status = order.status
    if status in PRINTABLE:
        return ""
    if status == lc.ON_HOLD:
        reasons = "; ".join(f"{h.reason_code}: {h.reason}" if h.reason else h.reason_code
                            for h in order.holds if h.status == "open")
        return f"on hold ({reasons})" if reasons else "on hold"
    if status in (lc.CANCELLED, lc.CLOSED):
        return f"order is {status}"
    if status in (lc.SHIPPED, lc.DELIVERED, lc.COMPLETED):
        return f"already shipped (status {status})"
    return f"not allocated to a warehouse yet (status {status})"


def _load_all(session: Session, refs: list[int | str]) -> list[Order]:
    """The orders named, in the order given: ids and order numbers in one query each (with
    their holds, which the status check reads); anything else one by one through `get_order`
    (platform order ids; it raises the not-found error)."""
    numbers = [str(r).strip() for r in refs if not isinstance(r, int)]
    if any(not n for n in numbers):
        raise InvalidInput("an empty order number", details={"field": "order_nos"})
    ids = [r for r in refs if isinstance(r, int)]
    found = list(session.scalars(select(Order).options(selectinload(Order.holds))
                                 .where(Order.order_no.in_(numbers) | Order.id.in_(ids))))
    by_no, by_id = {o.order_no: o for o in found}, {o.id: o for o in found}
    orders = []
    for ref in refs:
        if isinstance(ref, int):
            if ref not in by_id:
                raise InvalidInput(f"no order {ref}", details={"field": "order_ids", "order_id": ref})
            orders.append(by_id[ref])
        else:
            orders.append(by_no.get(ref.strip()) or get_order(session, ref.strip()))
    return orders


def _allocated_in(session: Session, warehouse: str, due_before: datetime | None, limit: int) -> list[Order]:
    """Allocated orders whose current routing decision ships them from `warehouse`, soonest
    deadline first; with `due_before`, only those due before it."""
    orders = list(session.scalars(select(Order).options(selectinload(Order.holds))
                                  .where(Order.status == lc.ALLOCATED).order_by(Order.id)))
    where = warehouses_of(session, [o.id for o in orders])
    mine = [o for o in orders if where.get(o.id) == warehouse]
    due = deadlines.ship_deadlines(session, [o.id for o in mine])
    if due_before is not None:
        cutoff = clock.to_utc(due_before)
        mine = [o for o in mine if due.get(o.id) is not None and due[o.id] <= cutoff]  # type: ignore[operator]
    by_id = {o.id: o for o in mine}
    return [by_id[i] for i in deadlines.by_deadline(by_id, due)[:limit]]


def warehouses_of(session: Session, order_ids: list[int]) -> dict[int, str | None]:
    """Each order's warehouse by its newest routing decision (what `routing.decisions.latest`
    answers for one order), read 500 orders a query: one query per order was a second for a
    1,000-order warehouse."""
    found: dict[int, str | None] = {}
    for start in range(0, len(order_ids), 500):
        chunk = order_ids[start:start + 500]
        rows = session.execute(select(RoutingDecision.order_id, RoutingDecision.warehouse_code)
                               .where(RoutingDecision.order_id.in_(chunk)).order_by(RoutingDecision.id))
        found.update((order_id, code) for order_id, code in rows)  # newest last: it wins
    return found


def issued_waybills(session: Session, order_ids: list[int]) -> dict[int, Row]:
    """Each order's current waybill (as `carriers.service.current_waybill`): its id, carrier
    and tracking number, 500 orders a query. Only those columns: the print data (a few KB of
    JSON a waybill) is not needed to record a batch."""
    found: dict[int, Row] = {}
    for start in range(0, len(order_ids), 500):
        chunk = order_ids[start:start + 500]
        found.update((w.order_id, w) for w in session.execute(
            select(Waybill.order_id, Waybill.id, Waybill.carrier, Waybill.tracking_no)
            .where(Waybill.order_id.in_(chunk), Waybill.status == "issued").order_by(Waybill.id)))
    return found


def _record(session: Session, chosen: _Selection, report: carriers.Report, *, actor: Actor) -> PrintResult:
    batch = LabelBatch(actor=actor.name, selection=chosen.described, created_at=clock.now())
    session.add(batch)
    session.flush()
    result = PrintResult(batch_id=batch.id, skipped=dict(chosen.skipped))
    for order_id, why in {**report.waiting, **report.refused}.items():
        result.waiting[chosen.numbers[order_id]] = why
    with_waybill = [i for i in chosen.ids if i in report.issued or i in report.reused]
    # Lock in primary-key order: two batches printing the same orders queue up here.
    orders = {o.id: o for o in session.scalars(select(Order).options(
        selectinload(Order.holds), load_only(*RECORD_COLUMNS))
        .where(Order.id.in_(with_waybill)).order_by(Order.id).with_for_update(of=Order))}
    due = deadlines.ship_deadlines(session, with_waybill)
    waybills = issued_waybills(session, with_waybill)
    now = clock.now()
    entries = []
    moved = _Moves(actor)
    for order_id in deadlines.by_deadline(with_waybill, due):
        order = orders[order_id]
        waybill = waybills.get(order_id)
        why = unprintable(order)  # the status may have changed while the carriers answered
        if why or waybill is None:
            result.skipped[order.order_no] = why or "its waybill was voided meanwhile"
            continue
        reprint = order.status == lc.LABEL_PRINTED
        if not reprint:
            moved.add(order, reason=f"label batch {batch.id}",
                      payload={"batch_id": batch.id, "carrier": waybill.carrier,
                               "tracking_no": waybill.tracking_no})
        (result.reprinted if reprint else result.printed).append(order.order_no)
        result.order_nos.append(order.order_no)
        deadline = due.get(order_id)
        entries.append({"order_id": order_id, "order_no": order.order_no, "waybill_id": waybill.id,
                        "tracking_no": waybill.tracking_no, "reprint": reprint,
                        "deadline": deadline.isoformat() if deadline else None,
                        "urgent": is_urgent(order, deadline, now)})
    moved.write(session)
    batch.entries, batch.order_ids = entries, [e["order_id"] for e in entries]
    batch.count, batch.printed, batch.reprinted = len(entries), len(result.printed), len(result.reprinted)
    batch.waiting, batch.skipped = result.waiting, result.skipped
    audit.record(session, actor=actor, entity_type="label_batch", entity_id=batch.id, action="labels.printed",
                 after={"selection": chosen.described, "printed": result.printed,
                        "reprinted": result.reprinted, "waiting": result.waiting, "skipped": result.skipped})
    session.flush()
    return result


class _Moves:
    """Orders moved to label_printed, written together: `orders.service.change_status` checks
    and applies each move and gives the audit row and event `transition` would write; they are
    inserted in one statement per table (COPY on PostgreSQL) after one flush of the orders'
    UPDATEs, instead of an ORM object per row. Same rows, same order (per order: status audit
    row, `order.label_printed` event), as tests/fulfilment/labels/test_bulk.py checks."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.audits: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []

    def add(self, order: Order, *, reason: str, payload: dict[str, Any]) -> None:
        change = change_status(order, lc.LABEL_PRINTED, actor=self.actor, reason=reason, payload=payload)
        self.audits.append(audit.row(**change.audit))
        event, now = change.event, clock.now()
        self.events.append({"topic": change.topic, "aggregate_type": event["aggregate_type"],
                            "aggregate_id": str(event["aggregate_id"]), "payload": event["payload"],
                            "actor": event["actor"].as_dict(), "created_at": now, "available_at": now,
                            "status": "pending", "attempts": 0})

    def write(self, session: Session) -> None:
        session.flush()  # the orders' new status: before the rows that describe it
        insert_rows(session, AuditEntry.__table__, self.audits)
        insert_rows(session, OutboxEvent.__table__, self.events)


def is_urgent(order: Order, deadline: datetime | None, now: datetime) -> bool:
    if order.priority > 0 or URGENT_TAGS & set(order.tags or []):
        return True
    return deadline is not None and deadline - now <= URGENT_WITHIN


def get_batch(session: Session, batch_id: int) -> LabelBatch:
    batch = session.get(LabelBatch, batch_id)
    if batch is None:
        raise BatchNotFound(f"no label batch {batch_id}", details={"batch_id": batch_id})
    return batch


def batch_pdf(session: Session, batch_id: int) -> bytes:
    """The batch's labels again, from its stored waybills, deadlines and marks."""
    batch = get_batch(session, batch_id)
    if not batch.entries:
        raise NotFound(f"label batch {batch_id} printed no labels", details={"batch_id": batch_id})
    return render_labels(label_data(session, batch.entries))


def recent_batches(session: Session, *, limit: int = 20) -> list[LabelBatch]:
    return list(session.scalars(select(LabelBatch).order_by(LabelBatch.id.desc()).limit(limit)))
