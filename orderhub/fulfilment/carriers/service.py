"""Waybills for orders: taken from the carriers concurrently, stored, reused, voided.

`request_waybills(engine, order_ids=...)` works in three steps so no transaction stays open
while carriers answer: read what each order needs (one unit of work), call the carriers in a
thread pool with a circuit breaker per account (no database), store what came back (one unit of
work). An order the carrier could not serve now gets a `retrying` wait and one outbox event
(`carriers.waybill_retry`, handled in tasks.py) that asks again with the worker's backoff.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from orderhub.core import clock, outbox
from orderhub.core.db import insert_rows, unit_of_work
from orderhub.core.errors import Conflict, OrderNotFound
from orderhub.core.models import OutboxEvent
from orderhub.fulfilment.carriers import breaker
from orderhub.fulfilment.carriers.accounts import adapter_for, get_account, info
from orderhub.fulfilment.carriers.models import Waybill, WaybillWait
from orderhub.fulfilment.carriers.rules import CHUNK, Facts, batch_facts, choose
from orderhub.fulfilment.carriers.waybills import (
    AccountInfo,
    CarrierError,
    IssuedWaybill,
    WaybillRequest,
)
from orderhub.orders.models import Order, OrderLine

RETRY_TOPIC = "carriers.waybill_retry"
MAX_WORKERS = 64  # within httpx's pool of 100 connections per client
# The order_channels_type the cloud-print services expect for each of our channels.
ORDER_CHANNEL_TYPES = {"taobao": "TB", "tmall": "TM", "pdd": "PDD", "jd": "JD", "douyin": "DOU_YIN",
                       "kuaishou": "KUAI_SHOU"}


class NoWaybill(Conflict):
    code = "no_waybill"


class VoidRefused(Conflict):
    code = "waybill_void_refused"


@dataclass
class Job:
    order_id: int
    carrier: str
    rule: str
    account: AccountInfo
    request: WaybillRequest


@dataclass
class Outcome:
    job: Job
    issued: IssuedWaybill | None = None
    error: str = ""
    retryable: bool = False


@dataclass
class Report:
    issued: dict[int, str] = field(default_factory=dict)  # order id -> tracking number (new)
    reused: dict[int, str] = field(default_factory=dict)  # already had one
    waiting: dict[int, str] = field(default_factory=dict)  # order id -> why (retrying)
    refused: dict[int, str] = field(default_factory=dict)  # order id -> why (a person must act)


def request_waybills(engine: Engine, *, order_ids: list[int], max_workers: int = MAX_WORKERS,
                     client: httpx.Client | None = None) -> Report:
    report = Report()
    with unit_of_work(engine) as session:
        jobs = prepare(session, order_ids=order_ids, report=report)
    outcomes = call_all(jobs, max_workers=max_workers, client=client)
    with unit_of_work(engine) as session:
        record(session, outcomes, report=report, schedule_retry=True)
    return report


def prepare(session: Session, *, order_ids: list[int], report: Report) -> list[Job]:
    """A job per order without a waybill; orders that have one are reported as reused, orders
    no carrier account can serve get a `refused` wait.

    Everything is read for the whole batch at once (orders, current waybills, lines, SKU
    weights, routing warehouses, waits: one query each per 500 orders; rules and accounts
    once) and each order decided in Python by `rules.choose`, the function `choose_carrier`
    uses for one order: nine queries an order were most of a 1,000-order batch's time."""
    wanted = list(dict.fromkeys(order_ids))
    orders: dict[int, Order] = {}
    existing: dict[int, str] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start:start + CHUNK]
        orders.update((o.id, o) for o in session.scalars(select(Order).where(Order.id.in_(chunk))))
        existing.update(current_tracking_numbers(session, chunk))
    missing = next((i for i in wanted if i not in orders), None)
    if missing is not None:
        raise OrderNotFound(f"no order {missing}")
    todo = [orders[i] for i in wanted if i not in existing]
    known = batch_facts(session, todo)
    waits = _waits(session, [o.id for o in todo])
    snapshots: dict[int, AccountInfo] = {}  # unsealing secrets once per account, not per order
    jobs = []
    for order_id in wanted:
        if order_id in existing:
            report.reused[order_id] = existing[order_id]
            continue
        order = orders[order_id]
        choice = choose(order, known.facts[order_id], rules=known.rules, accounts=known.accounts)
        if choice.account is None:
            _wait(session, waits, order_id, carrier=choice.carrier or "", account_id=None,
                  kind="refused", reason=choice.reason)
            report.refused[order_id] = choice.reason
            continue
        if choice.account.id not in snapshots:
            snapshots[choice.account.id] = info(choice.account)
        jobs.append(Job(order_id=order_id, carrier=choice.carrier or "", rule=choice.reason,
                        account=snapshots[choice.account.id],
                        request=_request(order, known.lines[order_id], known.facts[order_id])))
    return jobs


def call_all(jobs: list[Job], *, max_workers: int = MAX_WORKERS,
             client: httpx.Client | None = None) -> list[Outcome]:
    """Every job's carrier call at once (up to max_workers threads). Without a client given,
    each adapter takes the process's shared one (core.http), which keeps connections to each
    carrier open across calls and batches."""
    if not jobs:
        return []
    with ThreadPoolExecutor(max_workers=min(max_workers, len(jobs))) as pool:
        return list(pool.map(lambda job: call_one(job, client), jobs))


def call_one(job: Job, client: httpx.Client | None = None) -> Outcome:
    guard = breaker.for_account(job.account.id)
    try:
        guard.before_call()
    except breaker.BreakerOpen as exc:
        return Outcome(job, error=f"{job.carrier} down, retrying ({exc})", retryable=True)
    try:
        issued = adapter_for(job.account, client=client).get_waybill(job.request)
    except CarrierError as exc:
        if exc.retryable:
            guard.failed(str(exc))
            return Outcome(job, error=f"{job.carrier} down, retrying ({exc})", retryable=True)
        guard.succeeded()  # the carrier answered: it is up, it just said no
        return Outcome(job, error=f"{job.carrier} refused: {exc}")
    guard.succeeded()
    return Outcome(job, issued=issued)


def record(session: Session, outcomes: list[Outcome], *, report: Report, schedule_retry: bool) -> None:
    """Store the batch's results in a few statements: the new waybills and their events in one
    insert each, the cleared waits in one delete, the waits read in one query."""
    ids = [o.job.order_id for o in outcomes]
    taken: dict[int, str] = {}
    for start in range(0, len(ids), CHUNK):
        taken.update(current_tracking_numbers(session, ids[start:start + CHUNK]))
    waits = _waits(session, [o.job.order_id for o in outcomes if o.issued is None])
    new_waybills: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    now = clock.now()
    for outcome in outcomes:
        job = outcome.job
        if outcome.issued is not None:
            if job.order_id in taken:
                # Another request won the race; ours stays unused (the carrier recycles unprinted numbers).
                report.reused[job.order_id] = taken[job.order_id]
                continue
            issued = outcome.issued
            new_waybills.append({"order_id": job.order_id, "account_id": job.account.id,
                                 "carrier": job.carrier, "tracking_no": issued.tracking_no,
                                 "sort_code": issued.sort_code, "print_data": issued.print_data,
                                 "rule": job.rule[:200], "status": "issued", "issued_at": now})
            events.append(_event_row("carriers.waybill_issued", job.order_id, now, {
                "order_id": job.order_id, "carrier": job.carrier, "tracking_no": issued.tracking_no}))
            taken[job.order_id] = report.issued[job.order_id] = issued.tracking_no
        elif outcome.retryable:
            first = _wait(session, waits, job.order_id, carrier=job.carrier, account_id=job.account.id,
                          kind="retrying", reason=outcome.error)
            if schedule_retry and first:
                events.append(_event_row(RETRY_TOPIC, job.order_id, now, {"order_id": job.order_id}))
            report.waiting[job.order_id] = outcome.error
        else:
            _wait(session, waits, job.order_id, carrier=job.carrier, account_id=job.account.id,
                  kind="refused", reason=outcome.error)
            get_account(session, job.account.id).last_error = outcome.error
            report.refused[job.order_id] = outcome.error
    session.flush()  # the waits (an order issued now may have waited before)
    stored = [w["order_id"] for w in new_waybills]
    for start in range(0, len(stored), CHUNK):
        session.execute(delete(WaybillWait).where(WaybillWait.order_id.in_(stored[start:start + CHUNK])))
    insert_rows(session, Waybill.__table__, new_waybills)
    insert_rows(session, OutboxEvent.__table__, events)
    session.flush()


def _event_row(topic: str, order_id: int, now: datetime, payload: dict[str, Any]) -> dict[str, Any]:
    """The row `outbox.emit(session, topic, aggregate_type="order", aggregate_id=order_id,
    payload=payload)` adds, for inserting many at once."""
    return {"topic": topic, "aggregate_type": "order", "aggregate_id": str(order_id),
            "payload": payload, "actor": None, "created_at": now, "available_at": now,
            "status": "pending", "attempts": 0}


def current_tracking_numbers(session: Session, order_ids: list[int]) -> dict[int, str]:
    """Each order's current (newest issued) waybill number, for up to a chunk of orders."""
    rows = session.execute(select(Waybill.order_id, Waybill.tracking_no)
                           .where(Waybill.order_id.in_(order_ids), Waybill.status == "issued")
                           .order_by(Waybill.id))
    return dict(rows.all())  # newest last: it wins


def current_waybill(session: Session, order_id: int) -> Waybill | None:
    return session.scalar(select(Waybill).where(Waybill.order_id == order_id, Waybill.status == "issued")
                          .order_by(Waybill.id.desc()).limit(1))


def waiting(session: Session, order_id: int) -> WaybillWait | None:
    return session.get(WaybillWait, order_id)


def void_waybill(session: Session, *, order_id: int, client: httpx.Client | None = None) -> Waybill:
    """Cancel the order's waybill with the carrier, then mark it void; a refusal leaves it issued."""
    waybill = current_waybill(session, order_id)
    if waybill is None:
        raise NoWaybill(f"order {order_id} has no waybill to void")
    adapter = adapter_for(info(get_account(session, waybill.account_id)), client=client)
    try:
        adapter.cancel(waybill.tracking_no)
    except CarrierError as exc:
        raise VoidRefused(f"{waybill.carrier} did not void {waybill.tracking_no}: {exc}") from exc
    waybill.status, waybill.voided_at = "void", clock.now()
    outbox.emit(session, "carriers.waybill_voided", aggregate_type="order", aggregate_id=order_id,
                payload={"order_id": order_id, "tracking_no": waybill.tracking_no})
    session.flush()
    return waybill


def _waits(session: Session, order_ids: list[int]) -> dict[int, WaybillWait]:
    found: dict[int, WaybillWait] = {}
    for start in range(0, len(order_ids), CHUNK):
        found.update((w.order_id, w) for w in session.scalars(
            select(WaybillWait).where(WaybillWait.order_id.in_(order_ids[start:start + CHUNK]))))
    return found


def _wait(session: Session, waits: dict[int, WaybillWait], order_id: int, *, carrier: str,
          account_id: int | None, kind: str, reason: str) -> bool:
    """Record why the order waits (`waits`: the batch's wait rows, read up front); True when it
    was not already waiting for a retry."""
    row = waits.get(order_id)
    fresh = row is None or row.kind != "retrying"
    if row is None:
        row = waits[order_id] = WaybillWait(order_id=order_id, attempts=0)
        session.add(row)
    row.carrier, row.account_id, row.kind, row.reason = carrier, account_id, kind, reason
    row.attempts += 1
    row.updated_at = clock.now()
    return fresh


def _request(order: Order, lines: list[OrderLine], facts: Facts) -> WaybillRequest:
    return WaybillRequest(
        object_id=order.order_no,
        recipient={"name": order.receiver_name, "mobile": order.receiver_phone,
                   "province": order.receiver_province, "city": order.receiver_city,
                   "district": order.receiver_district, "town": order.receiver_street,
                   "detail": order.receiver_detail},
        items=[{"name": line.title or line.sku or line.platform_sku, "count": line.quantity}
               for line in lines],
        weight_g=facts.weight_g,
        order_channel=ORDER_CHANNEL_TYPES.get(order.channel, "OTHERS"),
        trade_orders=[order.platform_order_id])


class WaybillPending(Exception):
    """Raised by the retry handler so the worker tries again with its backoff."""


def waybill_history(session: Session, order_id: int) -> list[Waybill]:
    return list(session.scalars(select(Waybill).where(Waybill.order_id == order_id)
                                .order_by(Waybill.id.desc())))


def waiting_orders(session: Session, *, limit: int = 200) -> list[tuple[WaybillWait, str]]:
    """Orders without a waybill and why, with their order numbers, oldest first."""
    rows = session.execute(select(WaybillWait, Order.order_no).join(Order, Order.id == WaybillWait.order_id)
                           .order_by(WaybillWait.updated_at).limit(limit)).all()
    return [(wait, order_no) for wait, order_no in rows]
