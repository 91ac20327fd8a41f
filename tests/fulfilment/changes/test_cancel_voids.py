"""Cancelling a printed order: the worker voids its waybill at the carrier simulator and routing
gives the stock back; a carrier that is down is retried by the outbox until it is back; a
carrier that refuses is recorded and announced for alerts."""

from __future__ import annotations

from sqlalchemy import Engine, select

import orderhub.fulfilment.changes.tasks
import orderhub.routing.tasks  # noqa: F401  (releases reservations on order.cancelled)
from orderhub.core import worker
from orderhub.core.audit import history
from orderhub.core.db import unit_of_work
from orderhub.core.models import OutboxEvent
from orderhub.orders import lifecycle as lc
from orderhub.orders.service import cancel_order
from orderhub.routing import service as routing
from tests.builders import TEST_ACTOR
from tests.fulfilment.carriers.support import Sims
from tests.fulfilment.changes.support import carrier_setup, print_label, snapshot
from tests.routing.helpers import available, put_stock, seed
from tests.routing.helpers import order as stocked_order
from tests.support.fixtures import FakeClock


def _printed_order(engine: Engine, sims: Sims) -> tuple[str, str, dict[str, int]]:
    """A paid order of 2 × A reserved in HZ (5 on hand), its label printed."""
    with unit_of_work(engine) as session:
        carrier_setup(session, sims)
        ids = seed(session)
        put_stock(session, ids, {"HZ": {"A": 5}})
        made = stocked_order(session, lines=[("A", 2)])
        routing.allocate(session, order=made, actor=TEST_ACTOR)
        order_no = made.order_no
    with unit_of_work(engine) as session:
        assert available(session, ids, "HZ", "A") == 3
    number = print_label(engine, order_no)
    assert snapshot(engine, order_no)[0].status == lc.LABEL_PRINTED
    return order_no, number, ids


def _cancel(engine: Engine, order_no: str) -> None:
    with unit_of_work(engine) as session:
        cancel_order(session, order_no=order_no, actor=TEST_ACTOR, reason="买家取消")


def _cancelled_event(engine: Engine) -> OutboxEvent:
    with unit_of_work(engine) as session:
        return session.scalars(select(OutboxEvent).where(OutboxEvent.topic == "order.cancelled")).one()


def _retry_event(engine: Engine) -> OutboxEvent:
    with unit_of_work(engine) as session:
        return session.scalars(select(OutboxEvent).where(OutboxEvent.topic == "changes.void_retry")).one()


def test_cancelling_a_printed_order_voids_its_waybill_and_releases_the_stock(
        sims: Sims, committed: Engine, fake_clock: FakeClock) -> None:
    order_no, number, ids = _printed_order(committed, sims)
    _cancel(committed, order_no)
    assert not sims.direct.book.cancelled  # after commit, by the worker: not in the request
    worker.run(burst=True, engine=committed)

    assert sims.direct.book.cancelled == {number}
    order, current, waybills = snapshot(committed, order_no)
    assert order.status == lc.CANCELLED and current is None
    assert [(w.tracking_no, w.status) for w in waybills] == [(number, "void")]
    with unit_of_work(committed) as session:
        assert available(session, ids, "HZ", "A") == 5  # the reservation was released
    assert _cancelled_event(committed).status == "done"


def test_with_the_carrier_down_the_outbox_retries_until_it_is_back(
        sims: Sims, committed: Engine, fake_clock: FakeClock) -> None:
    order_no, number, ids = _printed_order(committed, sims)
    sims.direct.faults.errors = 10_000  # the carrier's API answers 502
    _cancel(committed, order_no)
    worker.run(burst=True, engine=committed)

    assert snapshot(committed, order_no)[1].tracking_no == number  # still issued
    assert _cancelled_event(committed).status == "done"  # the other handlers are not held up
    retry = _retry_event(committed)
    assert retry.status != "done" and retry.attempts >= 1 and "HTTP 502" in (retry.last_error or "")
    with unit_of_work(committed) as session:
        assert available(session, ids, "HZ", "A") == 5  # routing's handler did its part already

    sims.direct.faults.errors = 0  # back
    fake_clock.advance(3600)  # past the worker's backoff
    worker.run(burst=True, engine=committed)
    assert sims.direct.book.cancelled == {number}
    assert snapshot(committed, order_no)[1] is None
    assert _retry_event(committed).status == "done"


def test_a_carrier_refusing_the_void_is_recorded_and_announced(
        sims: Sims, committed: Engine, fake_clock: FakeClock) -> None:
    order_no, number, _ = _printed_order(committed, sims)
    sims.direct.book.cancel(number)  # collected already: the carrier answers NOT_CANCELLABLE
    _cancel(committed, order_no)
    worker.run(burst=True, engine=committed)

    assert snapshot(committed, order_no)[1].tracking_no == number  # stays issued: a person settles it
    with unit_of_work(committed) as session:
        [failed] = session.scalars(select(OutboxEvent).where(OutboxEvent.topic == "carriers.void_failed")).all()
        assert failed.payload["tracking_no"] == number and failed.payload["order_no"] == order_no
        assert "NOT_CANCELLABLE" in failed.payload["reason"]
        [entry] = [e for e in history(session, "order", order_no) if e.action == "waybill.void_failed"]
        assert entry.after["carrier"] == "SF"
    assert _cancelled_event(committed).status == "done"


def test_cancelling_an_order_without_a_waybill_calls_no_carrier(sims: Sims, committed: Engine,
                                                                fake_clock: FakeClock) -> None:
    with unit_of_work(committed) as session:
        carrier_setup(session, sims)
        seed(session)
        made = stocked_order(session, lines=[("A", 1)])
        order_no = made.order_no
    _cancel(committed, order_no)
    worker.run(burst=True, engine=committed)
    assert sims.direct.calls == 0 and _cancelled_event(committed).status == "done"
