"""Orders enter and leave SLA stages on their real events, handled by the worker."""

from __future__ import annotations

from datetime import UTC, datetime

import orderhub.sla.tasks  # noqa: F401  (registers the stage handlers)
from orderhub.core import outbox
from orderhub.core.db import unit_of_work
from orderhub.orders import lifecycle as lc
from orderhub.orders.holds import add_hold, resolve_hold
from orderhub.sla import service
from tests.builders import TEST_ACTOR
from tests.sla.helpers import (
    drain,
    events,
    install_defaults,
    move,
    new_paid_order,
    sla_row,
)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 23, hour, minute, tzinfo=UTC)


def test_an_order_walks_through_every_stage(committed, fake_clock) -> None:
    install_defaults()
    order_id, order_no = new_paid_order()  # arrives paid at 02:00 UTC (10:00 Beijing)
    drain(committed)
    row = sla_row(order_id)
    assert (row.stage, row.started_at, row.deadline) == ("accept", at(2), at(6))
    assert row.warn_at == at(5) and row.policy_note == "default 240 min"

    fake_clock.set(at(2, 30))
    move(order_no, lc.ALLOCATED)
    drain(committed)
    row = sla_row(order_id)
    assert (row.stage, row.started_at, row.deadline) == ("print", at(2, 30), at(4, 30))
    assert events("sla.stage_left")[-1] == {"order_id": order_id, "order_no": order_no,
                                             "stage": "accept", "late": False}

    fake_clock.set(at(5))  # half an hour after the print deadline
    move(order_no, lc.LABEL_PRINTED)
    drain(committed)
    row = sla_row(order_id)
    # Same day in the seller's zone: 23:59:59 Beijing = 15:59:59 UTC.
    assert (row.stage, row.deadline) == ("ship", datetime(2026, 11, 23, 15, 59, 59, tzinfo=UTC))
    assert events("sla.stage_left")[-1]["late"] is True

    fake_clock.set(at(9))
    move(order_no, lc.SHIPPED)
    drain(committed)
    row = sla_row(order_id)
    assert (row.stage, row.deadline) == ("first_scan", datetime(2026, 11, 24, 9, tzinfo=UTC))

    fake_clock.set(at(20))
    with unit_of_work() as session:
        outbox.emit(session, "tracking.first_scan", aggregate_type="order", aggregate_id=order_id,
                    payload={"order_id": order_id})
    drain(committed)
    row = sla_row(order_id)
    assert row.closed_at == at(20) and row.late is False
    assert [e["stage"] for e in events("sla.stage_left")] == ["accept", "print", "ship",
                                                               "first_scan"]


def test_a_hold_does_not_stop_the_clock_and_cancel_closes(committed, fake_clock) -> None:
    install_defaults()
    order_id, order_no = new_paid_order()
    drain(committed)
    move(order_no, lc.ALLOCATED)
    drain(committed)
    started = sla_row(order_id).started_at

    fake_clock.advance(600)
    with unit_of_work() as session:
        hold = add_hold(session, order_no=order_no, reason_code="manual", reason="check",
                        actor=TEST_ACTOR)
        hold_id = hold.id
    drain(committed)
    fake_clock.advance(600)
    with unit_of_work() as session:
        resolve_hold(session, order_no=order_no, hold_id=hold_id, resolution="ok",
                     actor=TEST_ACTOR)
    drain(committed)
    row = sla_row(order_id)
    assert (row.stage, row.started_at, row.closed_at) == ("print", started, None)
    assert [e["stage"] for e in events("sla.stage_left")] == ["accept"]

    fake_clock.advance(60)
    move(order_no, lc.CANCELLED)
    drain(committed)
    assert sla_row(order_id).closed_at == fake_clock.now
    assert [e["stage"] for e in events("sla.stage_left")] == ["accept", "print"]


def test_a_redelivered_or_stale_event_changes_nothing(committed, fake_clock) -> None:
    install_defaults()
    order_id, order_no = new_paid_order()
    drain(committed)
    move(order_no, lc.ALLOCATED)
    drain(committed)
    before = sla_row(order_id)
    with unit_of_work() as session:
        service.advance(session, order_id=order_id, target="accept", at=fake_clock.now,
                        event_id=1)  # older than the allocation's event
    after = sla_row(order_id)
    assert (after.stage, after.started_at, after.last_event_id) == (
        before.stage, before.started_at, before.last_event_id)


def test_an_unpaid_order_has_no_stage_until_paid(committed, fake_clock) -> None:
    install_defaults()
    order_id, order_no = new_paid_order(status="pending_payment", paid_at=None)
    drain(committed)
    assert sla_row(order_id) is None
    fake_clock.advance(120)
    move(order_no, lc.PAID)
    drain(committed)
    assert sla_row(order_id).started_at == fake_clock.now
