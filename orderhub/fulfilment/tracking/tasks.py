"""Tracking's handlers and jobs.

- `order.shipped` starts tracking when the event payload, or else the order's attributes, carry
  `carrier` (SF, ZTO, YTO, YUNDA, STO, JD, EMS) and `tracking_no`.
- `tracking.subscription_requested` subscribes the parcel at Kuaidi100; a failure raises, so the
  outbox retries with its backoff and finally dead-letters it (visible in the console).
- `tracking.watch` (every 10 min): one exception per parcel with no scan for 48 h.
- `tracking.refresh_quiet` (hourly): queries parcels whose pushes stayed away for 12 h.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.orm import Session

from orderhub.core import outbox, scheduler
from orderhub.core.models import OutboxEvent
from orderhub.fulfilment.tracking import service
from orderhub.fulfilment.tracking.kuaidi100 import Kuaidi100Error

log = logging.getLogger("orderhub.tracking")

WATCH_TASK = "tracking.watch"
WATCH_EVERY_SECONDS = 600
REFRESH_TASK = "tracking.refresh_quiet"
REFRESH_EVERY_SECONDS = 3600
QUIET_FOR = timedelta(hours=12)
REFRESH_BATCH = 200


@outbox.handler("order.shipped", name="tracking.start_on_shipped")
def on_shipped(session: Session, event: OutboxEvent) -> None:
    if event.aggregate_id is None:
        return
    service.start_from_shipped(session, order_id=int(event.aggregate_id),
                               payload=dict(event.payload or {}))


@outbox.handler(service.SUBSCRIBE_TOPIC, name="tracking.subscribe")
def on_subscription_requested(session: Session, event: OutboxEvent) -> None:
    service.subscribe(session, shipment_id=int(event.payload["shipment_id"]))


@outbox.task(WATCH_TASK)
def watch(session: Session) -> None:
    service.flag_stale(session)


@outbox.task(REFRESH_TASK)
def refresh_quiet(session: Session) -> None:
    for shipment in service.quiet_shipments(session, older_than=QUIET_FOR, limit=REFRESH_BATCH):
        try:
            with session.begin_nested():
                service.refresh_shipment(session, shipment)
        except Kuaidi100Error as exc:  # one parcel's failure must not stop the others
            log.warning("tracking query for %s failed: %s", shipment.tracking_no, exc)


def ensure_jobs(session: Session) -> None:
    """Declare the jobs (also created by migration 0012_tracking); safe at every start-up."""
    scheduler.schedule(session, name=WATCH_TASK, task=WATCH_TASK,
                       interval_seconds=WATCH_EVERY_SECONDS)
    scheduler.schedule(session, name=REFRESH_TASK, task=REFRESH_TASK,
                       interval_seconds=REFRESH_EVERY_SECONDS)
