"""Steps of the tracking tests: orders moved to shipped through the real use case, the worker."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from orderhub.core import worker
from orderhub.core.actor import Actor
from orderhub.core.db import unit_of_work
from orderhub.core.models import OutboxEvent, QuarantinedInput
from orderhub.fulfilment.tracking.models import TrackedShipment, TrackingEvent
from orderhub.orders import lifecycle as lc
from orderhub.orders.service import get_order, transition
from tests.builders import make_order

ACTOR = Actor.system("tracking-test")


def shipped_order(*, carrier: str | None = "ZTO", tracking_no: str | None = None,
                  attributes: dict[str, Any] | None = None) -> tuple[int, str]:
    """A paid order taken through allocated and label_printed to shipped; the shipped event
    carries carrier + tracking_no unless they are None."""
    with unit_of_work() as session:
        order = make_order(session)
        if attributes:
            order.attributes = dict(attributes)
        for target in (lc.ALLOCATED, lc.LABEL_PRINTED):
            transition(session, order, target, actor=ACTOR)
        payload = {"carrier": carrier, "tracking_no": tracking_no} if tracking_no else None
        transition(session, order, lc.SHIPPED, actor=ACTOR, payload=payload)
        return order.id, order.order_no


def drain(engine: Engine) -> None:
    worker.run(burst=True, engine=engine)


def order_status(order_no: str) -> str:
    with unit_of_work() as session:
        return get_order(session, order_no).status


def shipment(tracking_no: str) -> TrackedShipment:
    with unit_of_work() as session:
        row = session.scalar(select(TrackedShipment)
                             .where(TrackedShipment.tracking_no == tracking_no))
        assert row is not None
        session.expunge(row)
        return row


def scans(tracking_no: str) -> list[str]:
    with unit_of_work() as session:
        return list(session.scalars(select(TrackingEvent.context)
                                    .where(TrackingEvent.tracking_no == tracking_no)
                                    .order_by(TrackingEvent.time, TrackingEvent.id)))


def events(topic: str) -> list[dict[str, Any]]:
    with unit_of_work() as session:
        return [e.payload for e in session.scalars(
            select(OutboxEvent).where(OutboxEvent.topic == topic).order_by(OutboxEvent.id))]


def event_rows(topic: str) -> list[dict[str, Any]]:
    with unit_of_work() as session:
        return [{"status": e.status, "last_error": e.last_error} for e in session.scalars(
            select(OutboxEvent).where(OutboxEvent.topic == topic).order_by(OutboxEvent.id))]


def quarantined(source: str) -> list[QuarantinedInput]:
    with unit_of_work() as session:
        rows = list(session.scalars(select(QuarantinedInput)
                                    .where(QuarantinedInput.source == source)))
        session.expunge_all()
        return rows


def count_scans() -> int:
    with unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(TrackingEvent)) or 0
