"""SLA handlers and the scan job: order events move orders between stages; `sla.scan` every
15 s announces warnings and breaches (see service.scan for why it never fires twice)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from orderhub.core import outbox, scheduler
from orderhub.core.models import OutboxEvent
from orderhub.sla import service

SCAN_TASK = "sla.scan"
SCAN_EVERY_SECONDS = 15
TOPICS = ("order.created", "order.paid", "order.released", "order.allocated", "order.backordered",
          "order.label_printed", "order.shipped", "order.delivered", "order.completed",
          "order.cancelled", "order.closed", "tracking.first_scan")


def on_order_event(session: Session, event: OutboxEvent) -> None:
    target = service.stage_for_event(event.topic, event.payload or {})
    order_id = _order_id(event)
    if target is None or order_id is None:
        return
    # The stage began when the change happened, not when a worker got round to it.
    service.advance(session, order_id=order_id, target=target, at=event.created_at,
                    event_id=event.id)


def _order_id(event: OutboxEvent) -> int | None:
    raw = (event.payload or {}).get("order_id", event.aggregate_id)
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


for _topic in TOPICS:
    outbox.handler(_topic, name=f"sla.stage_on_{_topic}")(on_order_event)


@outbox.task(SCAN_TASK)
def scan(session: Session) -> None:
    service.scan(session)


def ensure_jobs(session: Session) -> None:
    """Declare the scan (also created by migration 0008_sla); safe at every start-up."""
    scheduler.schedule(session, name=SCAN_TASK, task=SCAN_TASK, interval_seconds=SCAN_EVERY_SECONDS)
