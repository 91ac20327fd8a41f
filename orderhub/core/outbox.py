"""Transactional outbox: emit events inside the use case's transaction; handlers run after commit.

Handlers are registered per topic (or "*") and receive (session, event). They run inside a
transaction that also records (event id, handler name), so a redelivered event never repeats a
handler's database effects; handlers with outside effects pass the event id as idempotency key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from orderhub.core import clock
from orderhub.core.actor import Actor
from orderhub.core.models import OutboxEvent

Handler = Callable[[Session, OutboxEvent], None]


@dataclass(frozen=True)
class Registration:
    name: str
    topic: str
    fn: Handler


@dataclass(frozen=True)
class Retry:
    """How a topic's failed events are tried again when the worker's default (30 s, 90 s, …,
    settings.outbox_max_attempts tries) does not fit: e.g. a platform write-back every 15
    minutes, 5 tries. Delay n is first_seconds x factor^(n-1)."""

    first_seconds: float
    factor: float = 1.0
    max_attempts: int = 5

    def delay_seconds(self, attempts: int) -> float:
        return self.first_seconds * self.factor ** max(attempts - 1, 0)


_handlers: dict[str, Registration] = {}
_tasks: dict[str, Callable[..., Any]] = {}
_retries: dict[str, Retry] = {}


def emit(session: Session, topic: str, *, aggregate_type: str | None = None,
         aggregate_id: object = None, payload: dict[str, Any] | None = None,
         actor: Actor | None = None) -> OutboxEvent:
    now = clock.now()
    event = OutboxEvent(topic=topic, aggregate_type=aggregate_type,
                        aggregate_id=None if aggregate_id is None else str(aggregate_id),
                        payload=payload or {}, actor=actor.as_dict() if actor else None,
                        created_at=now, available_at=now, status="pending", attempts=0)
    session.add(event)
    return event


def handler(topic: str, *, name: str | None = None) -> Callable[[Handler], Handler]:
    """Register fn for a topic ("order.paid", "order.*" or "*"). The name must stay stable."""

    def register(fn: Handler) -> Handler:
        key = name or f"{fn.__module__}.{fn.__qualname__}"
        _handlers[key] = Registration(name=key, topic=topic, fn=fn)
        return fn

    return register


def task(name: str, *, own_transactions: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a function a scheduled job can run: fn(session, **args) inside the job's
    transaction, or, with own_transactions, fn(engine, **args) committing as it goes (a pull
    that stores page after page). Such a task may return when it wants to run next (a backoff)."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn.own_transactions = own_transactions  # type: ignore[attr-defined]
        _tasks[name] = fn
        return fn

    return register


def retry_policy(topic: str, policy: Retry | None = None) -> Retry | None:
    """Set (with policy) or read the retry policy of one exact topic; None: the default."""
    if policy is not None:
        _retries[topic] = policy
    return _retries.get(topic)


def handlers_for(topic: str) -> list[Registration]:
    return [r for r in _handlers.values() if _matches(r.topic, topic)]


def get_task(name: str) -> Callable[..., Any] | None:
    return _tasks.get(name)


def unregister(name: str) -> None:
    _handlers.pop(name, None)
    _tasks.pop(name, None)


def _matches(pattern: str, topic: str) -> bool:
    if pattern == "*" or pattern == topic:
        return True
    return pattern.endswith(".*") and topic.startswith(pattern[:-1])
