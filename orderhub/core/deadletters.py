"""Dead letters: events whose handlers failed every try. Listed for a person, and retryable."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderhub.core import audit, clock
from orderhub.core.actor import Actor
from orderhub.core.errors import Conflict, NotFound
from orderhub.core.models import OutboxEvent


def list_dead_letters(session: Session, *, after_id: int | None = None, limit: int = 50) -> list[OutboxEvent]:
    """Oldest first; pass the last id seen as after_id for the next page."""
    stmt = select(OutboxEvent).where(OutboxEvent.status == "dead").order_by(OutboxEvent.id).limit(limit)
    if after_id is not None:
        stmt = stmt.where(OutboxEvent.id > after_id)
    return list(session.scalars(stmt))


def retry_dead_letter(session: Session, *, event_id: int, actor: Actor) -> OutboxEvent:
    """Put a dead event back in the queue with a fresh set of tries; handlers already done stay done."""
    event = session.get(OutboxEvent, event_id, with_for_update=True)
    if event is None:
        raise NotFound(f"no event {event_id}", details={"event_id": event_id})
    if event.status != "dead":
        raise Conflict(f"event {event_id} is {event.status}, not dead",
                       details={"event_id": event_id, "status": event.status})
    before = {"status": event.status, "attempts": event.attempts, "last_error": event.last_error}
    event.status, event.attempts = "pending", 0
    event.available_at = clock.now()
    event.locked_by = event.locked_until = None
    audit.record(session, actor=actor, entity_type="event", entity_id=event.id,
                 action="dead_letter.retried", before=before,
                 after={"status": "pending", "attempts": 0})
    return event
