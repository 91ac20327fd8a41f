"""Scheduled jobs of the stock pool: TTL expiry of unpaid reservations and the sellable sweep.

The job rows are created by migration 0002_inventory (and again by `schedule_jobs`, idempotent).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from orderhub.core import outbox, scheduler
from orderhub.core.actor import Actor
from orderhub.inventory import reservations, sellable

EXPIRY_ACTOR = Actor.system("reservation-ttl")
SWEEP_ACTOR = Actor.system("sellable-sweep")
JOBS = {
    "inventory.expire_reservations": ("inventory.expire_reservations", 30),
    "inventory.sync_sellable": ("inventory.sync_sellable", 60),
}


@outbox.task("inventory.expire_reservations")
def expire_reservations(session: Session, limit: int = 500) -> None:
    reservations.expire_due(session, actor=EXPIRY_ACTOR, limit=limit)


@outbox.task("inventory.sync_sellable")
def sync_sellable(session: Session) -> None:
    sellable.sync_sellable(session, actor=SWEEP_ACTOR)


def schedule_jobs(session: Session) -> None:
    for name, (task, every) in JOBS.items():
        scheduler.schedule(session, name=name, task=task, interval_seconds=every)
