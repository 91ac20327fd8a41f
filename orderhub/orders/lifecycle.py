"""The order state machine (SPEC §2). Plain data and functions, testable without a database."""

from __future__ import annotations

from orderhub.core.errors import IllegalTransition

PENDING_PAYMENT = "pending_payment"
PAID = "paid"
ON_HOLD = "on_hold"
ALLOCATED = "allocated"
AWAITING_STOCK = "awaiting_stock"
LABEL_PRINTED = "label_printed"
SHIPPED = "shipped"
DELIVERED = "delivered"
COMPLETED = "completed"
CANCELLED = "cancelled"
CLOSED = "closed"

STATES = (PENDING_PAYMENT, PAID, ON_HOLD, ALLOCATED, AWAITING_STOCK, LABEL_PRINTED, SHIPPED,
          DELIVERED, COMPLETED, CANCELLED, CLOSED)
TERMINAL = frozenset({COMPLETED, CANCELLED, CLOSED})

# Holds can stop an order anywhere before it leaves the warehouse; releasing the last hold
# returns it to where it was held from (on_hold -> held_from is checked separately).
HOLDABLE = frozenset({PENDING_PAYMENT, PAID, ALLOCATED, AWAITING_STOCK, LABEL_PRINTED})

TRANSITIONS: dict[str, frozenset[str]] = {
    PENDING_PAYMENT: frozenset({PAID, ON_HOLD, CANCELLED, CLOSED}),
    PAID: frozenset({ON_HOLD, ALLOCATED, AWAITING_STOCK, CANCELLED}),
    ON_HOLD: frozenset({PENDING_PAYMENT, PAID, ALLOCATED, AWAITING_STOCK, LABEL_PRINTED, CANCELLED,
                        CLOSED}),
    AWAITING_STOCK: frozenset({ALLOCATED, ON_HOLD, CANCELLED}),
    # allocated -> paid: reservation released to re-route (e.g. warehouse changed by a person).
    ALLOCATED: frozenset({LABEL_PRINTED, ON_HOLD, CANCELLED, PAID}),
    # label_printed -> allocated: waybill voided for a reprint (address change after printing).
    LABEL_PRINTED: frozenset({SHIPPED, ON_HOLD, CANCELLED, ALLOCATED}),
    SHIPPED: frozenset({DELIVERED, COMPLETED}),
    DELIVERED: frozenset({COMPLETED}),
    COMPLETED: frozenset(),
    CANCELLED: frozenset(),
    CLOSED: frozenset(),
}

# The event each arrival state emits, named in the past tense.
EVENT_FOR = {
    PENDING_PAYMENT: "order.released", PAID: "order.paid", ON_HOLD: "order.held",
    ALLOCATED: "order.allocated", AWAITING_STOCK: "order.backordered",
    LABEL_PRINTED: "order.label_printed", SHIPPED: "order.shipped",
    DELIVERED: "order.delivered", COMPLETED: "order.completed",
    CANCELLED: "order.cancelled", CLOSED: "order.closed",
}


def allowed(current: str, target: str, *, held_from: str | None = None) -> bool:
    if target not in TRANSITIONS.get(current, frozenset()):
        return False
    if current == ON_HOLD and target == CLOSED:
        return held_from == PENDING_PAYMENT  # only an unpaid order can time out
    if current == ON_HOLD and target != CANCELLED:
        return target == held_from  # leaving a hold goes back exactly where it came from
    if target == ON_HOLD:
        return current in HOLDABLE
    return True


def check(current: str, target: str, *, held_from: str | None = None) -> None:
    if target not in STATES:
        raise IllegalTransition(f"unknown order status {target!r}",
                                details={"from": current, "to": target, "allowed": list(STATES)})
    if not allowed(current, target, held_from=held_from):
        options = sorted(t for t in TRANSITIONS.get(current, ()) if allowed(current, t, held_from=held_from))
        raise IllegalTransition(
            f"an order in status {current!r} cannot become {target!r}",
            details={"from": current, "to": target, "allowed": options})
