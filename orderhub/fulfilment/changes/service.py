"""Use cases: change an order's address (in the window, as a supervisor's override, or after the
waybill was taken: void and reprint), list the changes, and void the waybill of a cancelled order.

A change after the waybill was taken calls the carrier to void it. Everything the change needs
is checked first and nothing is written before the carrier said yes, so a refusal (the parcel
was already collected, the carrier is down) leaves the order, its waybill and the record as
they were: the unit of work rolls back on the error raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.core import audit, clock, outbox
from orderhub.core.actor import Actor
from orderhub.core.errors import InvalidInput
from orderhub.core.money import to_minor
from orderhub.fulfilment.carriers.service import (
    VoidRefused,
    current_waybill,
    void_waybill,
)
from orderhub.fulfilment.carriers.waybills import CarrierError
from orderhub.fulfilment.changes.models import AddressChange
from orderhub.fulfilment.changes.policy import (
    Allowance,
    ChangeRefused,
    Compensation,
    WindowClosed,
    allowance,
    clean_address,
    clean_compensation,
)
from orderhub.orders import lifecycle as lc
from orderhub.orders.models import Order
from orderhub.orders.service import ADDRESS_FIELDS, get_order, phone_tail, transition

CHANGED_TOPIC = "order.address_changed"  # the topic the channels' change detection emits
VOID_FAILED_TOPIC = "carriers.void_failed"
VOID_RETRY_TOPIC = "changes.void_retry"


class VoidPending(Exception):
    """The carrier could not be reached: the worker retries the event with its backoff."""


def allowance_for(session: Session, order: Order, *, actor: Actor) -> Allowance:
    return allowance(session, order, actor=actor,
                     has_waybill=current_waybill(session, order.id) is not None)


def change_address(session: Session, *, order_no: str, address: dict[str, Any], actor: Actor,
                   reason: str, compensation: Compensation | dict[str, Any] | None = None,
                   client: httpx.Client | None = None) -> AddressChange:
    """Change the receiver address of an order; see policy.py for who may and what it costs."""
    new = clean_address(address)
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise InvalidInput("reason is required (at most 500 characters)", details={"field": "reason"})
    paid = clean_compensation(compensation)
    order = get_order(session, order_no, for_update=True)
    allowed = allowance_for(session, order, actor=actor)
    if not allowed.allowed:
        error = WindowClosed if allowed.window_closed else ChangeRefused
        raise error(allowed.refusal, details={"order_no": order.order_no,
                                              "window_closed_at": allowed.closes_at.isoformat()})
    before = {key: getattr(order, key) for key in ADDRESS_FIELDS}
    after = {**before, **new}
    if after == before:
        raise InvalidInput("the new address is the same as the current one", details={"field": "address"})
    status = order.status
    voided = _void_for_reprint(session, order, actor=actor, client=client) if allowed.reprint else None
    _apply(session, order, before=before, after=after, actor=actor, reason=reason, kind=allowed.kind,
           voided=voided)
    change = AddressChange(
        order_id=order.id, order_no=order.order_no, kind=allowed.kind, status_at_change=status,
        before=_strings(before), after=_strings(after), reason=reason,
        voided_carrier=voided[0] if voided else None, voided_tracking_no=voided[1] if voided else None,
        compensation_amount=paid.amount if paid else None,
        compensation_currency=order.currency if paid else None,
        compensation_note=paid.note if paid else "", window_closes_at=allowed.closes_at,
        actor_kind=actor.kind, actor_name=actor.name, actor_id=actor.id, created_at=clock.now())
    session.add(change)
    session.flush()
    return change


def _void_for_reprint(session: Session, order: Order, *, actor: Actor,
                      client: httpx.Client | None) -> tuple[str, str] | None:
    """Void the old label's waybill at the carrier, then send a printed order back to
    `allocated` so the warehouse prints it again with a new number."""
    waybill = current_waybill(session, order.id)
    voided = None
    if waybill is not None:
        try:
            void_waybill(session, order_id=order.id, client=client)
        except VoidRefused as exc:
            raise ChangeRefused(f"the address of order {order.order_no} was not changed: {exc.message}",
                                details={"order_no": order.order_no, "tracking_no": waybill.tracking_no,
                                         "carrier": waybill.carrier}) from exc
        voided = (waybill.carrier, waybill.tracking_no)
    if order.status == lc.LABEL_PRINTED:
        number = voided[1] if voided else None
        why = f"waybill {number} voided, " if number else ""
        transition(session, order, lc.ALLOCATED, actor=actor,
                   reason=f"address changed: {why}label to be printed again",
                   payload={"voided_tracking_no": number})
    return voided


def _apply(session: Session, order: Order, *, before: dict[str, Any], after: dict[str, Any],
           actor: Actor, reason: str, kind: str, voided: tuple[str, str] | None) -> None:
    """The same event the channels' change detection emits for a platform's address change, so
    the rules (vague address, carrier area…) and routing look at the order again."""
    for key, value in after.items():
        setattr(order, key, value)
    order.receiver_phone_tail = phone_tail(order.receiver_phone)
    order.updated_at = clock.now()
    order.version = (order.version or 0) + 1
    changed_before, changed_after = audit.changed_fields(_strings(before), _strings(after))
    audit.record(session, actor=actor, entity_type="order", entity_id=order.order_no,
                 action="order.address_changed", before=changed_before,
                 after={**changed_after, "reason": reason, "kind": kind})
    outbox.emit(session, CHANGED_TOPIC, aggregate_type="order", aggregate_id=order.id, actor=actor,
                payload={"order_no": order.order_no, "before": _strings(before), "after": _strings(after),
                         "source": "orderhub", "kind": kind,
                         "voided_tracking_no": voided[1] if voided else None})


@dataclass(frozen=True)
class Panel:
    """What the order page shows: may this viewer change the address now, until when, at what
    cost (void and reprint), and the changes made so far."""

    allowance: Allowance
    minutes_left: int
    changes: list[AddressChange]


def panel(session: Session, order: Order, *, actor: Actor) -> Panel:
    allowed = allowance_for(session, order, actor=actor)
    left = allowed.seconds_left(clock.now())
    changes = list(session.scalars(select(AddressChange).where(AddressChange.order_id == order.id)
                                   .order_by(AddressChange.id.desc())))
    return Panel(allowance=allowed, minutes_left=(left + 59) // 60, changes=changes)


def form_compensation(session: Session, *, order_no: str, amount: str, note: str) -> Compensation | None:
    """Compensation typed in yuan on the console ("5" or "5.00"), in the order's currency."""
    if not amount.strip():
        if note.strip():
            raise InvalidInput("give the compensation amount for the note", details={"field": "compensation.amount"})
        return None
    currency = get_order(session, order_no).currency
    return Compensation(amount=to_minor(amount, currency, field="compensation.amount"), note=note)


def history(session: Session, *, order_no: str) -> list[AddressChange]:
    order = get_order(session, order_no)
    return list(session.scalars(select(AddressChange).where(AddressChange.order_id == order.id)
                                .order_by(AddressChange.id.desc())))


def void_for_cancelled(session: Session, *, order_id: int, client: httpx.Client | None = None) -> str | None:
    """A cancelled order's waybill is voided so the carrier does not bill or expect the parcel.
    Returns the voided number. A carrier that cannot be reached raises VoidPending (the outbox
    retries); a carrier that says no is recorded and announced (`carriers.void_failed`) for a
    person to settle with the carrier."""
    order = session.get(Order, order_id)
    if order is None or order.status != lc.CANCELLED:
        return None  # deleted, or the cancellation was not the last word
    waybill = current_waybill(session, order_id)
    if waybill is None:
        return None
    try:
        return void_waybill(session, order_id=order_id, client=client).tracking_no
    except VoidRefused as exc:
        cause = exc.__cause__
        if isinstance(cause, CarrierError) and cause.retryable:
            raise VoidPending(exc.message) from exc
        _void_failed(session, order, carrier=waybill.carrier, tracking_no=waybill.tracking_no,
                     reason=exc.message)
        return None


def _void_failed(session: Session, order: Order, *, carrier: str, tracking_no: str, reason: str) -> None:
    actor = Actor.system("changes.void_on_cancelled")
    audit.record(session, actor=actor, entity_type="order", entity_id=order.order_no,
                 action="waybill.void_failed", after={"carrier": carrier, "tracking_no": tracking_no,
                                                      "reason": reason})
    outbox.emit(session, VOID_FAILED_TOPIC, aggregate_type="order", aggregate_id=order.id, actor=actor,
                payload={"order_no": order.order_no, "order_id": order.id, "carrier": carrier,
                         "tracking_no": tracking_no, "reason": reason})


def _strings(values: dict[str, Any]) -> dict[str, str]:
    return {key: "" if value is None else str(value) for key, value in values.items()}
