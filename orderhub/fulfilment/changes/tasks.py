"""Outbox handlers: a cancelled order's waybill is voided with the carrier.

Stock is not this module's business: routing.release_on_cancelled releases the order's
reservations on the same event. A carrier that cannot be reached must not hold up the other
handlers of `order.cancelled` (the worker stops an event's handlers at the first failure), so
the first try happens on the cancellation and the retries on an event of their own,
`changes.void_retry`, whose handler raises while the carrier is down: the worker retries it
with its backoff and finally dead-letters it where the console shows it. A carrier that refuses
is recorded on the order and announced as `carriers.void_failed`.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from orderhub.core import outbox
from orderhub.core.models import OutboxEvent
from orderhub.fulfilment.changes.service import (
    VOID_RETRY_TOPIC,
    VoidPending,
    void_for_cancelled,
)


def _order_id(event: OutboxEvent) -> int | None:
    try:
        return int(event.payload.get("order_id") or event.aggregate_id or "")
    except (TypeError, ValueError):
        return None


@outbox.handler("order.cancelled", name="changes.void_on_cancelled")
def void_on_cancelled(session: Session, event: OutboxEvent) -> None:
    order_id = _order_id(event)
    if order_id is None:
        return
    try:
        void_for_cancelled(session, order_id=order_id)
    except VoidPending as exc:
        outbox.emit(session, VOID_RETRY_TOPIC, aggregate_type="order", aggregate_id=order_id,
                    payload={"order_id": order_id, "first_error": str(exc)})


@outbox.handler(VOID_RETRY_TOPIC, name="changes.void_retry")
def void_retry(session: Session, event: OutboxEvent) -> None:
    order_id = _order_id(event)
    if order_id is not None:
        void_for_cancelled(session, order_id=order_id)  # VoidPending: the worker tries again
