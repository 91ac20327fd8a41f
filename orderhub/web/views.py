"""What a page shows, shaped from domain objects, so templates only lay it out.

Display decisions that depend on policy (masking by role, which buttons a role and a status
allow) are made here with the domain's own functions, never in a template.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from orderhub.core.models import AuditEntry, OutboxEvent
from orderhub.orders import lifecycle as lc
from orderhub.orders.holds import open_holds
from orderhub.orders.models import Order
from orderhub.orders.present import mask_phone
from orderhub.web.access import Viewer

MASK = "****"


@dataclass(frozen=True)
class Receiver:
    name: str
    phone: str
    region: str
    address: str


def receiver_of(order: Order, viewer: Viewer) -> Receiver:
    region = " ".join(p for p in (order.receiver_province, order.receiver_city,
                                  order.receiver_district, order.receiver_street) if p)
    if viewer.masked:
        return Receiver(name=order.receiver_name, phone=mask_phone(order.receiver_phone),
                        region=region, address=MASK)
    return Receiver(name=order.receiver_name, phone=order.receiver_phone, region=region,
                    address=order.receiver_detail)


@dataclass(frozen=True)
class OrderRow:
    order: Order
    receiver: Receiver
    open_holds: int


def order_rows(orders: list[Order], viewer: Viewer) -> list[OrderRow]:
    return [OrderRow(order=o, receiver=receiver_of(o, viewer), open_holds=len(open_holds(o)))
            for o in orders]


@dataclass(frozen=True)
class OrderActions:
    """Buttons on the order page: shown only when both the role and the order's state allow."""

    hold: bool
    resolve: bool
    cancel: bool


def actions_for(order: Order, viewer: Viewer) -> OrderActions:
    manage = viewer.can("holds.manage")
    holdable = order.status == lc.ON_HOLD or order.status in lc.HOLDABLE
    cancellable = lc.allowed(order.status, lc.CANCELLED, held_from=order.held_from)
    return OrderActions(hold=manage and holdable, resolve=manage,
                        cancel=viewer.can("orders.cancel") and cancellable)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    topic: str
    actor: str
    actor_kind: str
    from_status: str | None
    to_status: str | None
    reason_code: str | None
    note: str


def timeline(events: list[OutboxEvent]) -> list[TimelineEntry]:
    entries = []
    for event in events:
        payload, actor = event.payload or {}, event.actor or {}
        note = payload.get("reason") or payload.get("resolution") or payload.get("platform_status")
        entries.append(TimelineEntry(
            at=event.created_at, topic=event.topic, actor=str(actor.get("name") or ""),
            actor_kind=str(actor.get("kind") or ""), from_status=payload.get("from"),
            to_status=payload.get("to"), reason_code=payload.get("reason_code"),
            note=str(note or "")))
    return entries


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any
    had_before: bool


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    who: str
    who_kind: str
    action: str
    changes: list[Change] | None  # None: the role may not see values (they can hold a phone)


def audit_rows(entries: list[AuditEntry], viewer: Viewer) -> list[AuditRow]:
    return [AuditRow(at=e.at, who=e.actor_name, who_kind=e.actor_kind, action=e.action,
                     changes=None if viewer.masked else _changes(e.before, e.after))
            for e in entries]


def _changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[Change]:
    before, after = before or {}, after or {}
    fields = list(dict.fromkeys([*before, *after]))
    return [Change(field=f, before=before.get(f), after=after.get(f), had_before=f in before)
            for f in fields]


@dataclass(frozen=True)
class DeadLetterRow:
    event: OutboxEvent
    order_no: str | None  # events about an order carry its number: link to it


def dead_letter_rows(events: list[OutboxEvent]) -> list[DeadLetterRow]:
    return [DeadLetterRow(event=e, order_no=(e.payload or {}).get("order_no")
                          if e.aggregate_type == "order" else None) for e in events]
