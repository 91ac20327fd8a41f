"""The parcel leaves: the one step the outbound scan and the WMS import both end in.

In the caller's transaction: stock consumed through inventory (on hand and reserved drop
together), the order → `shipped` with carrier and tracking number in its `order.shipped` event
(tracking starts from it), and the write-back to the platform queued in the outbox (retried
every 15 minutes with backoff, 5 tries, then an alert: `channels.tasks`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from orderhub.channels.tasks import request_ship_confirmation
from orderhub.core.actor import Actor
from orderhub.core.errors import Conflict
from orderhub.fulfilment.carriers.service import current_waybill
from orderhub.inventory import reservations
from orderhub.orders import lifecycle as lc
from orderhub.orders.models import Order
from orderhub.orders.service import transition


class NoTrackingNumber(Conflict):
    code = "no_tracking_number"


@dataclass(frozen=True)
class Shipped:
    order_id: int
    order_no: str
    carrier: str
    tracking_no: str


def ship_order(session: Session, order: Order, *, actor: Actor, via: str,
               carrier: str | None = None, tracking_no: str | None = None) -> Shipped:
    """Ship a printed order (status checks are the lifecycle's: only label_printed may ship).

    Carrier and number default to the order's issued waybill; a WMS that shipped with its own
    number passes them. `via` says how ("scan", "wms_import") for the audit trail."""
    waybill = current_waybill(session, order.id)
    carrier = (carrier or (waybill.carrier if waybill else "")).strip().upper()
    tracking_no = (tracking_no or (waybill.tracking_no if waybill else "")).strip()
    if not carrier or not tracking_no:
        raise NoTrackingNumber(f"order {order.order_no} has no waybill: print its label first",
                               details={"order_no": order.order_no})
    lc.check(order.status, lc.SHIPPED, held_from=order.held_from)
    reservations.consume(session, order_id=order.id, actor=actor)
    transition(session, order, lc.SHIPPED, actor=actor, reason=via,
               payload={"carrier": carrier, "tracking_no": tracking_no, "via": via})
    request_ship_confirmation(session, shop_id=order.shop_id,
                              platform_order_id=order.platform_order_id, carrier=carrier,
                              tracking_no=tracking_no, actor=actor, order_id=order.id)
    return Shipped(order_id=order.id, order_no=order.order_no, carrier=carrier,
                   tracking_no=tracking_no)
