"""Tracking use cases: start following a parcel, subscribe it at Kuaidi100, take its pushes
(or query it when pushes stay away), and watch for parcels that stopped moving.

What the rest of OrderHub hears: `tracking.first_scan` {order_id, order_no, tracking_no} on a
parcel's first scan (the SLA's first_scan stage closes on it), the order's move to `delivered`
when every parcel of it is signed for, and `tracking.exception` {order_id, order_no, reason,
tracking_no} when a parcel is refused/returned or has had no scan for 48 hours.
"""

from __future__ import annotations

import re
import secrets as pysecrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from orderhub.channels.secrets import seal, unseal
from orderhub.core import audit, clock, outbox
from orderhub.core.actor import Actor
from orderhub.core.errors import Conflict, InvalidInput, NotFound
from orderhub.core.settings import get_settings
from orderhub.fulfilment.tracking import kuaidi100 as k100
from orderhub.fulfilment.tracking.models import (
    Kuaidi100Account,
    TrackedShipment,
    TrackingEvent,
)
from orderhub.orders import lifecycle as lc
from orderhub.orders.models import Order
from orderhub.orders.service import get_order, transition

# Our carrier codes and Kuaidi100's company codes for them.
CARRIERS = {"SF": "shunfeng", "ZTO": "zhongtong", "YTO": "yuantong", "YUNDA": "yunda",
            "STO": "shentong", "JD": "jd", "EMS": "ems"}
SUBSCRIBE_TOPIC = "tracking.subscription_requested"
FIRST_SCAN_TOPIC = "tracking.first_scan"
EXCEPTION_TOPIC = "tracking.exception"
CALLBACK_PATH = "/api/v1/tracking/kuaidi100/callback"
STALE_AFTER = timedelta(hours=48)
_TRACKING_NO = re.compile(r"^[A-Za-z0-9-]{6,40}$")
_SYSTEM = Actor.system("tracking")


class TrackingNotConfigured(Conflict):
    code = "tracking_not_configured"


@dataclass(frozen=True)
class Applied:
    """What one push or query changed."""
    tracking_no: str
    new_scans: int
    first_scan: bool
    delivered: bool
    exception: str | None


# --- account --------------------------------------------------------------------------------


def configure_kuaidi100(session: Session, *, base_url: str, customer: str, key: str,
                        actor: Actor) -> Kuaidi100Account:
    if not (base_url.startswith(("http://", "https://")) and customer and key):
        raise InvalidInput("Kuaidi100 needs a base URL (http/https), a customer id and a key")
    account = session.get(Kuaidi100Account, 1) or Kuaidi100Account(id=1)
    account.base_url, account.customer = base_url.rstrip("/"), customer
    account.sealed_key, account.updated_at = seal({"key": key}), clock.now()
    session.add(account)
    audit.record(session, actor=actor, entity_type="kuaidi100_account", entity_id="1",
                 action="tracking.configured", before=None,
                 after={"base_url": account.base_url, "customer": customer})
    session.flush()
    return account


def client(session: Session) -> k100.Kuaidi100Client:
    account = session.get(Kuaidi100Account, 1)
    if account is None:
        raise TrackingNotConfigured("no Kuaidi100 account is set up (configure_kuaidi100)")
    return k100.Kuaidi100Client(base_url=account.base_url, customer=account.customer,
                                key=unseal(account.sealed_key)["key"])


# --- starting -------------------------------------------------------------------------------


def start_tracking(session: Session, *, order_id: int, carrier: str, tracking_no: str,
                   actor: Actor) -> TrackedShipment:
    """Follow a parcel; the Kuaidi100 subscription is queued through the outbox. Calling it
    again for the same parcel and order returns the existing shipment."""
    carrier, tracking_no = carrier.strip().upper(), tracking_no.strip()
    if carrier not in CARRIERS:
        raise InvalidInput(f"unknown carrier {carrier!r}", details={"allowed": sorted(CARRIERS)})
    if not _TRACKING_NO.match(tracking_no):
        raise InvalidInput(f"not a tracking number: {tracking_no!r}",
                           details={"tracking_no": tracking_no})
    existing = session.scalar(select(TrackedShipment)
                              .where(TrackedShipment.tracking_no == tracking_no))
    if existing is not None:
        if existing.order_id != order_id:
            raise Conflict(f"tracking number {tracking_no} already belongs to another order",
                           details={"tracking_no": tracking_no})
        return existing
    if session.get(Order, order_id) is None:
        raise NotFound(f"no order with id {order_id}", details={"order_id": order_id})
    shipment = TrackedShipment(order_id=order_id, carrier=carrier, company=CARRIERS[carrier],
                               tracking_no=tracking_no, subscription="pending",
                               sealed_salt=seal({"salt": pysecrets.token_hex(16)}),
                               shipped_at=clock.now())
    session.add(shipment)
    session.flush()
    outbox.emit(session, SUBSCRIBE_TOPIC, aggregate_type="order", aggregate_id=order_id,
                actor=actor, payload={"shipment_id": shipment.id, "tracking_no": tracking_no})
    return shipment


def carrier_and_number(payload: dict, attributes: dict) -> tuple[str, str] | None:
    """Where an `order.shipped` names its parcel: the event payload's carrier + tracking_no, or
    else the order's attributes carrier + tracking_no (set by the outbound scan)."""
    for source in (payload, attributes):
        carrier, number = source.get("carrier"), source.get("tracking_no")
        if isinstance(carrier, str) and isinstance(number, str) and carrier and number:
            return carrier, number
    return None


def start_from_shipped(session: Session, *, order_id: int, payload: dict) -> TrackedShipment | None:
    order = session.get(Order, order_id)
    found = carrier_and_number(payload, dict(order.attributes or {})) if order else None
    if found is None or found[0].strip().upper() not in CARRIERS:
        return None  # shipped without a parcel we can follow (own fleet, pickup, unknown carrier)
    return start_tracking(session, order_id=order_id, carrier=found[0], tracking_no=found[1],
                          actor=_SYSTEM)


def subscribe(session: Session, *, shipment_id: int) -> None:
    """Kuaidi100 `poll` for the parcel; raises on failure, so the outbox tries again later."""
    shipment = session.get(TrackedShipment, shipment_id)
    if shipment is None or shipment.subscription == "active":
        return
    client(session).subscribe(company=shipment.company, number=shipment.tracking_no,
                              callback_url=get_settings().public_url.rstrip("/") + CALLBACK_PATH,
                              salt=unseal(shipment.sealed_salt)["salt"])
    shipment.subscription, shipment.subscribed_at = "active", clock.now()
    session.flush()


# --- pushes and queries ---------------------------------------------------------------------


def shipment_by_number(session: Session, tracking_no: str, *,
                       for_update: bool = False) -> TrackedShipment | None:
    stmt = select(TrackedShipment).where(TrackedShipment.tracking_no == tracking_no)
    return session.scalar(stmt.with_for_update() if for_update else stmt)


def salt_of(shipment: TrackedShipment) -> str:
    return unseal(shipment.sealed_salt)["salt"]


def apply_push(session: Session, *, push: k100.Push) -> Applied:
    """A verified push: store its scans and act on its state."""
    shipment = shipment_by_number(session, push.last_result.nu, for_update=True)
    if shipment is None:
        raise NotFound(f"no tracked parcel {push.last_result.nu}")
    if push.status == "abort":
        shipment.subscription = "aborted"  # Kuaidi100 gave up; the query job still follows it
    shutdown = push.status == "shutdown"
    return _apply(session, shipment, push.last_result, shutdown=shutdown)


def refresh(session: Session, *, order_no: str) -> list[Applied]:
    """Query Kuaidi100 for each undelivered parcel of the order (a push went missing)."""
    order = get_order(session, order_no)
    shipments = session.scalars(select(TrackedShipment).where(TrackedShipment.order_id == order.id)
                                .order_by(TrackedShipment.id).with_for_update()).all()
    if not shipments:
        raise NotFound(f"order {order.order_no} has no tracked parcel",
                       details={"order_no": order.order_no})
    return [refresh_shipment(session, shipment) for shipment in shipments
            if shipment.delivered_at is None]


def refresh_shipment(session: Session, shipment: TrackedShipment) -> Applied:
    result = client(session).query(company=shipment.company, number=shipment.tracking_no)
    return _apply(session, shipment, result, shutdown=result.ischeck == "1")


def _apply(session: Session, shipment: TrackedShipment, result: k100.Result, *,
           shutdown: bool) -> Applied:
    now = clock.now()
    times = _store_scans(session, shipment, result.data)
    if result.state is not None:
        shipment.state = result.state
    shipment.last_update_at = now
    first = False
    if times:
        shipment.last_event_at = max([shipment.last_event_at or times[0], *times])
        shipment.stale_alerted_at = None  # the parcel moves again: a new lull may alert again
        if shipment.first_scan_at is None:
            shipment.first_scan_at, first = min(times), True
    order = session.scalar(select(Order).where(Order.id == shipment.order_id)
                           .with_for_update(of=Order))
    assert order is not None
    if first:
        outbox.emit(session, FIRST_SCAN_TOPIC, aggregate_type="order", aggregate_id=order.id,
                    actor=_SYSTEM, payload={"order_id": order.id, "order_no": order.order_no,
                                            "tracking_no": shipment.tracking_no})
    delivered = result.state == k100.SIGNED or (shutdown and result.ischeck == "1")
    if delivered and shipment.delivered_at is None:
        shipment.delivered_at = shipment.last_event_at or now
        session.flush()
        _deliver_if_all_signed(session, order, shipment)
    exception = None
    if result.state in k100.RETURNED and shipment.exception_at is None:
        exception = (f"快递{k100.STATE_NAMES[result.state]}（{shipment.carrier} "
                     f"{shipment.tracking_no}）")
        _raise_exception(session, shipment, order, exception, now)
    session.flush()
    return Applied(tracking_no=shipment.tracking_no, new_scans=len(times), first_scan=first,
                   delivered=delivered, exception=exception)


def _store_scans(session: Session, shipment: TrackedShipment,
                 scans: list[k100.Scan]) -> list[datetime]:
    """Insert the scans not stored yet (the unique key drops repeats); their times."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    now, times = clock.now(), []
    # Kuaidi100 lists the newest first; stored oldest first, ids break ties of the same second.
    for scan in reversed(scans):
        row = {"shipment_id": shipment.id, "order_id": shipment.order_id,
               "tracking_no": shipment.tracking_no, "time": scan.at,
               "context": scan.context[:500], "status": scan.status[:20],
               "area": scan.area_name[:120], "state": _state_for(scan.status), "received_at": now}
        stmt = (dialect.insert(TrackingEvent).values(**row)
                .on_conflict_do_nothing(index_elements=["tracking_no", "time", "context"])
                .execution_options(preserve_rowcount=True))
        if session.execute(stmt).rowcount == 1:
            times.append(scan.at)
    return times


_STATE_BY_NAME = {name: code for code, name in k100.STATE_NAMES.items()}


def _state_for(status: str) -> str | None:
    return _STATE_BY_NAME.get(status)


def _deliver_if_all_signed(session: Session, order: Order, shipment: TrackedShipment) -> None:
    """An order with several parcels is delivered when the last one is signed for."""
    open_parcels = session.scalar(select(func.count()).select_from(TrackedShipment).where(
        TrackedShipment.order_id == order.id, TrackedShipment.delivered_at.is_(None)))
    if open_parcels == 0 and order.status == lc.SHIPPED:
        transition(session, order, lc.DELIVERED, actor=_SYSTEM,
                   reason=f"签收 {shipment.carrier} {shipment.tracking_no}",
                   payload={"tracking_no": shipment.tracking_no})


def _raise_exception(session: Session, shipment: TrackedShipment, order: Order, reason: str,
                     now: datetime) -> None:
    shipment.exception_reason, shipment.exception_at = reason, now
    outbox.emit(session, EXCEPTION_TOPIC, aggregate_type="order", aggregate_id=order.id,
                actor=_SYSTEM, payload={"order_id": order.id, "order_no": order.order_no,
                                        "reason": reason, "tracking_no": shipment.tracking_no})


# --- watching -------------------------------------------------------------------------------


def flag_stale(session: Session) -> int:
    """One `tracking.exception` per undelivered parcel with no scan for 48 h. The conditional
    UPDATE claims each parcel once, even with several workers running the job."""
    now = clock.now()
    cutoff = now - STALE_AFTER
    T = TrackedShipment
    quiet = T.delivered_at.is_(None), T.stale_alerted_at.is_(None)
    candidates = session.scalars(select(T).where(
        *quiet, func.coalesce(T.last_event_at, T.shipped_at) <= cutoff).order_by(T.id)).all()
    fired = 0
    for shipment in candidates:
        claimed = session.execute(
            update(T).where(T.id == shipment.id, *quiet,
                            func.coalesce(T.last_event_at, T.shipped_at) <= cutoff)
            .values(stale_alerted_at=now).execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            continue
        order = session.get(Order, shipment.order_id)
        if order is None or order.status != lc.SHIPPED:
            continue
        reason = f"48 小时无物流扫描（{shipment.carrier} {shipment.tracking_no}）"
        outbox.emit(session, EXCEPTION_TOPIC, aggregate_type="order", aggregate_id=order.id,
                    actor=_SYSTEM, payload={"order_id": order.id, "order_no": order.order_no,
                                            "reason": reason, "tracking_no": shipment.tracking_no})
        fired += 1
    session.flush()
    return fired


def quiet_shipments(session: Session, *, older_than: timedelta, limit: int) -> list[TrackedShipment]:
    """Undelivered parcels with no push or query for a while: candidates for a query."""
    cutoff = clock.now() - older_than
    T = TrackedShipment
    return list(session.scalars(select(T).where(
        T.delivered_at.is_(None), T.subscription != "pending",
        func.coalesce(T.last_update_at, T.subscribed_at, T.shipped_at) <= cutoff)
        .order_by(T.id).limit(limit)))


# --- reading --------------------------------------------------------------------------------


def order_tracking(session: Session, *, order_id: int) -> list[TrackingEvent]:
    """The order's scans, newest first (one query: the console and the API show these)."""
    return list(session.scalars(select(TrackingEvent).where(TrackingEvent.order_id == order_id)
                                .order_by(TrackingEvent.time.desc(), TrackingEvent.id.desc())))


def order_shipments(session: Session, *, order_id: int) -> list[TrackedShipment]:
    return list(session.scalars(select(TrackedShipment).where(TrackedShipment.order_id == order_id)
                                .order_by(TrackedShipment.id)))
