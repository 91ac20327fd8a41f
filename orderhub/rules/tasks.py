"""Scheduled work of the rules capability: the unpaid-order sweep.

Triggers that come with an order change (created, paid, address/remark/refund/lines changed)
are evaluated by the order pipeline inside the change's own transaction. Only "unpaid for a
while" has no change to hang on: this job finds such orders and evaluates the trigger
`order.unpaid_timeout` for each; evaluation is keyed "once", so an order is reminded once.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.core import clock, outbox, scheduler
from orderhub.core.actor import Actor
from orderhub.orders import lifecycle as lc
from orderhub.orders.models import Order
from orderhub.rules.models import RuleFiring
from orderhub.rules.service import evaluate, rules_for

UNPAID_TASK = "rules.unpaid_sweep"
UNPAID_TRIGGER = "order.unpaid_timeout"
SWEEPER = Actor.system("rules.unpaid_sweep")
BATCH = 500


@outbox.task(UNPAID_TASK)
def unpaid_sweep(session: Session, *, older_than_minutes: int = 15, within_hours: int = 24) -> int:
    """Evaluate order.unpaid_timeout on orders still unpaid after `older_than_minutes` (created
    within the last `within_hours`) that it has not run on yet. Returns how many it looked at."""
    if not rules_for(session, UNPAID_TRIGGER):
        return 0
    now = clock.now()
    already = select(RuleFiring.order_id).where(RuleFiring.trigger == UNPAID_TRIGGER)
    orders = list(session.scalars(
        select(Order).where(Order.status == lc.PENDING_PAYMENT,
                            Order.created_at <= now - timedelta(minutes=older_than_minutes),
                            Order.created_at >= now - timedelta(hours=within_hours),
                            Order.id.not_in(already))
        .order_by(Order.id).limit(BATCH)))
    for order in orders:
        evaluate(session, order=order, trigger=UNPAID_TRIGGER, actor=SWEEPER)
    return len(orders)


def schedule_jobs(session: Session) -> None:
    """Declare the sweep (every minute); safe to call at every start-up."""
    scheduler.schedule(session, name=UNPAID_TASK, task=UNPAID_TASK, interval_seconds=60)
