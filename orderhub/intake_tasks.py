"""The deferred half of bulk intake (see pipeline.py): rules and allocation of a pulled order,
run by the worker on its `order.intake_pending` event, in the order's own transaction."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub import pipeline
from orderhub.core import outbox
from orderhub.core.actor import Actor
from orderhub.core.models import OutboxEvent
from orderhub.orders.models import Order

ACTOR = Actor.system("intake")


@outbox.handler(pipeline.PENDING_TOPIC, name="pipeline.finish_intake")
def on_intake_pending(session: Session, event: OutboxEvent) -> None:
    """Idempotent: the order's intake_pending marker goes with the first run (under the row
    lock, so two deliveries at once run it once), and a later delivery finds nothing to do."""
    try:
        order_id = int(event.aggregate_id or "")
    except (TypeError, ValueError):
        return
    order = session.scalar(select(Order).where(Order.id == order_id).with_for_update(of=Order))
    if order is not None:
        pipeline.finish_intake(session, order=order, actor=_caused_by(event))


def _caused_by(event: OutboxEvent) -> Actor:
    """Rules record who caused their evaluation: the pull that stored the order, as in `receive`."""
    who = event.actor or {}
    if who.get("kind") and who.get("name"):
        return Actor(kind=str(who["kind"]), name=str(who["name"]), id=who.get("id"))
    return ACTOR
