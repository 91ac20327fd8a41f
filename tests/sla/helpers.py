"""Shared steps of the SLA tests: default rules, orders moved by the real use cases, events."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from orderhub.core import worker
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.core.models import OutboxEvent
from orderhub.orders.service import get_order, transition
from orderhub.sla import policies
from orderhub.sla.models import OrderSla
from tests.builders import TEST_ACTOR, make_order

ACTOR = Actor.system("sla-test")


def install_defaults() -> None:
    with unit_of_work() as session:
        policies.install_defaults(session, actor=TEST_ACTOR)


def new_paid_order(**overrides: Any) -> tuple[int, str]:
    with unit_of_work() as session:
        order = make_order(session, **overrides)
        return order.id, order.order_no


def move(order_no: str, target: str) -> None:
    """The order's status changes through the one real use case (it emits the event)."""
    with unit_of_work() as session:
        transition(session, get_order(session, order_no, for_update=True), target, actor=ACTOR)


def drain(engine: Engine) -> None:
    worker.run(burst=True, engine=engine)


def sla_row(order_id: int) -> OrderSla | None:
    with unit_of_work() as session:
        row = session.get(OrderSla, order_id)
        if row is not None:
            session.expunge(row)
        return row


def events(topic: str) -> list[dict[str, Any]]:
    with unit_of_work() as session:
        return [e.payload for e in session.scalars(
            select(OutboxEvent).where(OutboxEvent.topic == topic).order_by(OutboxEvent.id))]


def session_events(session: Session, topic: str) -> list[dict[str, Any]]:
    return [e.payload for e in session.scalars(
        select(OutboxEvent).where(OutboxEvent.topic == topic).order_by(OutboxEvent.id))]
