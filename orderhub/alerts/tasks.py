"""Handlers and jobs of alerts: importing this module registers the event sources
(sources.py), the `alert.deliver` handler (delivery.py) and the `alerts.escalate` job."""

from __future__ import annotations

from sqlalchemy.orm import Session

from orderhub.alerts import delivery, service, sources  # noqa: F401  (register handlers)
from orderhub.core import outbox, scheduler

ESCALATE_TASK = "alerts.escalate"
ESCALATE_EVERY_SECONDS = 15


@outbox.task(ESCALATE_TASK)
def escalate(session: Session, limit: int = service.SCAN_BATCH) -> None:
    service.advance_due(session, limit=limit)


def ensure_jobs(session: Session) -> None:
    """Declare the escalation job (migration 0009 creates it too); safe at every start-up."""
    scheduler.schedule(session, name=ESCALATE_TASK, task=ESCALATE_TASK,
                       interval_seconds=ESCALATE_EVERY_SECONDS)
